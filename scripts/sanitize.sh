#!/usr/bin/env bash
# The sanitizer build: g++ with AddressSanitizer + UBSan (NUTSHELL_SANITIZE=ON)
# and libstdc++'s assertions, RelWithDebInfo, in build-asan/; then the whole
# ctest suite there (fuzz regression corpora and the malformed corpus
# included), halting on the first report. Arguments go to ctest
# (e.g. -R fuzz_ or -LE malformed). Needs the packages scripts/bootstrap.sh
# installs. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
build=build-asan

if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null || ! command -v g++ >/dev/null; then
  ./scripts/bootstrap.sh
fi

# ccache: clones in other folders share the cache.
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=1
start=$(date +%s)
# RelWithDebInfo with line tables only (-g1): sanitizer reports keep function,
# file and line, and the LLVM-heavy sources compile in about half the time
# of full debug info.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNUTSHELL_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS="-D_GLIBCXX_ASSERTIONS" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  ${NUTSHELL_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "sanitize: built in $(( $(date +%s) - start ))s"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# The compile cache of the tests stays in the build folder, not in ~/.cache.
export NUTSHELL_CACHE_DIR="${NUTSHELL_CACHE_DIR:-$PWD/$build/compile-cache}"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
