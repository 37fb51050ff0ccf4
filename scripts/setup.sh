#!/usr/bin/env bash
# Installs what a fresh Debian machine with the Swift toolchain lacks to build and run wabulk: the C libraries
# it links (libcsv, libxlsxwriter, libcurl, libphonenumber, PCRE2, SQLite, libqrencode, libzstd, mimalloc) and curl.
# What only the tests need (zbarimg, LibreOffice, the Python oracles) is scripts/setup-tests.sh's, which
# passes its own apt packages as arguments.
# usage: scripts/setup.sh [MORE_APT_PACKAGES…]
set -euo pipefail

APT_PACKAGES=(libcsv-dev libxlsxwriter-dev libmimalloc-dev libcurl4-openssl-dev libphonenumber-dev libpcre2-dev libsqlite3-dev libqrencode-dev libzstd-dev pkg-config curl "$@")

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

command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.1 or later) must be on PATH" >&2; exit 1; }
