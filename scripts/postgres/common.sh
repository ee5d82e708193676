# Shared settings for up.sh and down.sh (sourced, not run).
# Everything is overridable from the environment so several checkouts or CI jobs can
# run side by side: PGROOT (state folder), PGPORT (TCP port), PG_OS_USER (the OS
# account that owns the cluster; initdb refuses to run as root).

PGROOT="${PGROOT:-/tmp/wikicourse-pg}"
PGPORT="${PGPORT:-55432}"
PG_OS_USER="${PG_OS_USER:-postgres}"
PG_HOST=127.0.0.1
# The cluster's bootstrap superuser and the default database share one name, so the
# URL needs no password (loopback is trusted) and no separate CREATE ROLE step.
PG_ROLE=wikicourse
PG_DB=wikicourse

PGDATA_DIR="$PGROOT/data"
PG_SOCKET_DIR="$PGROOT/run"
PG_LOG="$PGROOT/server.log"

log() { echo "postgres: $*" >&2; }
die() { echo "postgres: error: $*" >&2; exit 1; }

# Debian keeps server binaries off PATH, in /usr/lib/postgresql/MAJOR/bin; take the
# newest major there, else whatever PATH offers (another distribution, a dev box).
find_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
    echo "$d"; return 0
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0
  fi
  return 1
}

# Run a server binary as the cluster owner. cd / first: after a user switch the
# caller's folder (often /root) may be unreadable, which makes initdb and pg_ctl fail.
as_owner() {
  if [ "$(id -u)" -eq 0 ] && [ "$PG_OS_USER" != root ]; then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

# pg_ctl with only stdin/stdout/stderr open. The server it starts inherits every other
# open descriptor for its whole life: up.sh's lock (later up.sh runs would wait forever),
# make's jobserver pipe, a CI runner's output pipe (the runner would never see EOF).
pg_ctl_clean() {
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    as_owner "$PG_BINDIR/pg_ctl" "$@"
  )
}

# Connection check over TCP, exactly as the tests connect.
pg_reachable() {
  "$PG_BINDIR/psql" -X -q -w -h "$PG_HOST" -p "$PGPORT" -U "$PG_ROLE" -d "$1" \
    -tAc 'select 1' >/dev/null 2>&1
}
