#!/usr/bin/env bash
# Installs what is missing (Debian packages) and builds nutshell (Release) in build/.
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ ccache python3 llvm-19-dev libfmt-dev catch2 libonnx-dev
          libprotobuf-dev protobuf-compiler libonnx-testdata libzstd-dev libxml2-dev graphviz)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "nutshell: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${NUTSHELL_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "$(nproc)"
