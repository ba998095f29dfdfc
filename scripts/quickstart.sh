#!/usr/bin/env bash
# The main job on a bundled example: set up and build (scripts/bootstrap.sh),
# compile a trained LeNet-5 (handwritten digits, examples/digits/) to a native
# executable and run it on the 360 held-out digits it never saw in training:
# it prints predictions beside the true labels, the accuracy and the time per
# image.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh

model=examples/digits/model.onnx
mkdir -p build/quickstart
echo "== nutshell-compile $model -> build/quickstart/digits"
build/bin/nutshell-compile "$model" --input-shape x=1x1x8x8 -o build/quickstart/digits
echo "== build/quickstart/digits on the held-out digits (examples/digits/test_x.npy, one image per run)"
build/quickstart/digits --input x=examples/digits/test_x.npy --labels examples/digits/test_y.npy --bench 20
