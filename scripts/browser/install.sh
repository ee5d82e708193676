#!/usr/bin/env bash
# Install Debian's Chromium (for the browser tests and screenshots) and a font so that
# screenshots have text; does nothing if already there. Run as root on Debian 12.
# Playwright drives this browser (executable_path=/usr/bin/chromium): never `playwright install`.
# Usage: bash scripts/browser/install.sh
set -euo pipefail
PACKAGES=(chromium fonts-dejavu-core)
if command -v chromium >/dev/null && dpkg -s fonts-dejavu-core >/dev/null 2>&1; then
  exit 0
fi
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"; }
# The package lists are refreshed only when the install needs it (a fresh image has none).
install || { apt-get update -q && install; }
