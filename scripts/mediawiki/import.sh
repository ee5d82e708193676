#!/usr/bin/env bash
# Import an XML export into the test wiki in $ROOT, keeping the revisions' own timestamps.
# Authors must have accounts first (users.sh). Within a page, revisions must be oldest
# first, and a page's whole history must come in one import.
# Usage: ROOT=/tmp/wikicourse-mw bash scripts/mediawiki/import.sh dump.xml
set -euo pipefail
ROOT=${ROOT:-/tmp/wikicourse-mw}
MW=/usr/share/mediawiki
export MW_CONFIG_FILE="$ROOT/LocalSettings.php"
php "$MW/maintenance/importDump.php" --no-updates --quiet "$1"
# Deferred work (link tables, caches) runs only here: the wiki has $wgJobRunRate = 0.
php "$MW/maintenance/runJobs.php" --quiet
# --no-updates skips the counters that list=users and the site statistics report.
php "$MW/maintenance/initEditCount.php" >/dev/null
php "$MW/maintenance/initSiteStats.php" --update >/dev/null
