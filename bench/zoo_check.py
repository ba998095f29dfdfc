"""Does every zoo model import and match ONNX Runtime? (started by bench/run --zoo-check)

    zoo_check.py --tool nutshell-run --zoo-dir DIR [--models a,b] [--opsets 13,17]
                 [--markdown docs/onnx-coverage.md] [--json FILE]

For every exported model DIR/opsetV/M (export_zoo.py) it
  1. runs ONNX Runtime on the test input and writes its output as a second
     test data set (DIR/opsetV/M/ort_data_set/), so nutshell is compared with
     ONNX Runtime, not only with PyTorch;
  2. runs `nutshell-run MODEL --test-data ort_data_set` (CPU backend, -O2) at
     rtol 1e-3, atol 1e-4 (deep nets sum many terms; Winograd and FFT round
     differently from a direct sum) and records what it printed: the errors,
     or why the model did not import (every unsupported op and operand at once).
The table replaces the "## Model zoo" section at the end of the markdown file
(the conformance runner keeps that section when it rewrites the rest).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

try:
    import onnxruntime
except ImportError:
    onnxruntime = None

RTOL, ATOL = 1e-3, 1e-4
SECTION = "## Model zoo"


def load_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def write_pb(array, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name=name).SerializeToString())


def ort_data_set(folder):
    """Writes ONNX Runtime's output for the test input; returns (dir, max |ort - torch|)."""
    source = os.path.join(folder, "test_data_set_0")
    target = os.path.join(folder, "ort_data_set")
    os.makedirs(target, exist_ok=True)
    shutil.copyfile(os.path.join(source, "input_0.pb"), os.path.join(target, "input_0.pb"))
    session = onnxruntime.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
    x = load_pb(os.path.join(source, "input_0.pb"))
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    write_pb(got, session.get_outputs()[0].name, os.path.join(target, "output_0.pb"))
    torch_out = load_pb(os.path.join(source, "output_0.pb"))
    return target, float(np.max(np.abs(got - torch_out)))


def run_nutshell(tool, folder, data_dir):
    # The input's shape bound at import, as a user compiling for a batch does
    # (GRU and RNN unroll over their sequence, which needs static shapes).
    x = load_pb(os.path.join(data_dir, "input_0.pb"))
    argv = [tool, os.path.join(folder, "model.onnx"), "--input-shape", "x=" + "x".join(str(d) for d in x.shape),
            "--test-data", data_dir, "--rtol", str(RTOL), "--atol", str(ATOL), "--no-cache"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "detail": "timed out after 900 s"}
    text = done.stdout + done.stderr
    errors = re.findall(r"max_abs_err=(\S+) max_rel_err=(\S+)", text)
    if done.returncode == 0:
        return {"status": "ok", "max_abs_err": max(float(a) for a, _ in errors) if errors else None}
    if done.returncode == 1 and errors:
        return {"status": "mismatch", "max_abs_err": max(float(a) for a, _ in errors)}
    lines = [l.strip() for l in done.stderr.splitlines() if l.strip()]
    return {"status": "error", "detail": summarize_error(lines)}


def summarize_error(lines):
    """The error in one table cell: its first line that says error (the
    importer's lists every unsupported op and operand at once)."""
    reasons = [l for l in lines if "error" in l.lower()] or lines or ["no output"]
    return reasons[0][:200].replace("|", "\\|")


def model_ops(folder):
    graph = onnx.load(os.path.join(folder, "model.onnx"), load_external_data=False).graph
    return sorted({n.op_type for n in graph.node} - {"Constant", "Identity"})


def markdown(rows):
    ok = sum(r["status"] == "ok" for r in rows)
    lines = [SECTION, "",
             "Whole models, written by `bench/run --zoo-check` (`bench/zoo_check.py`): the zoo of `bench/zoo.py` "
             "(torchvision and torch.nn, random weights, seed 0), exported by `bench/export_zoo.py` at opsets 13 "
             "and 17, each run by `nutshell-run --input-shape x=... --test-data` (CPU backend, -O2) against ONNX "
             f"Runtime's output for a random batch of 2 (rtol {RTOL}, atol {ATOL}).", "",
             f"{ok} of {len(rows)} exports import and match ONNX Runtime.", "",
             "| model | opset | nutshell | max abs error vs ORT | ORT vs PyTorch |",
             "| --- | ---: | --- | ---: | ---: |"]
    for r in rows:
        status = {"ok": "matches", "mismatch": "**mismatch**", "timeout": "timeout"}.get(r["status"], r.get("detail"))
        error = f"{r['max_abs_err']:.2g}" if r.get("max_abs_err") is not None else ""
        lines.append(f"| {r['model']} | {r['opset']} | {status} | {error} | {r['ort_vs_torch']:.2g} |")
    return "\n".join(lines) + "\n"


def replace_section(path, text):
    old = open(path).read() if os.path.exists(path) else ""
    head = old.split("\n" + SECTION + "\n")[0].rstrip("\n")
    with open(path, "w") as f:
        f.write(head + "\n\n" + text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--zoo-dir", required=True)
    parser.add_argument("--models", help="only these (default: every exported model)")
    parser.add_argument("--opsets", help="only these opsets (default: every exported opset)")
    parser.add_argument("--markdown")
    parser.add_argument("--json")
    args = parser.parse_args()
    if onnxruntime is None:
        sys.exit("zoo_check.py: needs onnxruntime (bench/run installs it into the bench venv)")

    rows = []
    wanted_models = set(args.models.split(",")) if args.models else None
    wanted_opsets = {f"opset{v}" for v in args.opsets.split(",")} if args.opsets else None
    for opset_dir in sorted(d for d in os.listdir(args.zoo_dir) if d.startswith("opset")):
        if wanted_opsets and opset_dir not in wanted_opsets:
            continue
        for model in sorted(os.listdir(os.path.join(args.zoo_dir, opset_dir))):
            if wanted_models and model not in wanted_models:
                continue
            folder = os.path.join(args.zoo_dir, opset_dir, model)
            if not os.path.exists(os.path.join(folder, "model.onnx")):
                continue
            data_dir, ort_err = ort_data_set(folder)
            row = {"model": model, "opset": int(opset_dir[len("opset"):]), "ops": model_ops(folder),
                   "ort_vs_torch": ort_err, **run_nutshell(args.tool, folder, data_dir)}
            print(f"zoo: {model} opset {row['opset']}: {row['status']} {row.get('detail', '')}", file=sys.stderr,
                  flush=True)
            rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.markdown:
        replace_section(args.markdown, markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
