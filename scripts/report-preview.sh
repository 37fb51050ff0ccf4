#!/usr/bin/env bash
# Converts a report to PDF with LibreOffice and renders its first page (the Summary sheet) as a PNG, the
# picture in docs/report-summary.png. Needs libreoffice-calc and poppler-utils (apt).
# usage: scripts/report-preview.sh REPORT.xlsx [OUT.png]
set -euo pipefail
report=$1
out=${2:-docs/report-summary.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
soffice -env:UserInstallation=file://"$work"/profile --headless --convert-to pdf --outdir "$work" "$report" >/dev/null
pdf="$work/$(basename "${report%.*}").pdf"
pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$pdf" "$work/summary"
cp "$work/summary.png" "$out"
echo "$out"
