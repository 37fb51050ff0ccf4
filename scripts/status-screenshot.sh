#!/usr/bin/env bash
# Renders outbox/status.html with headless Chromium as a desk (1280×800) and a phone (390×844) would show it:
# the pictures in docs/status-page.png and docs/status-page-phone.png. Needs chromium (apt).
# usage: scripts/status-screenshot.sh STATUS.html [OUT.png] [PHONE.png]
set -euo pipefail
page=$(realpath "$1")
out=${2:-docs/status-page.png}
phone=${3:-docs/status-page-phone.png}
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --hide-scrollbars)
chromium "${flags[@]}" --screenshot="$(realpath -m "$out")" --window-size=1280,800 "file://$page" >/dev/null 2>&1
chromium "${flags[@]}" --screenshot="$(realpath -m "$phone")" --window-size=390,844 "file://$page" >/dev/null 2>&1
echo "$out $phone"
