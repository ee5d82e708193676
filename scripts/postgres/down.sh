#!/usr/bin/env bash
# Stop the throwaway cluster started by up.sh. With --purge, also delete its data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

purge=false
[ "${1:-}" = "--purge" ] && purge=true
[ "$(id -u)" -eq 0 ] || PG_OS_USER="$(id -un)"

PG_BINDIR="$(find_bindir || true)"
if [ -n "$PG_BINDIR" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
  if as_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    log "stopping the server in $PGDATA_DIR"
    as_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -w -t 60 stop -m fast >&2
  fi
fi
if $purge; then
  log "removing $PGROOT"
  rm -rf "$PGROOT"
fi
