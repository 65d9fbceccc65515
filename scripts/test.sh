#!/usr/bin/env bash
# The whole test suite: installs what it needs, then type-checks, lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec npm test --silent
