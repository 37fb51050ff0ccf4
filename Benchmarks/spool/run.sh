#!/usr/bin/env bash
# Spooling benchmark (issue 4): `wabulk campaign plan` (the inbox's code path) for N recipients, seconds and
# peak RSS, beside a hand-rolled spool that fsyncs every job file (Benchmarks/spool/baseline_python.py).
# usage: Benchmarks/spool/run.sh [N ...]   (default: 100000 1000000; needs swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${WABULK_BIN:-.build/release/wabulk}
WORK=${BENCH_DIR:-/tmp/wabulk-bench-spool}
SIZES=${*:-100000 1000000}
for N in $SIZES; do
  rm -rf "$WORK"; mkdir -p "$WORK/home"
  python3 - "$N" > "$WORK/contacts.csv" <<'PY'
import sys
print("Name,Phone")
for i in range(int(sys.argv[1])): print(f"P{i},+9194{i:08d}")
PY
  "$BIN" contacts import --home "$WORK/home" "$WORK/contacts.csv" > /dev/null
  echo '{"id": "bench", "template": {"name": "t", "language": "en"}, "audience": {"all": true}, "variables": {"body": ["{name}"]}}' > "$WORK/bench.json"
  sync
  echo "N=$N wabulk:   $(python3 Benchmarks/measure.py -- "$BIN" campaign plan --home "$WORK/home" --json "$WORK/bench.json" | tr -d '\n')"
  echo "N=$N spool holds $(sqlite3 "$WORK/home/var/spool/jobs.sqlite" "SELECT COUNT(*) FROM jobs WHERE state = 'ready'") ready jobs"
  if [ "$N" -le "${BASELINE_MAX:-100000}" ]; then
    sync
    echo "N=$N baseline: $(python3 Benchmarks/measure.py -- python3 Benchmarks/spool/baseline_python.py "$N" "$WORK/baseline" | tr -d '\n')"
  fi
done
