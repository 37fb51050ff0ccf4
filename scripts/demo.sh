#!/usr/bin/env bash
# Sets up a fresh machine, builds wabulk and runs the demo against the built-in sandbox.
# The repository is the home folder: the report lands in outbox/reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build
.build/debug/wabulk demo --home "${WABULK_HOME:-$PWD}" "$@"
