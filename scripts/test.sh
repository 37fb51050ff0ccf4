#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit, integration, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-tests.sh
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
