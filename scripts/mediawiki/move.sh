#!/usr/bin/env bash
# Move (rename) a page on the test wiki in $ROOT as Admin would, with its whole history
# (maintenance/moveBatch.php). No redirect is left at the old title unless --redirect.
# Usage: ROOT=/tmp/wikicourse-mw bash scripts/mediawiki/move.sh "User:Bob/sandbox" "New title" [--redirect]
set -euo pipefail
ROOT=${ROOT:-/tmp/wikicourse-mw}
MW=/usr/share/mediawiki
export MW_CONFIG_FILE="$ROOT/LocalSettings.php"
if [ $# -lt 2 ] || [ $# -gt 3 ] || { [ $# -eq 3 ] && [ "$3" != --redirect ]; }; then
  echo "usage: move.sh OLD NEW [--redirect]" >&2
  exit 2
fi
REDIRECT=(--noredirects)
[ $# -eq 3 ] && REDIRECT=()
LIST=$(mktemp)
trap 'rm -f "$LIST"' EXIT
printf '%s|%s\n' "$1" "$2" >"$LIST"
# moveBatch.php exits 0 even when a move fails; it says so in its output.
OUT=$(php "$MW/maintenance/moveBatch.php" -u Admin -r "wikicourse test" "${REDIRECT[@]}" "$LIST" 2>&1)
if grep -q "FAILED" <<<"$OUT"; then
  echo "$OUT" >&2
  exit 1
fi
# The move queues link-table and cache jobs; the wiki runs none by itself ($wgJobRunRate = 0).
php "$MW/maintenance/runJobs.php" --quiet
