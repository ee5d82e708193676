#!/usr/bin/env bash
# Install a fresh MediaWiki (SQLite) in $ROOT and serve it on 127.0.0.1:$PORT for tests.
# Usage: ROOT=/tmp/wikicourse-mw PORT=8301 bash scripts/mediawiki/up.sh
# The API is then http://127.0.0.1:$PORT/api.php; stop it with down.sh.
# MW_EXTRA_SETTINGS, if set, is PHP appended to LocalSettings.php (e.g. a small
# $wgAPIMaxResultSize to force continuation).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${ROOT:-/tmp/wikicourse-mw}
PORT=${PORT:-8301}
MW=/usr/share/mediawiki
case "$ROOT" in
  "" | "/") echo "ROOT must name the wiki's own directory (it is erased)" >&2; exit 2 ;;
esac

bash "$HERE/install.sh"
# A wiki still running from an earlier call would hold the port and the files.
ROOT="$ROOT" bash "$HERE/down.sh"

rm -rf "$ROOT"
mkdir -p "$ROOT/data" "$ROOT/cache" "$ROOT/logs"
php "$MW/maintenance/install.php" --quiet --dbtype sqlite --dbpath "$ROOT/data" --dbname wiki \
  --server "http://127.0.0.1:$PORT" --scriptpath "" --lang en --skins Vector \
  --pass 'Admin-Password-2024' --confpath "$ROOT" "Wikicourse Test Wiki" Admin >"$ROOT/logs/install.log"

# Debian's settings put caches and logs under /var; keep everything of this wiki in $ROOT,
# and make it deterministic and unthrottled for tests.
cat >>"$ROOT/LocalSettings.php" <<SETTINGS

# ---- wikicourse test wiki ----
\$wgCacheDirectory = "$ROOT/cache";
\$wgDBerrorLog = "$ROOT/logs/dberror.log";
\$wgDebugLogGroups['exception'] = "$ROOT/logs/exception.log";
\$wgDebugLogGroups['error'] = "$ROOT/logs/error.log";
\$wgShowExceptionDetails = true;
\$wgMainCacheType = CACHE_NONE;
\$wgParserCacheType = CACHE_NONE;
\$wgMessageCacheType = CACHE_NONE;
\$wgRateLimits = [];
\$wgGroupPermissions['*']['noratelimit'] = true;
\$wgPasswordAttemptThrottle = false;
\$wgAccountCreationThrottle = 0;
// Jobs run only when import.sh asks, so a test sees the same state every time.
\$wgJobRunRate = 0;
// Imported revisions carry past timestamps; keep their recentchanges rows.
\$wgRCMaxAge = 20 * 365 * 86400;
// Wikipedia's Draft namespace, which a stock MediaWiki lacks (Draft:X would land in 0).
\$wgExtraNamespaces[118] = 'Draft';
\$wgExtraNamespaces[119] = 'Draft_talk';
// Admins may hide a revision's text or user, as on Wikipedia (a stock MediaWiki grants
// revision deletion to the suppress group only).
\$wgGroupPermissions['sysop']['deleterevision'] = true;
\$wgGroupPermissions['sysop']['deletelogentry'] = true;
SETTINGS
# Renameuser ships with Debian's package: every test wiki can rename users (rename.sh).
if [ -f "$MW/extensions/Renameuser/extension.json" ]; then
  printf '%s\n' "wfLoadExtension( 'Renameuser' );" >>"$ROOT/LocalSettings.php"
fi
printf '%s\n' "${MW_EXTRA_SETTINGS:-}" >>"$ROOT/LocalSettings.php"

# PHP's built-in server with a few workers, in a session of its own: its id is the process
# group of the server and all its workers, which down.sh ends at once. The pid is written
# from inside, as setsid may fork.
export MW_CONFIG_FILE="$ROOT/LocalSettings.php" PHP_CLI_SERVER_WORKERS=4
setsid bash -c 'echo $$ >"$1/server.pid"; exec php -d opcache.enable_cli=1 -S "127.0.0.1:$2" -t "$3"' \
  server "$ROOT" "$PORT" "$MW" >"$ROOT/logs/server.log" 2>&1 </dev/null &

URL="http://127.0.0.1:$PORT/api.php?action=query&meta=siteinfo&format=json"
for _ in $(seq 200); do
  if php -r 'exit(@file_get_contents($argv[1]) === false ? 1 : 0);' "$URL"; then
    echo "wiki up: http://127.0.0.1:$PORT/api.php"
    exit 0
  fi
  sleep 0.05
done
echo "wiki in $ROOT did not answer on port $PORT; see $ROOT/logs/server.log" >&2
exit 1
