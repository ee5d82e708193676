#!/usr/bin/env bash
# Install Debian's MediaWiki with PHP on SQLite, without Apache; does nothing if already there.
# Run as root on Debian 12.  Usage: bash scripts/mediawiki/install.sh
set -euo pipefail
PACKAGES=(php8.2-cli php8.2-cgi php8.2-sqlite3 php8.2-intl php8.2-mbstring php8.2-xml micro-httpd mediawiki)
if dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1; then
  exit 0
fi
# php8.2-cgi stands in for mod-php and micro-httpd for the "httpd" dependency, so no web
# server daemon gets installed or started; the tests serve with PHP's built-in server.
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
