#!/usr/bin/env bash
# A year of logs (issue 22): 365 days of 10,000 messages a day as the daemon writes them
# (Benchmarks/history/gen_history.py), compacted by `wabulk compact` as the daemon would on 2026-12-01:
#  1. the log's size before and after (webhook bodies older than 30 days blanked, days older than 7 compressed);
#  2. reports for one day and one week, recent (plain days) and old (compressed days), each side by side in the
#     same run with the same report on a log holding only that period (its days generated alone, compacted the
#     same way), rounds alternating; the workbooks' numbers are compared;
#  3. the curve: the same last-day and last-week reports, `wabulk status` and the daemon's start-up to its first
#     status.json over 30, 90, 180 and 365 days of the same history (hard links of the last N days).
# usage: Benchmarks/history/run.sh   (needs swift build -c release and about 16 GB in $BENCH_DIR; the history is
# generated once, ~10 minutes, and kept)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${WABULK_BIN:-.build/release/wabulk}")
WORK=${BENCH_DIR:-/tmp/wabulk-bench-history}
DAYS=${DAYS:-365}
PER_DAY=${PER_DAY:-10000}
ROUNDS=${ROUNDS:-5}
NOW=2026-12-01T06:00:00.000Z
export WABULK_RAW_WEBHOOK_RETENTION_DAYS=30 WABULK_COMPRESS_LOGS_AFTER_DAYS=7
mkdir -p "$WORK"
FULL="$WORK/full"
if [ ! -f "$FULL/.compacted" ]; then
  rm -rf "$FULL"
  start=$(date +%s)
  python3 Benchmarks/history/gen_history.py "$FULL" "$DAYS" "$PER_DAY"
  echo "generated $DAYS days in $(( $(date +%s) - start )) s"
  du -sb "$FULL/var/log" | cut -f1 > "$FULL/.plain-bytes"
  echo "compact: $(python3 Benchmarks/measure.py -- "$BIN" compact --home "$FULL" --now "$NOW" --json | tr -d '\n')"
  touch "$FULL/.compacted"
fi
before=$(cat "$FULL/.plain-bytes")
after=$(du -sb "$FULL/var/log" | cut -f1)
echo "log of $DAYS days x $PER_DAY messages: $before bytes before compaction, $after after ($(python3 -c "print(f'{$before/$after:.1f}')")x smaller)"

# A home holding only days FIRST..FIRST+COUNT-1 of the history, compacted the same way.
only_home() {  # name first count
  local dir="$WORK/only-$1"
  if [ ! -f "$dir/.compacted" ]; then
    rm -rf "$dir"
    python3 Benchmarks/history/gen_history.py "$dir" "$DAYS" "$PER_DAY" --only "$2" "$3"
    "$BIN" compact --home "$dir" --now "$NOW" > /dev/null
    touch "$dir/.compacted"
  fi
  echo "$dir"
}
day_at() { python3 -c "import datetime; print(datetime.date(2026,11,30) - datetime.timedelta(days=$DAYS-1-$1))"; }
measure() { python3 Benchmarks/measure.py -- "$@" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["seconds"], d["peak_rss_mb"])'; }

report_case() {  # label first count
  local label=$1 first=$2 count=$3
  local from to only
  from=$(day_at "$first"); to=$(day_at $((first + count)))
  only=$(only_home "$label" "$first" "$count")
  # One run each first: the newest days' indexes are built, the files are in the page cache.
  "$BIN" report --home "$FULL" --from "$from" --to "$to" --out "$WORK/full-$label.xlsx" > /dev/null
  "$BIN" report --home "$only" --from "$from" --to "$to" --out "$WORK/only-$label.xlsx" > /dev/null
  # Replies differ by design: the year's log also holds the period's replies to the evening before's messages.
  python3 Benchmarks/history/same_numbers.py "$WORK/full-$label.xlsx" "$WORK/only-$label.xlsx" --except Replies
  local full_times=() only_times=() full_rss only_rss
  for r in $(seq 1 "$ROUNDS"); do
    read -r t m < <(measure "$BIN" report --home "$FULL" --from "$from" --to "$to" --out "$WORK/full-$label.xlsx")
    full_times+=("$t"); full_rss=$m
    read -r t m < <(measure "$BIN" report --home "$only" --from "$from" --to "$to" --out "$WORK/only-$label.xlsx")
    only_times+=("$t"); only_rss=$m
  done
  python3 - "$label" "$from" "$to" "$full_rss" "$only_rss" "${full_times[*]}" "${only_times[*]}" <<'PY'
import statistics, sys
label, frm, to, frss, orss = sys.argv[1:6]
f = [float(x) for x in sys.argv[6].split()]; o = [float(x) for x in sys.argv[7].split()]
mf, mo = statistics.median(f), statistics.median(o)
print(f"report {label} [{frm}, {to}): year of logs {mf:.3f} s ({frss} MB) vs that period alone {mo:.3f} s ({orss} MB): {mf/mo:.2f}x  rounds: {f} / {o}")
PY
}

