#!/usr/bin/env bash
# Create accounts on the test wiki in $ROOT, all in one PHP process. They must exist before
# an import: an edit by a name without an account is stored as "imported>Name" and no
# usercontribs query finds it.
# Usage: ROOT=/tmp/wikicourse-mw bash scripts/mediawiki/users.sh "Name One" Name_Two ...
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${ROOT:-/tmp/wikicourse-mw}
export MW_CONFIG_FILE="$ROOT/LocalSettings.php"
printf '%s\n' "$@" | php "$HERE/create_users.php"
