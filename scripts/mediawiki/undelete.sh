#!/usr/bin/env bash
# Undelete a deleted page on the test wiki in $ROOT with all its deleted revisions, as Admin
# would (maintenance/undelete.php). To restore only some revisions, use the API's
# action=undelete with timestamps (TestWiki.undelete_page(title, timestamps=...)).
# Usage: ROOT=/tmp/wikicourse-mw bash scripts/mediawiki/undelete.sh "Title"
set -euo pipefail
ROOT=${ROOT:-/tmp/wikicourse-mw}
MW=/usr/share/mediawiki
export MW_CONFIG_FILE="$ROOT/LocalSettings.php"
if [ $# -ne 1 ]; then
  echo "usage: undelete.sh TITLE" >&2
  exit 2
fi
php "$MW/maintenance/undelete.php" --user Admin --reason "wikicourse test" "$1" >/dev/null
# undelete.php says "done" even when there was nothing to restore.
if ! php "$MW/maintenance/pageExists.php" "$1" >/dev/null; then
  echo "undelete.sh: no page at \"$1\" after undeleting (nothing deleted there?)" >&2
  exit 1
fi
php "$MW/maintenance/runJobs.php" --quiet
