#!/usr/bin/env bash
# Stop the test wiki served from $ROOT (its whole process group); quiet if it is not running.
# Usage: ROOT=/tmp/wikicourse-mw bash scripts/mediawiki/down.sh
set -uo pipefail
ROOT=${ROOT:-/tmp/wikicourse-mw}
PIDFILE="$ROOT/server.pid"
[ -f "$PIDFILE" ] || exit 0
PGID=$(cat "$PIDFILE")
rm -f "$PIDFILE"

alive() {
  # Zombies do not count: they hold no port, and some init processes reap them late.
  ps -e -o pgid=,stat= | awk -v g="$PGID" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

kill -TERM -- "-$PGID" 2>/dev/null || exit 0
for _ in $(seq 50); do
  alive || exit 0
  sleep 0.05
done
kill -KILL -- "-$PGID" 2>/dev/null || true
