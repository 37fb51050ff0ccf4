#!/usr/bin/env bash
# A year-long report over a year of logs (issue 22), with and without the days' snapshots, in the same run.
# Uses the history Benchmarks/history/run.sh generated and compacted (365 days x 10,000 messages in
# $BENCH_DIR/full). `wabulk compact` writes the snapshots of the compressed days that lack one (timed, once);
# then the report of the whole year runs ROUNDS times each way, alternating: with the snapshots, and with them
# moved aside (the days read whole, as before snapshots). The workbooks' numbers are compared.
# usage: Benchmarks/history/year.sh   (needs swift build -c release, openpyxl, and run.sh's history)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${WABULK_BIN:-.build/release/wabulk}")
WORK=${BENCH_DIR:-/tmp/wabulk-bench-history}
ROUNDS=${ROUNDS:-2}
NOW=2026-12-01T06:00:00.000Z
FULL="$WORK/full"
INDEX="$FULL/var/log/index"
ASIDE="$WORK/snapshots-aside"
[ -f "$FULL/.compacted" ] || { echo "run Benchmarks/history/run.sh first (it generates the history)" >&2; exit 1; }
export WABULK_RAW_WEBHOOK_RETENTION_DAYS=30 WABULK_COMPRESS_LOGS_AFTER_DAYS=7
measure() { python3 Benchmarks/measure.py -- "$@" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["seconds"], d["peak_rss_mb"])'; }
# Snapshots put back if an earlier run stopped with them aside.
mkdir -p "$ASIDE"
find "$ASIDE" -name '*.snapshot.jsonl*' -exec mv -t "$INDEX" {} +
echo "compact (snapshots of the days lacking one): $(python3 Benchmarks/measure.py -- "$BIN" compact --home "$FULL" --now "$NOW" --json | tr -d '\n')"
days=$(find "$INDEX" -name '*.snapshot.jsonl.zst' | wc -l)
snap_bytes=$(find "$INDEX" -name '*.snapshot.jsonl.zst' -printf '%s\n' | awk '{s+=$1} END {print s}')
day_bytes=$(find "$FULL/var/log" -maxdepth 1 -name 'events-*.jsonl*' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "snapshots: $days days, $snap_bytes bytes compressed (the days: $day_bytes bytes compressed)"
year() { measure "$BIN" report --home "$FULL" --from 2025-12-01 --to 2026-12-01 --out "$WORK/year-$1.xlsx"; }
with=() without=()
for round in $(seq "$ROUNDS"); do
  for way in $([ $((round % 2)) = 1 ] && echo "with without" || echo "without with"); do
    if [ "$way" = without ]; then find "$INDEX" -name '*.snapshot.jsonl*' -exec mv -t "$ASIDE" {} +; fi
    read -r t m < <(year "$way")
    if [ "$way" = without ]; then find "$ASIDE" -name '*.snapshot.jsonl*' -exec mv -t "$INDEX" {} +; fi
    echo "round $round, $way snapshots: $t s, peak RSS $m MB"
    if [ "$way" = with ]; then with+=("$t"); else without+=("$t"); fi
  done
done
python3 - "${with[*]}" "${without[*]}" <<'PY'
import statistics, sys
w = [float(x) for x in sys.argv[1].split()]; o = [float(x) for x in sys.argv[2].split()]
print(f"year-long report: with snapshots {statistics.mean(w):.2f} s, without {statistics.mean(o):.2f} s: {statistics.mean(o)/statistics.mean(w):.2f}x faster")
PY
python3 Benchmarks/history/same_numbers.py "$WORK/year-with.xlsx" "$WORK/year-without.xlsx"
