#!/usr/bin/env bash
# Set up (scripts/bootstrap.sh), then run every test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
