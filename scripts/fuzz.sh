#!/usr/bin/env bash
# Fuzzes the readers of outside input with libFuzzer + AddressSanitizer (issue #17, docs/SECURITY.md).
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]   (targets: csv xlsx manifest webhook eventLine)
# Seeds come from Fuzz/corpus/TARGET/ (committed); what libFuzzer learns goes to .build-fuzz/corpus/TARGET/;
# a crash, leak or timeout is saved in Fuzz/crashes/TARGET/, where FuzzRegressionTests replays it in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-600}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(csv xlsx manifest webhook eventLine)

swift build --package-path Fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address 2>&1 | tail -1
BIN=.build-fuzz/debug/wabulk-fuzz
# Swift's crash reporter under ASan reports itself instead of the bug (swift-notes.md).
export SWIFT_BACKTRACE=enable=no
# One known leak in a dependency (Fuzz/lsan.supp says which and why); every other leak fails the run.
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0"
status=0
for target in "${TARGETS[@]}"; do
  mkdir -p ".build-fuzz/corpus/$target" "Fuzz/crashes/$target"
  log=".build-fuzz/$target.log"
  echo "fuzz: $target for ${SECONDS_EACH}s (log: $log)"
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: one input may not take 2 GB.
  if FUZZ_TARGET="$target" "$BIN" ".build-fuzz/corpus/$target" "Fuzz/corpus/$target" \
      -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
      -artifact_prefix="Fuzz/crashes/$target/" -print_final_stats=1 >"$log" 2>&1; then
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$log" | tr '\n' ' '; echo
  else
    status=1
    echo "fuzz: $target FOUND A PROBLEM:"; grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
  fi
done
exit $status
