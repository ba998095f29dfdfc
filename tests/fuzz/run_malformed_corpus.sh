#!/usr/bin/env bash
# Runs the malformed corpus (make_malformed_corpus.py) through the tools:
#
#   tests/fuzz/run_malformed_corpus.sh BUILD_DIR OUTDIR
#
#   onnx, nsir   BUILD_DIR/bin/nutshell-opt FILE -O2      (stdout discarded)
#   npy, pb      BUILD_DIR/bin/nutshell-run tests/e2e/Inputs/tiny_dense/model.nsir
#                    --backend=reference --input x=FILE
#
# Every run must exit 0 or 2 within the time limit and print no sanitizer
# report; anything else is a failure, listed with its command and the head of
# its output (kept in OUTDIR/failures/). Prints a table per kind and exits 1
# when any run failed.
#
# Environment: NUTSHELL_MALFORMED_PER_KIND (variants per kind, default 250),
# NUTSHELL_MALFORMED_SEED (default 1), NUTSHELL_MALFORMED_TIMEOUT (seconds per
# run, default 10), NUTSHELL_MALFORMED_JOBS (parallel runs, default nproc),
# PYTHON (default python3). Each run may use at most 4 GiB (ulimit -v, or
# ASan's max_allocation_size_mb in sanitizer builds).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR OUTDIR" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$(cd "$1" && pwd)"
out="$2"
per_kind="${NUTSHELL_MALFORMED_PER_KIND:-250}"
seed="${NUTSHELL_MALFORMED_SEED:-1}"
limit="${NUTSHELL_MALFORMED_TIMEOUT:-10}"
jobs="${NUTSHELL_MALFORMED_JOBS:-$(nproc)}"
python="${PYTHON:-python3}"

for tool in nutshell-opt nutshell-run; do
  if [ ! -x "$build/bin/$tool" ]; then
    echo "$0: $build/bin/$tool is missing (build it first)" >&2
    exit 2
  fi
done

rm -rf "$out"
mkdir -p "$out/results" "$out/failures"
out="$(cd "$out" && pwd)"
"$python" "$here/make_malformed_corpus.py" "$out/corpus" --per-kind "$per_kind" --seed "$seed" >/dev/null

# A sanitizer build gets a report for oversized allocations; others a
# virtual-memory limit (ASan reserves terabytes of address space, so it cannot
# run under ulimit -v).
# (grep reads all its input: with -q it could stop early and, under pipefail,
# fail the pipeline through the writer's SIGPIPE.)
sanitized=0
if ldd "$build/bin/nutshell-opt" 2>/dev/null | grep -e libasan -e libubsan >/dev/null; then
  sanitized=1
elif nm -an "$build/bin/nutshell-opt" 2>/dev/null | grep __asan_init >/dev/null; then
  sanitized=1
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=4096"
export NUTSHELL_RUN_MODEL="$repo/tests/e2e/Inputs/tiny_dense/model.nsir"
export NUTSHELL_BUILD="$build" NUTSHELL_OUT="$out" NUTSHELL_LIMIT="$limit" NUTSHELL_SANITIZED="$sanitized"

# One run: writes results/KIND/NAME as "KIND STATUS RC".
run_one() {
  local file="$1" kind name log rc status
  kind="$(basename "$(dirname "$file")")"
  name="$(basename "$file")"
  log="$NUTSHELL_OUT/results/$kind.$name.log"
  local cmd
  case "$kind" in
    onnx|nsir) cmd=("$NUTSHELL_BUILD/bin/nutshell-opt" "$file" -O2) ;;
    npy|pb) cmd=("$NUTSHELL_BUILD/bin/nutshell-run" "$NUTSHELL_RUN_MODEL" --backend=reference --input "x=$file") ;;
  esac
  set +e
  (
    [ "$NUTSHELL_SANITIZED" = 1 ] || ulimit -v 4194304
    exec timeout -k 5 "$NUTSHELL_LIMIT" "${cmd[@]}" >/dev/null 2>"$log" </dev/null
  )
  rc=$?
  set -e
  if grep -q -e "ERROR: AddressSanitizer" -e "ERROR: LeakSanitizer" -e "runtime error:" \
       -e "UndefinedBehaviorSanitizer" "$log" 2>/dev/null; then
    status=crash
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    status=hang
  elif [ "$rc" -eq 0 ]; then
    status=exit0
  elif [ "$rc" -eq 2 ]; then
    status=exit2
  else
    status=crash
  fi
  echo "$kind $status $rc" >"$NUTSHELL_OUT/results/$kind.$name.result"
  if [ "$status" = crash ] || [ "$status" = hang ]; then
    {
      echo "command: ${cmd[*]}"
      echo "exit status: $rc ($status)"
      cat "$log"
    } >"$NUTSHELL_OUT/failures/$kind.$name.txt"
    cp "$file" "$NUTSHELL_OUT/failures/"
    [ -f "$file.weights" ] && cp "$file.weights" "$NUTSHELL_OUT/failures/"
  fi
  rm -f "$log"
}
export -f run_one

start=$(date +%s)
find "$out/corpus" -type f ! -name '*.weights' | sort | xargs -P "$jobs" -n 1 bash -c 'run_one "$0"'
elapsed=$(( $(date +%s) - start ))

echo "malformed corpus: $per_kind variants per kind (seed $seed), ${limit}s per run, $jobs in parallel, ${elapsed}s"
cat "$out"/results/*.result | awk '
  { count[$1]++; n[$1, $2]++; total[$2]++; all++ }
  END {
    printf "%-6s %6s %6s %6s %8s %6s\n", "kind", "count", "exit0", "exit2", "crashes", "hangs"
    split("onnx nsir npy pb", kinds, " ")
    for (i = 1; i <= 4; i++) {
      k = kinds[i]
      printf "%-6s %6d %6d %6d %8d %6d\n", k, count[k], n[k, "exit0"], n[k, "exit2"], n[k, "crash"], n[k, "hang"]
    }
    printf "%-6s %6d %6d %6d %8d %6d\n", "all", all, total["exit0"], total["exit2"], total["crash"], total["hang"]
  }'

failures=$(find "$out/failures" -name '*.txt' | sort)
if [ -n "$failures" ]; then
  echo
  echo "FAILED: $(echo "$failures" | wc -l) runs crashed or hung; inputs and output in $out/failures/"
  for f in $failures; do
    echo "---- $(basename "$f" .txt)"
    head -n 3 "$f"
    grep -m 3 -e "ERROR: AddressSanitizer" -e "runtime error:" -e "^    #[0-3] " "$f" || true
  done
  exit 1
fi
echo "malformed corpus: every run exited 0 or 2"
