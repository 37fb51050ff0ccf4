#!/usr/bin/env bash
# Contact import benchmark (issue 3): wabulk vs a Python script vs a plain C++ program, same files,
# same machine, same run; into an empty registry and into a full one (a re-export of the same numbers).
# usage: Benchmarks/import/run.sh [ROWS]   (default 1000000; needs a release build: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
WORK=${BENCH_DIR:-/tmp/wabulk-bench-import}
mkdir -p "$WORK"
BIN=${WABULK_BIN:-.build/release/wabulk}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
g++ -O2 -std=c++17 Benchmarks/import/import_cpp.cpp -o "$WORK/import_cpp" -lcsv -lphonenumber -lprotobuf -lsqlite3
[ -f "$WORK/a-$ROWS.csv" ] || python3 Benchmarks/import/gen_contacts.py "$ROWS" "$WORK/a-$ROWS.csv"
[ -f "$WORK/b-$ROWS.csv" ] || python3 Benchmarks/import/gen_contacts.py "$ROWS" "$WORK/b-$ROWS.csv" --variant 2
XLSX_ROWS=${XLSX_ROWS:-100000}
[ -f "$WORK/c-$XLSX_ROWS.xlsx" ] || python3 Benchmarks/import/gen_xlsx.py "$WORK/a-$ROWS.csv" "$XLSX_ROWS" "$WORK/c-$XLSX_ROWS.xlsx"

measure() { python3 Benchmarks/measure.py -- "$@"; }
summary() { python3 -c 'import json,sys; d=json.load(sys.stdin); o=json.loads(d.pop("output")); d["summary"]={k:o["summary"][k] for k in ("inserted","updated","duplicatesInFile","rejected")}; print(json.dumps(d))'; }
for round in $(seq 1 "${ROUNDS:-1}"); do
  rm -rf "$WORK/home" "$WORK/py.sqlite"* "$WORK/cpp.sqlite"*
  mkdir -p "$WORK/home"
  echo "round $round, $ROWS rows"
  echo "  wabulk  empty: $(measure "$BIN" contacts import --home "$WORK/home" --json "$WORK/a-$ROWS.csv" | summary)"
  echo "  python  empty: $(measure python3 Benchmarks/import/import_python.py "$WORK/a-$ROWS.csv" "$WORK/py.sqlite")"
  echo "  c++     empty: $(measure "$WORK/import_cpp" "$WORK/a-$ROWS.csv" "$WORK/cpp.sqlite")"
  echo "  wabulk  full:  $(measure "$BIN" contacts import --home "$WORK/home" --json "$WORK/b-$ROWS.csv" | summary)"
  echo "  python  full:  $(measure python3 Benchmarks/import/import_python.py "$WORK/b-$ROWS.csv" "$WORK/py.sqlite")"
  echo "  c++     full:  $(measure "$WORK/import_cpp" "$WORK/b-$ROWS.csv" "$WORK/cpp.sqlite")"
  rm -rf "$WORK/home-x" "$WORK/pyx.sqlite"*
  mkdir -p "$WORK/home-x"
  echo "  wabulk  xlsx:  $(measure "$BIN" contacts import --home "$WORK/home-x" --json "$WORK/c-$XLSX_ROWS.xlsx" | summary)"
  echo "  python  xlsx:  $(measure python3 Benchmarks/import/import_python.py "$WORK/c-$XLSX_ROWS.xlsx" "$WORK/pyx.sqlite")"
done
