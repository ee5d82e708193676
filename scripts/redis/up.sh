#!/usr/bin/env bash
# Start a throwaway Redis (the workers' broker) for tests and benchmarks; print its URL.
#
# Only the URL goes to stdout (URL=$(bash up.sh)); progress goes to stderr. Safe to run
# again while it is up. Installs Debian's redis-server when missing, so CI never skips.
# REDIS_PORT (default 56379) and REDIS_ROOT (default /tmp/wikicourse-redis) override.
set -euo pipefail
PORT="${REDIS_PORT:-56379}"
ROOT="${REDIS_ROOT:-/tmp/wikicourse-redis}"
URL="redis://127.0.0.1:$PORT/0"
log() { echo "redis: $*" >&2; }

if ! command -v redis-server >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { log "redis-server is not installed and we are not root"; exit 1; }
  log "installing Debian's redis-server"
  export DEBIAN_FRONTEND=noninteractive
  install() { apt-get install -y -q --no-install-recommends redis-server redis-tools >&2; }
  install || { apt-get update -q >&2 && install; }
  # The package starts its own server on 6379 where an init system runs; ours is separate.
fi

if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  echo "$URL"
  exit 0
fi

mkdir -p "$ROOT"
log "starting on 127.0.0.1:$PORT (data in $ROOT)"
# No persistence: a test broker starts empty; loopback only.
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$ROOT" --save "" --appendonly no \
  --daemonize yes --pidfile "$ROOT/redis.pid" --logfile "$ROOT/redis.log" >&2
for _ in $(seq 50); do
  redis-cli -p "$PORT" ping >/dev/null 2>&1 && { echo "$URL"; exit 0; }
  sleep 0.1
done
log "did not answer on port $PORT; see $ROOT/redis.log"
exit 1
