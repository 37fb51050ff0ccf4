#!/usr/bin/env bash
# Installs what a fresh Debian machine with the Swift toolchain lacks: the C libraries wabulk links
# (libcsv, libxlsxwriter, libcurl, libphonenumber, PCRE2, SQLite, libqrencode, mimalloc), curl, zbarimg and the Python test oracles.
set -euo pipefail

APT_PACKAGES=(libcsv-dev libxlsxwriter-dev libmimalloc-dev libcurl4-openssl-dev libphonenumber-dev libpcre2-dev libsqlite3-dev libqrencode-dev zbar-tools pkg-config curl python3 python3-pip)
# phonenumbers is pinned to the release carrying the same numbering data as Debian's libphonenumber 8.12.57,
# so the differential test compares implementations, not data vintages.
PIP_PACKAGES=(openpyxl "phonenumbers==8.12.57" aiosmtpd)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# LibreOffice reads reports back in a test; without its recommends it is a fraction of the download.
if ! command -v soffice >/dev/null; then
  echo "setup: installing libreoffice-calc"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc >/dev/null
fi

if ! python3 -c "import openpyxl, aiosmtpd, phonenumbers; assert phonenumbers.__version__ == '8.12.57'" >/dev/null 2>&1; then
  echo "setup: installing Python test oracles: ${PIP_PACKAGES[*]}"
  python3 -m pip install -q "${PIP_PACKAGES[@]}" 2>/dev/null \
    || python3 -m pip install -q --break-system-packages "${PIP_PACKAGES[@]}"
fi

command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.1 or later) must be on PATH" >&2; exit 1; }
