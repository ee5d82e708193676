#!/usr/bin/env bash
# Delete pages (with all their revisions) on the test wiki in $ROOT, as an admin would.
# Usage: ROOT=/tmp/wikicourse-mw bash scripts/mediawiki/delete.sh "Title one" "Draft:Title two" ...
set -euo pipefail
ROOT=${ROOT:-/tmp/wikicourse-mw}
MW=/usr/share/mediawiki
export MW_CONFIG_FILE="$ROOT/LocalSettings.php"
LIST=$(mktemp)
trap 'rm -f "$LIST"' EXIT
printf '%s\n' "$@" >"$LIST"
php "$MW/maintenance/deleteBatch.php" -u Admin -r "wikicourse test" "$LIST" >/dev/null