report_case recent-day $((DAYS - 2)) 1
report_case recent-week $((DAYS - 8)) 7
report_case old-day 180 1
report_case old-week 180 7

# The curve: the last N days of the same (compacted) history, hard-linked.
SP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for N in 30 90 180 $DAYS; do
  H="$WORK/last-$N"
  if [ ! -d "$H" ]; then
    mkdir -p "$H/var/log/index" "$H/var/campaigns" "$H/inbox" "$H/outbox"
    for f in $(ls "$FULL/var/log" | grep '^events-' | sort | tail -n "$((N + 1))"); do ln "$FULL/var/log/$f" "$H/var/log/$f"; done
    for f in $(ls "$FULL/var/log/index" | sort | tail -n "$((N + 1))"); do cp "$FULL/var/log/index/$f" "$H/var/log/index/$f"; done
    for f in $(ls "$FULL/var/campaigns" | sort | tail -n "$N"); do ln "$FULL/var/campaigns/$f" "$H/var/campaigns/$f"; done
  fi
  from=$(day_at $((DAYS - 2))); to=$(day_at $((DAYS - 1))); wfrom=$(day_at $((DAYS - 8)))
  "$BIN" report --home "$H" --from "$from" --to "$to" --out "$WORK/curve.xlsx" > /dev/null
  read -r d dm < <(measure "$BIN" report --home "$H" --from "$from" --to "$to" --out "$WORK/curve.xlsx")
  read -r w wm < <(measure "$BIN" report --home "$H" --from "$wfrom" --to "$to" --out "$WORK/curve.xlsx")
  read -r s sm < <(measure "$BIN" status --home "$H" --json)
  # The daemon: from its start to its first status.json (the status's fold of the log), against a sandbox;
  # its webhook follower has its place at the end of the log, as a daemon that ran before has.
  rm -f "$H/outbox/status.json"
  last=$(ls "$H/var/log" | grep '^events-.*\.jsonl$' | sort | tail -1)
  mkdir -p "$H/var/followers"
  echo "{\"file\":\"$last\",\"offset\":$(stat -c %s "$H/var/log/$last")}" > "$H/var/followers/webhooks.json"
  LP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  start=$(date +%s.%N)
  WABULK_HOME="$H" WHATSAPP_TOKEN=t WHATSAPP_PHONE_NUMBER_ID=106540352242922 WHATSAPP_APP_SECRET=bench \
    WHATSAPP_API_BASE_URL="http://127.0.0.1:$SP" WABULK_LISTEN="127.0.0.1:$LP" WABULK_COMPRESS_LOGS_AFTER_DAYS=0 \
    "$BIN" run --log-level warning > "$WORK/daemon-$N.log" 2>&1 &
  DAEMON=$!
  while [ ! -f "$H/outbox/status.json" ]; do sleep 0.01; done
  up=$(python3 -c "print(f'{$(date +%s.%N) - $start:.3f}')")
  rss=$(grep VmHWM /proc/$DAEMON/status | awk '{print $2}')
  kill -INT $DAEMON; wait $DAEMON || true
  echo "history $N days: report last day $d s ($dm MB), last week $w s ($wm MB), status $s s ($sm MB), daemon start to status.json $up s (peak $((rss / 1024)) MB so far)"
done
