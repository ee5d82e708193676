#!/usr/bin/env bash
# Rename a user account on the test wiki in $ROOT as a bureaucrat would, with the Renameuser
# extension's maintenance script (up.sh loads the extension). The user id stays; edits
# follow the account to its new name.
# Usage: ROOT=/tmp/wikicourse-mw bash scripts/mediawiki/rename.sh "Old Name" "New Name"
set -euo pipefail
ROOT=${ROOT:-/tmp/wikicourse-mw}
MW=/usr/share/mediawiki
export MW_CONFIG_FILE="$ROOT/LocalSettings.php" MW_INSTALL_PATH="$MW"
if [ $# -ne 2 ]; then
  echo "usage: rename.sh OLD NEW" >&2
  exit 2
fi
php "$MW/extensions/Renameuser/maintenance/renameUser.php" --oldname "$1" --newname "$2" \
  --performer Admin --reason "wikicourse test" >/dev/null
# Tables other extensions register are renamed by queued jobs; the wiki runs none by itself.
php "$MW/maintenance/runJobs.php" --quiet
