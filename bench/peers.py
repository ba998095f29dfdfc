"""The peers nutshell is measured against, run in the benchmark's own process.

- PyTorch (Debian's python3-torch, oneDNN inside), frozen TorchScript:
  torch.jit.freeze(torch.jit.trace/script(model).eval()) + optimize_for_inference.
  For the reference networks the model is the ONNX graph rebuilt in PyTorch with
  the ONNX file's weights (onnx_to_torch.py); for the zoo (zoo.py) it is the
  torchvision or torch.nn model itself with the exported weights (BatchNorm
  folded by optimize_for_inference).
- ONNX Runtime (CPU execution provider, all graph optimizations), when the
  `onnxruntime` package is importable.
- OpenVINO (CPU plugin, f32 inference precision, latency hint, as many
  inference threads as the measurement), when the `openvino` package is
  importable.

Both are timed like `nutshell-run --bench`: warm-up, then each call timed on its
own, median of the runs.
"""

import statistics
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch

import onnx_to_torch

try:
    import onnxruntime
except ImportError:  # the ORT column then says why
    onnxruntime = None
try:
    import openvino
except ImportError:  # the OpenVINO column then says why
    openvino = None


def blas_in_use():
    """Which BLAS this process loaded (PyTorch's matmul/linear run on it)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    for path in sorted(paths):
        if "openblas" in path:
            return "OpenBLAS" + (" (OpenMP)" if "openmp" in path else " (pthreads)" if "pthread" in path else "")
        if "mkl" in path:
            return "MKL"
        if "blis" in path:
            return "BLIS"
        if "/blas/" in path:
            return "reference BLAS (netlib)"
    return ", ".join(sorted(paths)) or "none loaded"


def load_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def warm_up(fn, min_calls=3, min_seconds=0.2, max_calls=200):
    """Calls fn until both minimums are reached; returns the last call's time (s)."""
    start = time.perf_counter()
    calls, last = 0, 0.0
    while calls < min_calls or (time.perf_counter() - start < min_seconds and calls < max_calls):
        t0 = time.perf_counter()
        fn()
        last = time.perf_counter() - t0
        calls += 1
    return last


def time_runs(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "runs": runs}


def max_error(got, expected):
    return float(np.max(np.abs(np.asarray(got, np.float32) - expected))) if got.size else 0.0


def matches(got, expected, rtol=1e-4, atol=1e-5):
    # The same rule as nutshell-run: |a-b| <= atol + rtol*|b| (scaled up for
    # deep nets, whose outputs are sums of many terms).
    return bool(np.all(np.abs(got - expected) <= atol + rtol * np.abs(expected)))


class TorchPeer:
    name = "PyTorch"

    def __init__(self, onnx_path, torch_state=None, zoo_name=None):
        self.onnx_path = onnx_path
        self.torch_state = torch_state
        self.zoo_name = zoo_name
        self.version = torch.__version__
        self._frozen = {}  # batch shape -> frozen module

    def _module(self):
        if self.torch_state:
            import zoo
            model = zoo.build(self.zoo_name)
            model.load_state_dict(torch.load(self.torch_state))
            return model.eval()
        return onnx_to_torch.OnnxModule(self.onnx_path).eval()

    def prepare(self, shape):
        key = tuple(shape)
        if key not in self._frozen:
            example = torch.randn(*shape)
            if self.torch_state:
                with torch.no_grad():
                    # Traced, not scripted: torchvision's models script, but the
                    # torch.nn sequence models of the zoo only trace.
                    scripted = torch.jit.trace(self._module(), example)
                    frozen = torch.jit.optimize_for_inference(torch.jit.freeze(scripted.eval()))
            else:
                frozen = onnx_to_torch.frozen_torch_module(self._module(), example)
            self._frozen[key] = frozen
        return self._frozen[key]

    def check(self, test_dir, rtol, atol):
        x = load_pb(f"{test_dir}/input_0.pb")
        expected = load_pb(f"{test_dir}/output_0.pb")
        with torch.no_grad():
            got = self.prepare(x.shape)(torch.from_numpy(x.copy()))
        got = got.numpy()
        return matches(got, expected, rtol, atol), max_error(got, expected)

    def bench(self, shape, threads, runs=None, budget_s=1.0):
        torch.set_num_threads(threads)
        module = self.prepare(shape)
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))

        def call():
            with torch.no_grad():
                module(x)

        estimate = warm_up(call)
        if runs is None:
            runs = choose_runs(estimate, budget_s)
        return time_runs(call, runs)


