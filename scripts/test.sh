#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit, integration, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-tests.sh
# The tree is kept formatted (.swift-format, Hummingbird's settings); `swift format format -i -r Sources Tests
# Fuzz/Sources Package.swift` fixes what this finds.
swift format lint --strict -r --parallel Sources Tests Fuzz/Sources Package.swift
swift build --build-tests
if [ $# -gt 0 ]; then exec swift test --skip-build --disable-xctest "$@"; fi
# The progress test imports a million rows in a terminal: both cores for half a minute, which starves other
# tests' timers and servers. It runs alone, after the rest.
swift test --skip-build --disable-xctest --skip ProgressTests
swift test --skip-build --disable-xctest --filter ProgressTests
