"""Build a PyTorch module from an ONNX file, with the ONNX file's own weights.

The PyTorch peer of the benchmark must run the *same* network as nutshell, so
this module interprets the ONNX graph with PyTorch operators.  Traced with
torch.jit.trace at a fixed batch, the interpreter disappears: the trace holds
only the aten operators (conv2d, linear, lstm, ...), which torch.jit.freeze and
torch.jit.optimize_for_inference then optimize like any hand-written model.

Values that derive only from shapes and constants (Shape, Gather, Unsqueeze,
Concat of shape vectors, ...) are computed with numpy at trace time and become
constants of the trace, as they would in any exporter.

The same pass over the graph counts the FLOPs of the compute-heavy operators
(Conv, Gemm, MatMul, LSTM): 2 per multiply-accumulate.

Supported ops: Conv, Relu, Tanh, Sigmoid, MaxPool, AveragePool,
GlobalAveragePool, Pad, Gemm, MatMul, Add, Sub, Mul, Div, Flatten, Softmax,
Reshape, ReduceMax, LSTM, Concat, Constant, Shape, Gather, Unsqueeze, Squeeze,
ConstantOfShape, Identity, Dropout, BatchNormalization, Transpose.
"""

import warnings

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


class UnsupportedOp(Exception):
    pass


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _is_static(v):
    return isinstance(v, (np.ndarray, np.generic))


def _tensor(v):
    """numpy constant -> torch tensor (float32 stays float32)."""
    if _is_static(v):
        return torch.from_numpy(np.ascontiguousarray(v))
    return v


def _split_pads(pads):
    """ONNX pads (begins then ends) -> (symmetric padding or None, F.pad list)."""
    n = len(pads) // 2
    begins, ends = list(pads[:n]), list(pads[n:])
    if begins == ends:
        return tuple(begins), None
    torch_pads = []
    for b, e in zip(reversed(begins), reversed(ends)):  # F.pad counts from the last dim
        torch_pads += [b, e]
    return None, torch_pads


