#!/usr/bin/python3
"""Export the model zoo (bench/zoo.py: torchvision and torch.nn, random weights,
fixed seed) to ONNX.

    export_zoo.py OUT_DIR [--models a,b,...] [--opsets 13,17] [--seed S] [--force]

For each opset V and model M it writes, in the ONNX backend-test layout the
other benchmark models use:
    OUT_DIR/opsetV/M/model.onnx                    input 'x' with a symbolic batch dim N
    OUT_DIR/opsetV/M/test_data_set_0/input_0.pb    a random batch of 2
    OUT_DIR/opsetV/M/test_data_set_0/output_0.pb   PyTorch's output for it
    OUT_DIR/opsetV/M/torch_state.pt                the state dict (the PyTorch peer loads it)
A model already exported (model.onnx newer than this script and zoo.py) is
kept unless --force. Models are exported in eval mode, so the exporter folds
each BatchNormalization into the convolution before it, as an inference
compiler sees them in practice.

Needs Debian's python3-torch, python3-torchvision and python3-onnx (they belong
to /usr/bin/python3).
"""

import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch

import zoo


def up_to_date(path):
    if not os.path.exists(path):
        return False
    here = os.path.dirname(os.path.abspath(__file__))
    sources = [os.path.join(here, f) for f in ("export_zoo.py", "zoo.py")]
    return all(os.path.getmtime(path) > os.path.getmtime(s) for s in sources)


def write_pb(array, name, path):
    tensor = numpy_helper.from_array(np.ascontiguousarray(array), name=name)
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def export(name, opset, seed, out_dir):
    model = zoo.build(name, seed)
    data_dir = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    generator = torch.Generator().manual_seed(seed + 2)
    example = torch.randn(*zoo.input_shape(name, 2), generator=generator)
    # Exported with autograd on: torch's fused attention fast paths (taken under
    # no_grad in eval mode) have no ONNX form, the plain modules do.
    torch.onnx.export(model, (example,), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=opset,
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    with torch.no_grad():
        expected = model(example)
    onnx.checker.check_model(onnx.load(path))
    write_pb(example.numpy(), "x", os.path.join(data_dir, "input_0.pb"))
    write_pb(expected.numpy(), "y", os.path.join(data_dir, "output_0.pb"))
    torch.save(model.state_dict(), os.path.join(out_dir, "torch_state.pt"))
    return sorted({node.op_type for node in onnx.load(path, load_external_data=False).graph.node})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--models", default=",".join(zoo.MODELS))
    parser.add_argument("--opsets", default="13,17")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()

    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in zoo.MODELS]
    if unknown:
        sys.exit(f"export_zoo.py: unknown model(s) {', '.join(unknown)}; the zoo has {', '.join(zoo.MODELS)}")
    failed = []
    for opset in (int(v) for v in args.opsets.split(",")):
        for name in names:
            out_dir = os.path.join(args.out_dir, f"opset{opset}", name)
            if not args.force and up_to_date(os.path.join(out_dir, "model.onnx")):
                continue
            start = time.perf_counter()
            try:
                ops = export(name, opset, args.seed, out_dir)
            except Exception as error:  # noqa: BLE001 - one failed export must not stop the others
                failed.append(f"{name} (opset {opset}): {str(error).splitlines()[0] if str(error) else repr(error)}")
                print(f"export_zoo.py: {failed[-1]}", file=sys.stderr)
                continue
            print(f"exported {name} (seed {args.seed}, opset {opset}, {time.perf_counter() - start:.1f} s) "
                  f"to {out_dir}: ops {', '.join(ops)}", file=sys.stderr)
    if failed:
        sys.exit(f"export_zoo.py: {len(failed)} export(s) failed")


if __name__ == "__main__":
    main()
