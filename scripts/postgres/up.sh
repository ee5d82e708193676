#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for tests and benchmarks; print its SQLAlchemy URL.
#
# Only the URL goes to stdout (so callers can do URL=$(bash up.sh)); progress goes to
# stderr. Safe to run again while the server is up: it then just prints the URL.
# Installs Debian's postgresql when the server binaries are missing, so CI never skips.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

url="postgresql+psycopg://$PG_ROLE@$PG_HOST:$PGPORT/$PG_DB"

install_postgresql() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || die "PostgreSQL is not installed and we are not root"
    sudo=(sudo -n)
  fi
  log "installing Debian's postgresql (server binaries not found)"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >&2
  # postgresql-common first, so we can stop the package from creating and starting
  # its own 'main' cluster on port 5432: we never use it, and it costs time and memory.
  "${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql-common >&2
  if [ -f /etc/postgresql-common/createcluster.conf ]; then
    "${sudo[@]}" sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
      /etc/postgresql-common/createcluster.conf
  fi
  "${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql >&2
}

PG_BINDIR="$(find_bindir || true)"
if [ -z "$PG_BINDIR" ]; then
  install_postgresql
  PG_BINDIR="$(find_bindir)" || die "postgresql installed but initdb/pg_ctl not found"
fi

# Fast path: already up (this is what every run after the first hits).
if pg_reachable "$PG_DB"; then
  echo "$url"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  if ! id "$PG_OS_USER" >/dev/null 2>&1; then
    log "creating OS user $PG_OS_USER"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
  fi
else
  PG_OS_USER="$(id -un)"  # not root: the cluster simply belongs to us
fi

mkdir -p "$PGROOT"
# Serialize concurrent callers (parallel test processes) so only one runs initdb/start.
exec 9>>"$PGROOT/.lock"
flock 9
# Whoever held the lock before us may have just brought the server up.
if pg_reachable "$PG_DB"; then
  echo "$url"
  exit 0
fi
[ "$(id -u)" -eq 0 ] && chown "$PG_OS_USER" "$PGROOT"

# A data folder from another major version cannot be started; it is test data, so
# start over rather than upgrade.
major="$("$PG_BINDIR/pg_ctl" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)?.*/\1/')"
if [ -f "$PGDATA_DIR/PG_VERSION" ] && [ "$(cat "$PGDATA_DIR/PG_VERSION")" != "$major" ]; then
  log "data folder is from PostgreSQL $(cat "$PGDATA_DIR/PG_VERSION"), not $major: recreating"
  as_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$PGDATA_DIR"
fi

if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
  rm -rf "$PGDATA_DIR"
  log "initdb in $PGDATA_DIR"
  # --no-locale: a fresh machine may have no locales generated, and the C locale keeps
  # sorting identical everywhere. --auth=trust: only loopback can reach it (below).
  as_owner "$PG_BINDIR/initdb" -D "$PGDATA_DIR" -U "$PG_ROLE" --auth=trust \
    --no-locale --encoding=UTF8 --no-sync >"$PGROOT/initdb.log" 2>&1 \
    || { cat "$PGROOT/initdb.log" >&2; die "initdb failed"; }
  # Settings live in an included file that is rewritten on every start, so a changed
  # PGPORT or PGROOT applies to an existing data folder.
  echo "include_if_exists 'wikicourse.conf'" >>"$PGDATA_DIR/postgresql.conf"
fi

as_owner mkdir -p "$PG_SOCKET_DIR"
as_owner tee "$PGDATA_DIR/wikicourse.conf" >/dev/null <<CONF
listen_addresses = '$PG_HOST'
port = $PGPORT
unix_socket_directories = '$PG_SOCKET_DIR'
# Test data only: durability is worth nothing here, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

if as_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
  # Running, yet not reachable above: most likely started with other settings.
  log "stopping the server in $PGDATA_DIR to restart it with current settings"
  as_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -w -t 30 stop -m fast >&2 \
    || as_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -w -t 30 stop -m immediate >&2 \
    || true
fi
log "starting the server on $PG_HOST:$PGPORT"
# pg_ctl treats a postmaster.pid left by a crash or reboot as stale by itself.
pg_ctl_clean -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 start >&2 \
  || { tail -n 20 "$PG_LOG" >&2; die "start failed (is port $PGPORT taken?)"; }

# pg_ctl -w waits for the socket; also wait until a TCP login works, as the tests need.
for _ in $(seq 1 60); do
  pg_reachable postgres && break
  sleep 0.5
done
pg_reachable postgres || { tail -n 20 "$PG_LOG" >&2; die "server not reachable on $PG_HOST:$PGPORT"; }

if ! pg_reachable "$PG_DB"; then
  "$PG_BINDIR/createdb" -w -h "$PG_HOST" -p "$PGPORT" -U "$PG_ROLE" "$PG_DB"
fi

echo "$url"
