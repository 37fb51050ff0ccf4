#!/usr/bin/env bash
# Report benchmark (issue 7): `wabulk report` over the event log of MESSAGES messages (default 1,000,000),
# side by side in the same run with the Messages rows those events fold into written by Python's XlsxWriter
# (what a user would otherwise write) and by a small C program straight through libxlsxwriter (the floor).
# Both baselines get the folded rows ready-made (rows.tsv); wabulk reads and folds the log itself.
# usage: Benchmarks/report/run.sh [MESSAGES]   (needs: swift build -c release; pip install xlsxwriter openpyxl)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
BIN=${WABULK_BIN:-.build/release/wabulk}
WORK=${BENCH_DIR:-/tmp/wabulk-bench-report}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
python3 -c 'import xlsxwriter, openpyxl' 2>/dev/null || python3 -m pip install -q xlsxwriter openpyxl
mkdir -p "$WORK"
gcc -O2 Benchmarks/report/report_c.c -o "$WORK/report_c" -lxlsxwriter
if [ ! -f "$WORK/rows-$N.tsv" ]; then
  rm -rf "$WORK/home-$N"
  python3 Benchmarks/report/gen_events.py "$N" "$WORK/home-$N" "$WORK/rows-$N.tsv"
fi
echo "event log: $(du -h "$WORK/home-$N/var/log" | tail -1 | cut -f1), $(cat "$WORK/home-$N"/var/log/*.jsonl | wc -l) lines"
# sync first: each program leaves about a gigabyte of dirty pages (its temp sheet and the .xlsx), and their
# writeback landing in the next program's run moved its system time between 1.6 and 4.5 s.
measure() { sync; python3 Benchmarks/measure.py -- "$@"; }
for round in $(seq 1 "${ROUNDS:-1}"); do
  echo "round $round, $N messages"
  echo "  wabulk:  $(measure "$BIN" report --home "$WORK/home-$N" --out "$WORK/wabulk.xlsx" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); o=json.loads(d.pop("output")); d["counts"]=o["counts"]; print(json.dumps(d))')"
  echo "  python:  $(measure python3 Benchmarks/report/report_python.py "$WORK/rows-$N.tsv" "$WORK/python.xlsx")"
  echo "  c:       $(measure "$WORK/report_c" "$WORK/rows-$N.tsv" "$WORK/c.xlsx")"
done
if [ "${CHECK:-1}" = 1 ]; then
  echo "  wabulk vs c, Messages sheet: $(python3 Benchmarks/report/same_rows.py "$WORK/wabulk.xlsx" "$WORK/c.xlsx")"
fi