class OrtPeer:
    name = "ONNX Runtime"

    def __init__(self, onnx_path):
        if onnxruntime is None:
            raise RuntimeError("onnxruntime is not installed")
        self.onnx_path = onnx_path
        self.version = onnxruntime.__version__
        self._sessions = {}
        self.input_name = None
        self.session_ms = None  # creating the first session: ORT's import to runnable

    def _session(self, threads):
        if threads not in self._sessions:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            start = time.perf_counter()
            session = onnxruntime.InferenceSession(self.onnx_path, options, providers=["CPUExecutionProvider"])
            if self.session_ms is None:
                self.session_ms = (time.perf_counter() - start) * 1e3
            self.input_name = session.get_inputs()[0].name
            self._sessions[threads] = session
        return self._sessions[threads]

    def check(self, test_dir, rtol, atol):
        session = self._session(1)
        x = load_pb(f"{test_dir}/input_0.pb")
        expected = load_pb(f"{test_dir}/output_0.pb")
        got = session.run(None, {self.input_name: x})[0]
        return matches(got, expected, rtol, atol), max_error(got, expected)

    def bench(self, shape, threads, runs=None, budget_s=1.0):
        session = self._session(threads)
        x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        feed = {self.input_name: x}

        def call():
            session.run(None, feed)

        estimate = warm_up(call)
        if runs is None:
            runs = choose_runs(estimate, budget_s)
        return time_runs(call, runs)


class OpenVinoPeer:
    name = "OpenVINO"

    def __init__(self, onnx_path):
        if openvino is None:
            raise RuntimeError("openvino is not installed")
        self.onnx_path = onnx_path
        self.version = openvino.__version__ if hasattr(openvino, "__version__") else openvino.get_version()
        self.core = openvino.Core()
        self.model = self.core.read_model(onnx_path)
        self._compiled = {}  # (shape, threads) -> compiled model
        self.session_ms = None  # read + compile of the first shape: OpenVINO's import to runnable

    def _compiled_for(self, shape, threads):
        key = (tuple(shape), threads)
        if key not in self._compiled:
            start = time.perf_counter()
            model = self.core.read_model(self.onnx_path)
            model.reshape({model.inputs[0].get_any_name(): list(shape)})
            config = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": str(threads),
                      "PERFORMANCE_HINT": "LATENCY"}
            compiled = self.core.compile_model(model, "CPU", config)
            if self.session_ms is None:
                self.session_ms = (time.perf_counter() - start) * 1e3
            self._compiled[key] = (compiled, compiled.create_infer_request())
        return self._compiled[key]

    def check(self, test_dir, rtol, atol):
        x = load_pb(f"{test_dir}/input_0.pb")
        expected = load_pb(f"{test_dir}/output_0.pb")
        compiled, request = self._compiled_for(x.shape, 1)
        got = np.asarray(request.infer({0: x})[compiled.outputs[0]])
        return matches(got, expected, rtol, atol), max_error(got, expected)

    def bench(self, shape, threads, runs=None, budget_s=1.0):
        compiled, request = self._compiled_for(shape, threads)
        x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)

        def call():
            request.infer({0: x})

        estimate = warm_up(call)
        if runs is None:
            runs = choose_runs(estimate, budget_s)
        return time_runs(call, runs)


def choose_runs(seconds_per_call, budget_s, min_runs=5, max_runs=5000):
    """Enough runs to fill about budget_s, within [min_runs, max_runs]."""
    if seconds_per_call <= 0:
        return max_runs
    return int(max(min_runs, min(max_runs, budget_s / seconds_per_call)))