class OnnxModule(torch.nn.Module):
    """Interprets one ONNX graph with PyTorch operators."""

    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
        self.static = {}   # name -> numpy constant (int tensors, Constant nodes)
        self.buffer_of = {}  # ONNX name -> buffer attribute name
        for i, init in enumerate(graph.initializer):
            array = numpy_helper.to_array(init)
            if array.dtype == np.float32:
                attr = f"w{i}"
                self.register_buffer(attr, torch.from_numpy(array.copy()))
                self.buffer_of[init.name] = attr
            else:
                self.static[init.name] = array
        self.input_names = [i.name for i in graph.input if i.name not in self.buffer_of and i.name not in self.static]
        self.output_names = [o.name for o in graph.output]
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attrs(n), n.name) for n in graph.node]
        for op, _, _, _, name in self.nodes:
            if not hasattr(self, "_op_" + op):
                raise UnsupportedOp(f"ONNX op {op} (node '{name}') is not supported by onnx_to_torch")
        self._lstm_params = {}
        self.flops = 0
        self.count_flops = False

    # -- helpers ----------------------------------------------------------------
    def _lookup(self, env, name):
        if name == "":
            return None
        if name in env:
            return env[name]
        if name in self.buffer_of:
            return getattr(self, self.buffer_of[name])
        if name in self.static:
            return self.static[name]
        raise KeyError(f"value '{name}' is not defined")

    def forward(self, *inputs):
        env = dict(zip(self.input_names, inputs))
        self.flops = 0
        for op, ins, outs, attrs, name in self.nodes:
            args = [self._lookup(env, n) for n in ins]
            results = getattr(self, "_op_" + op)(args, attrs, ins)
            if not isinstance(results, (list, tuple)):
                results = [results]
            for out, value in zip(outs, results):
                if out:
                    env[out] = value
        outputs = tuple(_tensor(env[n]) for n in self.output_names)
        return outputs[0] if len(outputs) == 1 else outputs

    # -- compute ops ------------------------------------------------------------
    def _op_Conv(self, a, at, ins):
        x, w = a[0], _tensor(a[1])
        b = _tensor(a[2]) if len(a) > 2 else None
        if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            raise UnsupportedOp("Conv auto_pad SAME_*")
        rank = w.dim() - 2
        padding, explicit = _split_pads(at.get("pads", [0] * (2 * rank)))
        if explicit is not None:
            x = F.pad(x, explicit)
            padding = (0,) * rank
        conv = F.conv2d if rank == 2 else F.conv1d
        y = conv(x, w, b, stride=tuple(at.get("strides", [1] * rank)), padding=padding,
                 dilation=tuple(at.get("dilations", [1] * rank)), groups=at.get("group", 1))
        self.flops += 2 * y.numel() * w[0].numel()
        return y

    def _op_Gemm(self, a, at, ins):
        A, B = _tensor(a[0]), _tensor(a[1])
        C = _tensor(a[2]) if len(a) > 2 and a[2] is not None else None
        alpha, beta = at.get("alpha", 1.0), at.get("beta", 1.0)
        if at.get("transA", 0):
            A = A.t()
        W = B if at.get("transB", 0) else B.t()  # F.linear wants [N, K]
        self.flops += 2 * A.shape[0] * A.shape[1] * W.shape[0]
        if alpha == 1.0 and beta == 1.0 and C is not None and C.dim() == 1:
            return F.linear(A, W, C)  # what nn.Linear runs
        y = F.linear(A, W) if alpha == 1.0 else alpha * F.linear(A, W)
        if C is not None:
            y = y + (C if beta == 1.0 else beta * C)
        return y

    def _op_MatMul(self, a, at, ins):
        A, B = _tensor(a[0]), _tensor(a[1])
        y = torch.matmul(A, B)
        self.flops += 2 * y.numel() * A.shape[-1]
        return y

    def _op_LSTM(self, a, at, ins):
        x, W, R = a[0], _tensor(a[1]), _tensor(a[2])
        B = _tensor(a[3]) if len(a) > 3 and a[3] is not None else None
        if len(a) > 4 and a[4] is not None:
            raise UnsupportedOp("LSTM sequence_lens")
        if len(a) > 7 and a[7] is not None:
            raise UnsupportedOp("LSTM peepholes")
        if at.get("direction", b"forward") not in (b"forward", "forward") or W.shape[0] != 1:
            raise UnsupportedOp("LSTM direction other than forward")
        if "activations" in at or at.get("layout", 0) != 0 or "clip" in at or at.get("input_forget", 0):
            raise UnsupportedOp("LSTM with non-default activations/layout/clip")
        H = at["hidden_size"]
        seq, batch = x.shape[0], x.shape[1]
        # ONNX gate order i,o,f,c -> PyTorch i,f,g(c),o.
        order = [0, 2, 3, 1]
        key = ins[1]
        if key not in self._lstm_params:
            def reorder(t):
                chunks = t.reshape(4, H, *t.shape[1:])
                return chunks[order].reshape(4 * H, *t.shape[1:]).contiguous()
            w_ih, w_hh = reorder(W[0]), reorder(R[0])
            b = B[0] if B is not None else torch.zeros(8 * H)
            b_ih, b_hh = reorder(b[:4 * H]), reorder(b[4 * H:])
            names = []
            for j, t in enumerate((w_ih, w_hh, b_ih, b_hh)):
                attr = f"lstm{len(self._lstm_params)}_{j}"
                self.register_buffer(attr, t)
                names.append(attr)
            self._lstm_params[key] = names
        params = [getattr(self, n) for n in self._lstm_params[key]]
        h0 = _tensor(a[5]) if len(a) > 5 and a[5] is not None else torch.zeros(1, batch, H)
        c0 = _tensor(a[6]) if len(a) > 6 and a[6] is not None else torch.zeros(1, batch, H)
        y, h, c = torch.lstm(x, (h0.float(), c0.float()), params, True, 1, 0.0, False, False, False)
        self.flops += 2 * seq * batch * 4 * H * (W.shape[2] + H)
        return [y.unsqueeze(1), h, c]

    # -- elementwise ------------------------------------------------------------
    def _op_Relu(self, a, at, ins):
        return torch.relu(a[0])

    def _op_Tanh(self, a, at, ins):
        return torch.tanh(a[0])

    def _op_Sigmoid(self, a, at, ins):
        return torch.sigmoid(a[0])

    def _binary(self, a, fn_np, fn_torch):
        if _is_static(a[0]) and _is_static(a[1]):
            return fn_np(a[0], a[1])
        return fn_torch(_tensor(a[0]), _tensor(a[1]))

    def _op_Add(self, a, at, ins):
        return self._binary(a, np.add, torch.add)

    def _op_Sub(self, a, at, ins):
        return self._binary(a, np.subtract, torch.sub)

    def _op_Mul(self, a, at, ins):
        return self._binary(a, np.multiply, torch.mul)

    def _op_Div(self, a, at, ins):
        return self._binary(a, lambda p, q: p // q if p.dtype.kind == "i" else p / q, torch.div)

    def _op_Identity(self, a, at, ins):
        return a[0]

    def _op_Dropout(self, a, at, ins):
        return a[0]

    def _op_Softmax(self, a, at, ins):
        x = a[0]
        axis = at.get("axis", -1 if self.opset >= 13 else 1)
        if self.opset < 13 and x.dim() != 2:
            raise UnsupportedOp("Softmax (opset < 13) on a tensor of rank != 2")
        return torch.softmax(x, axis)

    def _op_BatchNormalization(self, a, at, ins):
        x, scale, bias, mean, var = a[0], *[_tensor(t) for t in a[1:5]]
        return F.batch_norm(x, mean, var, scale, bias, False, 0.0, at.get("epsilon", 1e-5))

    # -- pooling ----------------------------------------------------------------
    def _pool_args(self, at, rank):
        kernel = tuple(at["kernel_shape"])
        strides = tuple(at.get("strides", [1] * rank))
        padding, explicit = _split_pads(at.get("pads", [0] * (2 * rank)))
        return kernel, strides, padding, explicit

    def _op_MaxPool(self, a, at, ins):
        x = a[0]
        kernel, strides, padding, explicit = self._pool_args(at, x.dim() - 2)
        if explicit is not None:
            x = F.pad(x, explicit, value=float("-inf"))
            padding = (0,) * len(kernel)
        return F.max_pool2d(x, kernel, strides, padding, tuple(at.get("dilations", [1] * len(kernel))),
                            ceil_mode=bool(at.get("ceil_mode", 0)))

    def _op_AveragePool(self, a, at, ins):
        x = a[0]
        kernel, strides, padding, explicit = self._pool_args(at, x.dim() - 2)
        include = bool(at.get("count_include_pad", 0))
        if explicit is not None:
            if not include:
                raise UnsupportedOp("AveragePool with asymmetric pads and count_include_pad=0")
            x = F.pad(x, explicit)
            padding = (0,) * len(kernel)
        return F.avg_pool2d(x, kernel, strides, padding, ceil_mode=bool(at.get("ceil_mode", 0)),
                            count_include_pad=include)

    def _op_GlobalAveragePool(self, a, at, ins):
        return F.adaptive_avg_pool2d(a[0], 1)

    def _op_Pad(self, a, at, ins):
        x = a[0]
        if self.opset >= 11:
            pads = [int(p) for p in a[1]]
            value = float(np.asarray(a[2]).reshape(-1)[0]) if len(a) > 2 and a[2] is not None else 0.0
        else:
            pads, value = list(at["pads"]), at.get("value", 0.0)
        mode = at.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        n = len(pads) // 2
        torch_pads = []
        for b, e in zip(reversed(pads[:n]), reversed(pads[n:])):
            torch_pads += [b, e]
        # Drop leading all-zero dims so F.pad's reflect/replicate accept it.
        while len(torch_pads) > 2 and torch_pads[-1] == 0 and torch_pads[-2] == 0:
            torch_pads = torch_pads[:-2]
        torch_mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode]
        if torch_mode == "constant":
            return F.pad(x, torch_pads, value=value)
        return F.pad(x, torch_pads, mode=torch_mode)

    # -- shape ops --------------------------------------------------------------
    def _op_Constant(self, a, at, ins):
        if "value" not in at:
            raise UnsupportedOp("Constant without a 'value' tensor")
        return numpy_helper.to_array(at["value"]).copy()

    def _op_Shape(self, a, at, ins):
        return np.array(list(a[0].shape), dtype=np.int64)

    def _op_Gather(self, a, at, ins):
        data, idx = a[0], a[1]
        axis = at.get("axis", 0)
        if not _is_static(idx):
            raise UnsupportedOp("Gather with computed indices")
        if _is_static(data):
            return np.asarray(np.take(data, idx, axis=axis))
        if idx.ndim == 0:
            return data.select(axis, int(idx))
        size = data.shape[axis]
        flat = torch.from_numpy((idx.reshape(-1) % size).astype(np.int64))
        picked = torch.index_select(data, axis, flat)
        axis = axis % data.dim()
        return picked.reshape(*data.shape[:axis], *idx.shape, *data.shape[axis + 1:])

    def _axes(self, a, at):
        if self.opset >= 13:
            return [int(v) for v in a[1]] if len(a) > 1 and a[1] is not None else None
        return list(at["axes"]) if "axes" in at else None

    def _op_Unsqueeze(self, a, at, ins):
        x, axes = a[0], self._axes(a, at)
        rank = x.ndim + len(axes) if _is_static(x) else x.dim() + len(axes)
        for ax in sorted(v % rank for v in axes):
            x = np.expand_dims(x, ax) if _is_static(x) else x.unsqueeze(ax)
        return x

    def _op_Squeeze(self, a, at, ins):
        x, axes = a[0], self._axes(a, at)
        if axes is None:
            return np.squeeze(x) if _is_static(x) else x.squeeze()
        rank = x.ndim if _is_static(x) else x.dim()
        for ax in sorted((v % rank for v in axes), reverse=True):
            x = np.squeeze(x, ax) if _is_static(x) else x.squeeze(ax)
        return x

    def _op_Concat(self, a, at, ins):
        axis = at["axis"]
        if all(_is_static(v) for v in a):
            return np.concatenate(a, axis=axis)
        return torch.cat([_tensor(v) for v in a], axis)

    def _op_ConstantOfShape(self, a, at, ins):
        value = numpy_helper.to_array(at["value"]).reshape(-1) if "value" in at else np.zeros(1, np.float32)
        return np.full([int(d) for d in a[0]], value[0], dtype=value.dtype)

    def _op_Reshape(self, a, at, ins):
        x, shape = a[0], [int(d) for d in a[1]]
        dims = list(x.shape)
        if not at.get("allowzero", 0):
            shape = [dims[i] if d == 0 else d for i, d in enumerate(shape)]
        return x.reshape(shape)

    def _op_Flatten(self, a, at, ins):
        x = a[0]
        axis = at.get("axis", 1)
        dims = list(x.shape)
        axis = axis % len(dims) if axis < 0 else axis
        outer = 1
        for d in dims[:axis]:
            outer *= int(d)
        return x.reshape(outer, -1)

    def _op_Transpose(self, a, at, ins):
        x = a[0]
        perm = at.get("perm", list(reversed(range(x.ndim if _is_static(x) else x.dim()))))
        return np.transpose(x, perm) if _is_static(x) else x.permute(*perm)

    def _op_ReduceMax(self, a, at, ins):
        x = a[0]
        axes = list(at["axes"]) if "axes" in at else list(range(x.dim()))
        return torch.amax(x, dim=axes, keepdim=bool(at.get("keepdims", 1)))


def count_flops(path, input_shape):
    """FLOPs (2 per multiply-accumulate) of Conv/Gemm/MatMul/LSTM for one inference."""
    module = OnnxModule(path).eval()
    with torch.no_grad():
        module(torch.zeros(*input_shape))
    return module.flops


def frozen_torch_module(module, example):
    """torch.jit.trace + freeze + optimize_for_inference: the 'frozen' PyTorch peer."""
    module = module.eval()
    with torch.no_grad(), warnings.catch_warnings():
        # Shapes and constants become trace constants on purpose (fixed batch).
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(module, (example,), check_trace=False)
        frozen = torch.jit.freeze(traced.eval())
        return torch.jit.optimize_for_inference(frozen)
