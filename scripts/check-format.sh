#!/usr/bin/env bash
# Checks that C++ lines changed since the formatting base are formatted with
# the repo's .clang-format (git clang-format: changed lines only, so older
# code is reformatted as it is touched, not in one sweeping commit).
#   scripts/check-format.sh [BASE]   (default: the commit in .ci/format-base)
# Prints the diff that would fix it and exits 1 when something is unformatted.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-$(tr -d '[:space:]' < .ci/format-base)}"
if ! command -v git-clang-format >/dev/null; then
  echo "check-format: installing clang-format"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clang-format >/dev/null
fi
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  echo "check-format: base commit $base is not in this clone (shallow?); checking the last commit only"
  base="HEAD~1"
fi
diff="$(git clang-format --diff "$base" -- '*.cpp' '*.h' ':!tests/fuzz/corpus' ':!tests/fuzz/regressions' || true)"
if [ -z "$diff" ] || [[ "$diff" == *"no modified files to format"* ]] || [[ "$diff" == *"did not modify any files"* ]]; then
  echo "check-format: C++ lines changed since ${base:0:12} are formatted"
  exit 0
fi
echo "$diff"
echo "check-format: the lines above are not formatted; run: git clang-format $base"
exit 1
