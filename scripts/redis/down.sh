#!/usr/bin/env bash
# Stop the throwaway Redis of up.sh.
set -euo pipefail
PORT="${REDIS_PORT:-56379}"
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
