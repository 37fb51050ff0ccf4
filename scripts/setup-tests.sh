#!/usr/bin/env bash
# Everything scripts/setup.sh installs, and what only the tests need: zbarimg (QR codes read back), zstd
# (compressed log days read back by zstd's own tool), systemd-analyze and man (the install test checks the unit and the
# man page), tmux (a terminal for the progress line),
# Chromium (the status page loaded headless), LibreOffice Calc (reports opened by a second reader), Python with the test oracles (openpyxl,
# phonenumbers, an SMTP server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh zbar-tools zstd python3 python3-pip systemd man-db tmux

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# phonenumbers is pinned to the release carrying the same numbering data as Debian's libphonenumber 8.12.57,
# so the differential test compares implementations, not data vintages.
PIP_PACKAGES=(openpyxl "phonenumbers==8.12.57" aiosmtpd)

# Headless Chromium loads outbox/status.html in a test (DOM, screenshots, no outside request).
if ! command -v chromium >/dev/null; then
  echo "setup-tests: installing chromium"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# LibreOffice reads reports back in a test; without its recommends it is a fraction of the download.
if ! command -v soffice >/dev/null; then
  echo "setup-tests: installing libreoffice-calc"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc >/dev/null
fi

if ! python3 -c "import openpyxl, aiosmtpd, phonenumbers; assert phonenumbers.__version__ == '8.12.57'" >/dev/null 2>&1; then
  echo "setup-tests: installing Python test oracles: ${PIP_PACKAGES[*]}"
  python3 -m pip install -q "${PIP_PACKAGES[@]}" 2>/dev/null \
    || python3 -m pip install -q --break-system-packages "${PIP_PACKAGES[@]}"
fi
