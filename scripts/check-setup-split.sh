#!/usr/bin/env bash
# Checks that the README's first command (scripts/demo.sh → scripts/setup.sh) installs no test-only package,
# as on a fresh Debian machine: apt's simulation of setup.sh's packages from an empty package database (so every
# dependency they pull in is listed) must hold none of the packages only scripts/setup-tests.sh installs, and
# neither demo.sh nor setup.sh may run pip. Exits 1 naming what leaked.
set -euo pipefail
cd "$(dirname "$0")/.."
status=$(mktemp)
trap 'rm -f "$status"' EXIT
# setup.sh's own list, read from the script itself.
read -r -a packages < <(sed -n 's/^APT_PACKAGES=(\(.*\) "\$@")$/\1/p' scripts/setup.sh)
[ "${#packages[@]}" -gt 5 ] || { echo "check-setup-split: could not read setup.sh's packages" >&2; exit 1; }
closure=$(apt-get -s -o Dir::State::status="$status" install "${packages[@]}" 2>/dev/null | awk '/^Inst /{print $2}')
[ -n "$closure" ] || { echo "check-setup-split: apt could not simulate the install" >&2; exit 1; }
# What only the tests use: setup-tests.sh's own apt packages and the ones it installs by name.
test_only=$(sed -n 's/^scripts\/setup.sh \(.*\)$/\1/p' scripts/setup-tests.sh)
test_only="$test_only chromium libreoffice-calc libreoffice-core python3-openpyxl"
leaked=()
for p in $test_only; do
  if grep -qx "$p" <<<"$closure"; then leaked+=("$p"); fi
done
if grep -nEw '(pip|pip3)' scripts/demo.sh scripts/setup.sh; then leaked+=("pip"); fi
if [ "${#leaked[@]}" -gt 0 ]; then echo "check-setup-split: the demo's setup installs test-only ${leaked[*]}" >&2; exit 1; fi
echo "check-setup-split: setup.sh's ${#packages[@]} packages pull in $(wc -l <<<"$closure") from an empty system, none of: $test_only; no pip"
