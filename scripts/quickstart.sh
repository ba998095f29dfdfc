#!/usr/bin/env bash
# The main job on a bundled example: set up and build (scripts/bootstrap.sh),
# compile the seed's traffic-sign network to a native executable, run it on a
# bundled input image and print the class scores and the timing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh

model=tests/models/trafficsign/model.onnx
input=examples/data/trafficsign_input.npy
mkdir -p build/quickstart
echo "== nutshell-compile $model -> build/quickstart/trafficsign"
build/bin/nutshell-compile "$model" --input-shape x=1x3x32x32 -o build/quickstart/trafficsign
echo "== build/quickstart/trafficsign --input x=$input"
build/quickstart/trafficsign --input x="$input" --output y=build/quickstart/scores.npy --print --bench 100
