#!/usr/bin/env bash
# Alternating before/after runs of the report, webhook and sending benchmarks for two release binaries, so
# both see the same machine in the same hour (it is shared and noisy: only the ratios mean anything).
# usage: Benchmarks/compare.sh OLD_BIN NEW_BIN   (the report needs /tmp/wbr from
#        `python3 Benchmarks/report/gen_events.py 1000000 /tmp/wbr/home /tmp/wbr/rows.tsv`; webhooks need wrk and
#        nodejs, sending pip's requests)
set -uo pipefail
cd "$(dirname "$0")/.."
OLD=$1
NEW=$2
pick() { [ "$1" = old ] && echo "$OLD" || echo "$NEW"; }
for b in old new old new; do
  echo "report $b: $(python3 Benchmarks/measure.py -- "$(pick $b)" report --home /tmp/wbr/home --out /tmp/wbr/$b.xlsx --json 2>&1 | tail -1)"
done
for b in old new new old; do
  echo "webhooks $b:"; ROUNDS=1 WABULK_BIN="$(pick $b)" Benchmarks/webhooks/run.sh 10 2>&1 | tail -8
done
for b in old new new old old new; do
  echo "sending $b:"; BASELINE=0 IDLE_SECONDS=5 WABULK_BIN="$(pick $b)" Benchmarks/sending/run.sh 10000 2>&1 | tail -6
done
