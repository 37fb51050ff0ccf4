#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit, integration, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-tests.sh
# The tree is kept formatted (.swift-format, Hummingbird's settings); `swift format format -i -r Sources Tests
# Fuzz/Sources Package.swift` fixes what this finds.
swift format lint --strict -r --parallel Sources Tests Fuzz/Sources Package.swift
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
