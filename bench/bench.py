"""The benchmark driver (started by bench/run, which sets up the build, the
Python environment and the FMA probe first; see bench/run for the options).

For each model, batch and thread count it runs, one right after the other:
  1. PyTorch (frozen TorchScript) on the same network and weights,
  2. ONNX Runtime on the same ONNX file (when installed),
  3. OpenVINO on the same ONNX file (when installed),
  4. `nutshell-run MODEL --backend=cpu --random-inputs --bench RUNS --threads T`,
so that the four see the same machine load. Each model is first checked for
correctness (nutshell-run --test-data, and the peers against the same data),
and its JIT compile time is read from `nutshell-run --time-passes`.
Results go to a JSON file; report.py turns it into the table, the markdown
page and the chart.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

import onnx

import onnx_to_torch
import peers
import report
import zoo

MODELS = ["logreg", "mlp", "maxout", "lenet5", "trafficsign", "inception3a", "bigconv", "lstm", "resnet18"]
# Check tolerance: |a-b| <= atol + rtol*|b| (looser than nutshell-run's default
# so that Winograd/FFT rounding in deep nets is not reported as a mismatch).
CHECK_RTOL, CHECK_ATOL = 1e-3, 1e-4


def log(message):
    print(message, file=sys.stderr, flush=True)


def input_shape(onnx_path, batch):
    """The first graph input's shape with its symbolic dim(s) set to `batch`."""
    graph = onnx.load(onnx_path, load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    graph_input = next(i for i in graph.input if i.name not in initializers)
    dims = [d.dim_value if d.HasField("dim_value") else batch for d in graph_input.type.tensor_type.shape.dim]
    return graph_input.name, dims


def run_tool(argv, timeout):
    """(returncode, stdout, stderr) of a nutshell-run call; never raises."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s"
    except OSError as error:
        return 127, "", str(error)


def last_error_line(stderr, stdout=""):
    lines = [l.strip() for l in (stderr + "\n" + stdout).splitlines() if l.strip()]
    errors = [l for l in lines if "error" in l.lower() or "mismatch" in l.lower()]
    return (errors or lines or ["no output"])[-1][:300]


PHASES = ("import", "passes", "cache", "codegen", "optimize", "jit", "compile")


def parse_phases(stderr):
    phases = {}
    for line in stderr.splitlines():
        m = re.match(r"\s*(import|passes|cache|codegen|optimize|jit|compile|first run)\s+([0-9.]+)\s*$", line)
        if m:
            phases[m.group(1)] = float(m.group(2))
    return phases


def nutshell_check(tool, model_path, test_dir, threads, cache_args=("--no-cache",)):
    """Runs the model on the test data once; returns status, error and compile phases.
    Cold by default (--no-cache); nutshell_warm runs it again with the cache."""
    argv = [tool, model_path, "--backend=cpu", "--test-data", test_dir, "--threads", str(threads),
            "--rtol", str(CHECK_RTOL), "--atol", str(CHECK_ATOL), "--time-passes", *cache_args]
    t0 = time.perf_counter()
    rc, out, err = run_tool(argv, timeout=600)
    wall_ms = (time.perf_counter() - t0) * 1e3
    phases = parse_phases(err)
    result = {"command": " ".join(argv[1:]), "wall_ms": wall_ms, "phases": phases}
    cache = re.search(r"^compile cache: (\w+)", err, re.M)
    result["cache"] = cache.group(1) if cache else "unknown"
    if rc == 0:
        result["status"] = "ok"
    elif rc == 1:
        result["status"] = "mismatch"
        result["error"] = last_error_line(err, out)
    else:
        result["status"] = "error"
        result["error"] = last_error_line(err, out)
    if phases:
        result["compile_ms"] = sum(v for k, v in phases.items() if k in PHASES)
    return result


def nutshell_warm(tool, model_path, test_dir, threads):
    """Import to runnable with a warm compile cache: one run fills it, the next is timed."""
    nutshell_check(tool, model_path, test_dir, threads, cache_args=())
    result = nutshell_check(tool, model_path, test_dir, threads, cache_args=())
    return result


def nutshell_bench(tool, model_path, name, shape, threads, runs, target_cpu=None):
    argv = [tool, model_path, "--backend=cpu", "--random-inputs", "--input-shape",
            f"{name}=" + "x".join(str(d) for d in shape), "--bench", str(runs), "--threads", str(threads)]
    if target_cpu:
        argv += ["--target-cpu", target_cpu]
    rc, out, err = run_tool(argv, timeout=900)
    values = dict(re.findall(r"^(median_ms|min_ms|max_ms|runs):\s*([0-9.eE+-]+)\s*$", out, re.M))
    if rc != 0 or "median_ms" not in values:
        return {"error": last_error_line(err, out) if rc != 0 else "no median_ms in the output"}
    return {k: float(v) for k, v in values.items()}


def probe_peak(probe, threads, seconds):
    if not probe or not os.path.exists(probe):
        return None
    rc, out, err = run_tool([probe, "--threads", str(threads), "--seconds", str(seconds)], timeout=120)
    values = dict(re.findall(r"^(\w+):\s*(\S+)\s*$", out, re.M))
    if rc != 0 or "gflops_per_core" not in values:
        log(f"fma probe failed: {err.strip()}")
        return None
    return {"isa": values.get("isa"), "threads": threads, "gflops_per_core": float(values["gflops_per_core"]),
            "gflops_total": float(values["gflops_total"])}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def make_peers(path, torch_state, zoo_name, notes):
    made = {}
    try:
        made["torch"] = peers.TorchPeer(path, torch_state, zoo_name)
    except Exception as error:  # noqa: BLE001 - any failure becomes a note
        notes.append(f"PyTorch peer unavailable for {path}: {error}")
    if peers.onnxruntime is not None:
        try:
            made["ort"] = peers.OrtPeer(path)
        except Exception as error:  # noqa: BLE001
            notes.append(f"ONNX Runtime unavailable for {path}: {error}")
    if peers.openvino is not None:
        try:
            made["openvino"] = peers.OpenVinoPeer(path)
        except Exception as error:  # noqa: BLE001
            notes.append(f"OpenVINO unavailable for {path}: {error}")
    return made


def clock(seconds):
    """'2m05s', '41s'."""
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True, help="nutshell-run")
    parser.add_argument("--models-dir", required=True)
    parser.add_argument("--zoo-dir", help="the exported zoo (export_zoo.py, its opset-13 models are measured); "
                        "omitted: no zoo models")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of timed runs per measurement")
    parser.add_argument("--probe", help="the compiled fma_probe")
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown")
    parser.add_argument("--png")
    parser.add_argument("--ort-note", default="", help="why ONNX Runtime is missing, if it is")
    parser.add_argument("--openvino-note", default="", help="why OpenVINO is missing, if it is")
    args = parser.parse_args()

    models = [m for m in args.models.split(",") if m]
    batches = [int(b) for b in args.batches.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    torch = peers.torch
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    results = {
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "load_before": os.getloadavg()[0]},
        "versions": {"torch": torch.__version__, "blas": peers.blas_in_use(),
                     "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
                     "onnxruntime": peers.onnxruntime.__version__ if peers.onnxruntime else None,
                     "openvino": peers.openvino.get_version() if peers.openvino else None},
        "notes": [],
        "zoo_models": sorted(zoo.MODELS),  # report.py applies the zoo's targets to these
        "peak": {},
        "checks": {},
        "rows": [],
        "started": time.strftime("%Y-%m-%d %H:%M"),
    }
    if args.ort_note:
        results["notes"].append(args.ort_note)
    elif peers.onnxruntime is None:
        results["notes"].append("ONNX Runtime: the onnxruntime package is not installed; its column is empty.")
    if args.openvino_note:
        results["notes"].append(args.openvino_note)
    elif peers.openvino is None:
        results["notes"].append("OpenVINO: the openvino package is not installed; its column is empty.")

    for t in sorted(set([1] + thread_counts)):
        peak = probe_peak(args.probe, t, seconds=2.0)
        if peak:
            results["peak"][str(t)] = peak
            log(f"FMA peak, {t} thread(s): {peak['gflops_per_core']} GFLOP/s per core ({peak['isa']})")

    avx512 = any(p.get("isa") == "avx512" for p in results["peak"].values())
    results["isa"] = "avx512" if avx512 else next((p.get("isa") for p in results["peak"].values()), "unknown")
    started = time.perf_counter()
    total = len(models) * len(batches) * len(thread_counts)
    done = 0

    def progress():
        """'[5/36, 2m10s, about 3m05s left]': where a long run stands."""
        elapsed = time.perf_counter() - started
        left = f", about {clock(elapsed / done * (total - done))} left" if done else ""
        return f"[{done}/{total} measurements, {clock(elapsed)}{left}]"

    for index, model in enumerate(models):
        zoo_name = model if model in zoo.MODELS else None
        if zoo_name:
            if not args.zoo_dir:
                results["notes"].append(f"{model} skipped: the zoo is not exported")
                total -= len(batches) * len(thread_counts)
                continue
            folder = os.path.join(args.zoo_dir, "opset13", model)
            torch_state = os.path.join(folder, "torch_state.pt")
        else:
            folder, torch_state = os.path.join(args.models_dir, model), None
        path = os.path.join(folder, "model.onnx")
        test_dir = os.path.join(folder, "test_data_set_0")
        if not os.path.exists(path):
            results["notes"].append(f"{model} skipped: {path} not found")
            total -= len(batches) * len(thread_counts)
            continue
        log(f"== {model} (model {index + 1} of {len(models)}) {progress()}")
        check = {"nutshell": nutshell_check(args.tool, path, test_dir, max(thread_counts))}
        log(f"   nutshell check: {check['nutshell']['status']} {check['nutshell'].get('error', '')}")
        check["nutshell_warm"] = nutshell_warm(args.tool, path, test_dir, max(thread_counts))
        log(f"   nutshell compile: cold {check['nutshell'].get('compile_ms', 0):.0f} ms, "
            f"warm cache {check['nutshell_warm'].get('compile_ms', 0):.0f} ms")
        model_peers = make_peers(path, torch_state, zoo_name, results["notes"])
        for key, peer in model_peers.items():
            try:
                ok, err = peer.check(test_dir, CHECK_RTOL, CHECK_ATOL)
                check[key] = {"status": "ok" if ok else "mismatch", "max_abs_error": err}
                if getattr(peer, "session_ms", None) is not None:
                    check[key]["session_ms"] = peer.session_ms
            except Exception as error:  # noqa: BLE001
                check[key] = {"status": "error", "error": str(error)[:300]}
            log(f"   {peer.name} check: {check[key]['status']}")
        results["checks"][model] = check

        for batch in batches:
            name, shape = input_shape(path, batch)
            try:
                flops = onnx_to_torch.count_flops(path, shape)
            except Exception as error:  # noqa: BLE001
                flops = None
                results["notes"].append(f"{model}: FLOPs not counted ({error})")
            for threads in thread_counts:
                row = {"model": model, "batch": batch, "threads": threads, "shape": shape, "flops": flops}
                estimate_ms = None
                for key, peer in model_peers.items():
                    try:
                        row[key] = peer.bench(shape, threads, budget_s=args.budget)
                        estimate_ms = estimate_ms or row[key]["median_ms"]
                    except Exception as error:  # noqa: BLE001
                        row[key] = {"error": str(error).splitlines()[0][:300] if str(error) else repr(error)}
                # nutshell gets as many runs as the first peer needed for the budget.
                runs = peers.choose_runs((estimate_ms or 10.0) / 1e3, args.budget)
                row["nutshell"] = nutshell_bench(args.tool, path, name, shape, threads, runs)
                # Most x86 machines users have are AVX2: on an AVX-512 machine the
                # AVX2 code (x86-64-v3: 8-lane vectors, 16 registers) is timed too.
                if avx512:
                    row["nutshell_avx2"] = nutshell_bench(args.tool, path, name, shape, threads, runs, "x86-64-v3")
                results["rows"].append(row)
                cells = [f"{k}={row[k].get('median_ms', row[k].get('error'))}"
                         for k in ("nutshell", "nutshell_avx2", "torch", "ort", "openvino")
                         if k in row]
                done += 1
                log(f"   batch {batch} threads {threads}: " + " ".join(str(c) for c in cells) + f" {progress()}")
                # Written after every row, so an interrupted run still leaves data.
                with open(args.json, "w") as f:
                    json.dump(results, f, indent=1)

    results["elapsed_s"] = time.perf_counter() - started
    results["machine"]["load_after"] = os.getloadavg()[0]
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    report.write_all(results, args.markdown, args.png)


if __name__ == "__main__":
    main()
