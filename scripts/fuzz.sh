#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-19 in build-fuzz/ and
# runs each for SECONDS (default 60) from its seed corpus with its dictionary.
# Fails when a fuzzer finds a crash, a leak, a timeout or an out-of-memory;
# the input that did it is written to build-fuzz/crashes/TARGET/ (printed).
#
#   scripts/fuzz.sh [SECONDS]
#
# Environment:
#   NUTSHELL_FUZZ_TARGETS  targets to build and run (default: all four)
#   NUTSHELL_FUZZ_JOBS     fuzzers run at the same time (default 2)
#   NUTSHELL_FUZZ_BUILD_ONLY=1  build, do not run
# The corpus each run grows is kept in build-fuzz/corpus/TARGET/ and is the
# starting point of the next run. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
seconds="${1:-60}"
targets=(${NUTSHELL_FUZZ_TARGETS:-nsir_fuzzer onnx_fuzzer tensor_fuzzer aot_input_fuzzer})
jobs="${NUTSHELL_FUZZ_JOBS:-2}"
build=build-fuzz

# ---- packages (as scripts/bootstrap.sh installs them) ---------------------------
packages=(clang-19 libclang-rt-19-dev cmake ninja-build ccache python3 llvm-19-dev libfmt-dev catch2 libonnx-dev
          libprotobuf-dev protobuf-compiler libonnx-testdata)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ---- build --------------------------------------------------------------------------
# The fuzz targets need the IR, passes, ONNX importer and runtime only: no LLVM
# backend (JIT code would not be instrumented anyway) and no CUDA.
# _GLIBCXX_ASSERTIONS turns out-of-range operator[] on std containers into
# crashes the fuzzer sees even where ASan would not (inside capacity).
# -g1: line tables only, enough for the reports' stack traces.
# ccache: clones in other folders share the cache.
export CCACHE_BASEDIR="$repo" CCACHE_NOHASHDIR=1
start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_CXX_FLAGS="-D_GLIBCXX_ASSERTIONS" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DNUTSHELL_FUZZ=ON -DNUTSHELL_WITH_LLVM=OFF -DNUTSHELL_WITH_CUDA=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
echo "fuzz: built ${targets[*]} in $(( $(date +%s) - start ))s"
[ "${NUTSHELL_FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# ---- run ------------------------------------------------------------------------------
node_tests=/usr/share/libonnx-testdata/data/node   # the ONNX conformance models (tests/CMakeLists.txt)

# Per target: max input length, dictionary, extra seed folders (read only).
options_for() {
  case "$1" in
    nsir_fuzzer) echo "-max_len=16384 -dict=tests/fuzz/nsir.dict" ;;
    onnx_fuzzer) echo "-max_len=131072 -dict=tests/fuzz/onnx.dict" ;;
    tensor_fuzzer) echo "-max_len=65536 -dict=tests/fuzz/tensor.dict" ;;
    aot_input_fuzzer) echo "-max_len=65536 -dict=tests/fuzz/tensor.dict" ;;
  esac
}
seeds_for() {
  case "$1" in
    nsir_fuzzer) echo "tests/lit tests/e2e/Inputs" ;;
    onnx_fuzzer) echo "$build/seeds/onnx_fuzzer $( [ -d $node_tests ] && echo $node_tests )" ;;
    tensor_fuzzer) echo "$build/seeds/tensor_fuzzer examples/data $( [ -d $node_tests ] && echo $node_tests )" ;;
    aot_input_fuzzer) echo "" ;;
  esac
}
# The repository's models (small enough for -max_len) as an onnx seed folder,
# their test data as tensor seeds.
mkdir -p "$build/seeds/onnx_fuzzer" "$build/seeds/tensor_fuzzer"
for m in logreg trafficsign lstm lenet5; do
  cp -f "tests/models/$m/model.onnx" "$build/seeds/onnx_fuzzer/$m.onnx"
  for f in tests/models/$m/test_data_set_0/*.pb; do cp -f "$f" "$build/seeds/tensor_fuzzer/$m-$(basename "$f")"; done
done
cp -f tests/e2e/Inputs/tiny_dense/test_data_set_0/*.pb "$build/seeds/tensor_fuzzer/"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

run_target() {
  local t="$1" corpus="$build/corpus/$1" crashes="$build/crashes/$1/" log="$build/logs/$1.log"
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  # shellcheck disable=SC2046
  nice -n 10 "$build/bin/$t" $(options_for "$t") -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes" \
    "$corpus" "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t" $(seeds_for "$t") >"$log" 2>&1
}

echo "fuzz: running ${targets[*]} for ${seconds}s each, $jobs at a time (logs in $build/logs/)"
declare -A status
pending=("${targets[@]}")
while [ ${#pending[@]} -gt 0 ]; do
  batch=("${pending[@]:0:$jobs}")
  pending=("${pending[@]:$jobs}")
  declare -A pids=()
  for t in "${batch[@]}"; do
    run_target "$t" &
    pids[$t]=$!
  done
  for t in "${batch[@]}"; do
    if wait "${pids[$t]}"; then status[$t]=0; else status[$t]=$?; fi
  done
  unset pids
done

failed=0
printf "%-18s %8s %10s %8s %8s %8s  %s\n" target execs execs/s cov ft rss_mb result
for t in "${targets[@]}"; do
  log="$build/logs/$t.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  if [ "${status[$t]}" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit ${status[$t]}; input in $build/crashes/$t/)"
    failed=1
  fi
  printf "%-18s %8s %10s %8s %8s %8s  %s\n" "$t" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "${rss:--}" "$result"
done
if [ "$failed" -ne 0 ]; then
  for t in "${targets[@]}"; do
    [ "${status[$t]}" -eq 0 ] && continue
    echo
    echo "---- $t ($build/logs/$t.log)"
    grep -m 1 -B 2 -A 25 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|==ERROR|deadly signal" \
      "$build/logs/$t.log" || tail -n 30 "$build/logs/$t.log"
    ls "$build/crashes/$t/"
  done
  echo
  echo "fuzz: a fuzzer failed; minimise its input with: $build/bin/TARGET -minimize_crash=1 -runs=10000 FILE,"
  echo "      and keep it in tests/fuzz/regressions/TARGET/ (docs/fuzzing.md)"
  exit 1
fi
echo "fuzz: no crash"
