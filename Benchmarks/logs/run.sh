#!/usr/bin/env bash
# `wabulk logs` benchmark (issue 21): "which messages of this campaign failed?" over the report benchmark's
# event log of MESSAGES messages (default 1,000,000; Benchmarks/report/gen_events.py, line for line as the
# daemon writes it, raw webhook bodies included), side by side in the same run with what a competent operator
# would type instead: jq over the day files, and a grep pipeline. The answers are compared: wabulk's and jq's
# records must be the same lines.
# usage: Benchmarks/logs/run.sh [MESSAGES]   (needs: swift build -c release; jq)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
BIN=${WABULK_BIN:-.build/release/wabulk}
WORK=${BENCH_DIR:-/tmp/wabulk-bench-report}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
command -v jq >/dev/null || { echo "needs jq (apt install jq)" >&2; exit 1; }
mkdir -p "$WORK"
if [ ! -d "$WORK/home-$N/var/log" ]; then
  python3 Benchmarks/report/gen_events.py "$N" "$WORK/home-$N" "$WORK/rows-$N.tsv"
fi
HOME_DIR="$WORK/home-$N"
C=diwali-offer
echo "event log: $(du -h "$HOME_DIR/var/log" | tail -1 | cut -f1), $(cat "$HOME_DIR"/var/log/*.jsonl | wc -l) lines"
measure() { sync; python3 Benchmarks/measure.py -- "$@"; }
# jq: status events of the campaign (by its field, or by the job id a webhook carries) that failed.
JQ='select(.kind == "status" and .status == "failed" and (.campaign == "'$C'" or ((.job // "") | startswith("'$C'."))))'
for round in $(seq 1 "${ROUNDS:-1}"); do
  echo "round $round, $N messages"
  echo "  wabulk: $(measure sh -c "'$BIN' logs --home '$HOME_DIR' --campaign $C --status failed --json > '$WORK/logs-wabulk.jsonl'")"
  echo "  jq:     $(measure sh -c "jq -c '$JQ' '$HOME_DIR'/var/log/*.jsonl > '$WORK/logs-jq.jsonl'")"
  echo "  grep:   $(measure sh -c "grep -hF '\"kind\":\"status\"' '$HOME_DIR'/var/log/*.jsonl | grep -F '\"status\":\"failed\"' | grep -F '$C' > '$WORK/logs-grep.jsonl'")"
done
echo "  records: wabulk $(wc -l < "$WORK/logs-wabulk.jsonl"), jq $(wc -l < "$WORK/logs-jq.jsonl"), grep $(wc -l < "$WORK/logs-grep.jsonl")"
if cmp -s <(sort "$WORK/logs-wabulk.jsonl") <(sort "$WORK/logs-jq.jsonl"); then echo "  wabulk and jq: the same records"; else echo "  wabulk and jq DIFFER"; exit 1; fi
