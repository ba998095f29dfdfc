#!/usr/bin/env bash
# Set up (scripts/bootstrap.sh), then run every test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
# The compile cache of the tests stays in the build folder, not in ~/.cache.
export NUTSHELL_CACHE_DIR="${NUTSHELL_CACHE_DIR:-$PWD/build/compile-cache}"
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
