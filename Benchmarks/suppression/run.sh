#!/usr/bin/env bash
# Suppression benchmark (issue 16): sending throughput with 100,000 opted-out numbers in the suppression set
# against the same run without them, alternating rounds on one machine (it is shared and noisy: the ratio of
# neighbouring runs is the figure). Each run is Benchmarks/sending/run.sh's wide-open phase.
# usage: Benchmarks/suppression/run.sh [MESSAGES] [OPTED_OUT]   (ROUNDS=3; needs: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
OUT=${2:-100000}
for round in $(seq 1 "${ROUNDS:-3}"); do
  # Every second round the other order, so neither variant always runs on a warmer machine.
  order="0 $OUT"; [ $((round % 2)) -eq 0 ] && order="$OUT 0"
  for n in $order; do
    result=$(OPTED_OUT=$n BASELINE=0 IDLE_SECONDS=0 Benchmarks/sending/run.sh "$N" | grep '"wabulk_sent"')
    echo "round $round: $result"
  done
done
