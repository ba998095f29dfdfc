#!/usr/bin/env python3
"""Writes the hand-picked seed corpora of the fuzz targets (tests/fuzz/corpus/).

  python3 tests/fuzz/make_seed_corpus.py [CORPUS_DIR]

Seeds are small copies of the repository's real inputs (lit .nsir files, the
e2e .nsir model, ONNX test data tensors, the example .npy) plus a few
hand-made files for the formats' corners (every .npy dtype the runtime reads,
.npy versions 2 and 3, a .nsir with a weights side file appended, the AOT
input target's two-byte prefix, tiny ONNX models of the imported ops written
with the protobuf wire format by hand). Standard library only; the output is
the same on every run. The repository's ONNX models are not copied: the
regression tests and scripts/fuzz.sh point at tests/models/*/model.onnx.
"""
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def npy(descr, shape, payload, version=(1, 0), fortran=False):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    length_bytes = 2 if version[0] == 1 else 4
    pad = (64 - (10 - 2 + length_bytes + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    length = struct.pack("<H", len(header)) if length_bytes == 2 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes(version) + length + header.encode("latin-1") + payload


def varint(v):
    out = bytearray()
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def tensor_proto(dims, data_type, raw=None, name=b"", int64_data=None, float_data=None):
    """TensorProto: dims=1, data_type=2, float_data=4 (packed), int64_data=7 (packed), name=8, raw_data=9."""
    out = b"".join(field(1, 0, d) for d in dims) + field(2, 0, data_type)
    if float_data is not None:
        out += field(4, 2, b"".join(struct.pack("<f", f) for f in float_data))
    if int64_data is not None:
        out += field(7, 2, b"".join(varint(v) for v in int64_data))
    if name:
        out += field(8, 2, name)
    if raw is not None:
        out += field(9, 2, raw)
    return out


def floats(n, scale=0.25):
    return b"".join(struct.pack("<f", (i % 17 - 8) * scale) for i in range(n))


def weights_file(tensors):
    """The .nsir weights side file: magic, version 1, count, then per tensor
    u32 dtype (0 f32, 1 i64), u32 reserved, u64 length, bytes."""
    out = b"NSWEIGHT" + struct.pack("<II", 1, len(tensors))
    for dtype, payload in tensors:
        out += struct.pack("<IIQ", dtype, 0, len(payload)) + payload
    return out


# ---- tiny ONNX models, written with the wire format by hand ------------------------

def s_(text):
    return text.encode() if isinstance(text, str) else text


def value_info(name, elem_type, dims):
    shape = b"".join(field(1, 2, field(2, 2, s_(d)) if isinstance(d, str) else field(1, 0, d)) for d in dims)
    tensor_type = field(1, 0, elem_type) + field(2, 2, shape)
    return field(1, 2, s_(name)) + field(2, 2, field(1, 2, tensor_type))


def attr(name, value):
    """AttributeProto: name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20."""
    out = field(1, 2, s_(name))
    if isinstance(value, float):
        return out + struct.pack("<B", 2 << 3 | 5) + struct.pack("<f", value) + field(20, 0, 1)
    if isinstance(value, int):
        return out + field(3, 0, value) + field(20, 0, 2)
    if isinstance(value, str):
        return out + field(4, 2, s_(value)) + field(20, 0, 3)
    if isinstance(value, bytes):  # a TensorProto
        return out + field(5, 2, value) + field(20, 0, 4)
    if value and isinstance(value[0], float):
        return out + field(7, 2, b"".join(struct.pack("<f", v) for v in value)) + field(20, 0, 6)
    return out + b"".join(field(8, 0, v) for v in value) + field(20, 0, 7)


def node(op, inputs, outputs, **attrs):
    out = b"".join(field(1, 2, s_(i)) for i in inputs) + b"".join(field(2, 2, s_(o)) for o in outputs)
    out += field(3, 2, s_(outputs[0] + "_node")) + field(4, 2, s_(op))
    return out + b"".join(field(5, 2, attr(k, v)) for k, v in attrs.items())


def init_f32(name, dims, values=None):
    n = 1
    for d in dims:
        n *= d
    return tensor_proto(dims, 1, raw=floats(n) if values is None else struct.pack("<%df" % n, *values), name=s_(name))


def init_i64(name, values, dims=None):
    return tensor_proto([len(values)] if dims is None else dims, 7, raw=struct.pack("<%dq" % len(values), *values),
                        name=s_(name))


def model(nodes, inputs, outputs, initializers=(), opset=13):
    graph = b"".join(field(1, 2, n) for n in nodes) + field(2, 2, b"g")
    graph += b"".join(field(5, 2, t) for t in initializers)
    graph += b"".join(field(11, 2, v) for v in inputs) + b"".join(field(12, 2, v) for v in outputs)
    opset_id = field(1, 2, b"") + field(2, 0, opset)
    return field(1, 0, 8) + field(2, 2, b"nutshell-seed") + field(8, 2, opset_id) + field(7, 2, graph)


def onnx_seeds():
    f32 = 1
    yield "conv_relu_pool_gemm.onnx", model(
        [node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
         node("Relu", ["c"], ["r"]),
         node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         node("Flatten", ["p"], ["f"], axis=1),
         node("Gemm", ["f", "w2", "b2"], ["g"], transB=1, alpha=1.0),
         node("Softmax", ["g"], ["y"], axis=1)],
        [value_info("x", f32, ["N", 3, 8, 8])], [value_info("y", f32, ["N", 10])],
        [init_f32("w", [4, 3, 3, 3]), init_f32("b", [4]), init_f32("w2", [10, 64]), init_f32("b2", [10])])
    yield "reshape_transpose_concat_slice.onnx", model(
        [node("Reshape", ["x", "shape"], ["r"]),
         node("Transpose", ["r"], ["t"], perm=[1, 0]),
         node("Concat", ["t", "t"], ["c"], axis=0),
         node("Slice", ["c", "starts", "ends", "axes", "steps"], ["s"]),
         node("Pad", ["s", "pads"], ["y"], mode="constant")],
        [value_info("x", f32, [1, 2, 3, 4])], [value_info("y", f32, [25, 2])],
        [init_i64("shape", [-1, 2]), init_i64("starts", [0]), init_i64("ends", [24]), init_i64("axes", [0]),
         init_i64("steps", [1]), init_i64("pads", [0, 0, 1, 0])])
    yield "shape_gather_unsqueeze.onnx", model(
        [node("Shape", ["x"], ["sh"]),
         node("Gather", ["sh", "zero"], ["n"], axis=0),
         node("Unsqueeze", ["n", "axes"], ["n1"]),
         node("Concat", ["n1", "minus1"], ["newshape"], axis=0),
         node("Reshape", ["x", "newshape"], ["y"])],
        [value_info("x", f32, ["batch", 4, 5])], [value_info("y", f32, ["batch", 20])],
        [init_i64("zero", [0], dims=[]), init_i64("axes", [0]), init_i64("minus1", [-1])])
    yield "lstm.onnx", model(
        [node("LSTM", ["x", "w", "r", "b"], ["y", "y_h", "y_c"], hidden_size=2, direction="forward")],
        [value_info("x", f32, [3, 1, 4])],
        [value_info("y", f32, [3, 1, 1, 2]), value_info("y_h", f32, [1, 1, 2]), value_info("y_c", f32, [1, 1, 2])],
        [init_f32("w", [1, 8, 4]), init_f32("r", [1, 8, 2]), init_f32("b", [1, 16])])
    yield "elementwise_reduce.onnx", model(
        [node("Add", ["x", "c"], ["a"]), node("Mul", ["a", "x"], ["m"]), node("Sigmoid", ["m"], ["s"]),
         node("Tanh", ["s"], ["t"]), node("Clip", ["t", "lo", "hi"], ["cl"]), node("Exp", ["cl"], ["e"]),
         node("LeakyRelu", ["e"], ["l"], alpha=0.1), node("Div", ["l", "c"], ["d"]), node("Sub", ["d", "x"], ["u"]),
         node("ReduceMean", ["u"], ["y"], axes=[1], keepdims=0)],
        [value_info("x", f32, [2, 3])], [value_info("y", f32, [2])],
        [init_f32("c", [3], [1.0, 2.0, 3.0]), init_f32("lo", [], [-1.0]), init_f32("hi", [], [6.0])])
    yield "batchnorm_pool.onnx", model(
        [node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["bn"], epsilon=0.001),
         node("AveragePool", ["bn"], ["ap"], kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1]),
         node("GlobalAveragePool", ["ap"], ["gp"]),
         node("LRN", ["ap"], ["lrn"], size=3),
         node("GlobalMaxPool", ["lrn"], ["gm"]),
         node("Add", ["gp", "gm"], ["y"])],
        [value_info("x", f32, [1, 2, 4, 4])], [value_info("y", f32, [1, 2, 1, 1])],
        [init_f32("scale", [2]), init_f32("bias", [2]), init_f32("mean", [2]), init_f32("var", [2], [1.0, 2.0])])
    # An initializer in external data: 16 bytes of the fuzz target's weights.bin.
    external = (field(1, 0, 4) + field(2, 0, 1) + field(8, 2, b"w") +
                field(13, 2, field(1, 2, b"location") + field(2, 2, b"weights.bin")) +
                field(13, 2, field(1, 2, b"offset") + field(2, 2, b"64")) +
                field(13, 2, field(1, 2, b"length") + field(2, 2, b"16")) + field(14, 0, 1))
    yield "external_data.onnx", model(
        [node("Mul", ["x", "w"], ["y"])], [value_info("x", f32, [4])], [value_info("y", f32, [4])], [external])
    yield "matmul_constant_cast.onnx", model(
        [node("Constant", [], ["k"], value=init_f32("kv", [3, 2])),
         node("MatMul", ["x", "k"], ["m"]),
         node("Identity", ["m"], ["i"]),
         node("LogSoftmax", ["i"], ["y"], axis=-1)],
        [value_info("x", f32, [2, 3])], [value_info("y", f32, [2, 2])])


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(os.path.join(REPO, src), dst)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")

    # ---- nsir_fuzzer -----------------------------------------------------------
    d = os.path.join(out, "nsir_fuzzer")
    for src in ["tests/lit/Inputs/ir/all_ops.nsir", "tests/lit/Inputs/ir/big_const.nsir",
                "tests/lit/ir/roundtrip.nsir", "tests/lit/ir/input-shape.nsir",
                "tests/lit/passes/canonicalize.nsir", "tests/lit/passes/cse.nsir", "tests/lit/passes/dce.nsir",
                "tests/lit/passes/fold-constants.nsir", "tests/lit/passes/fuse.nsir",
                "tests/lit/passes/fuse-concat.nsir", "tests/lit/passes/fuse-dense.nsir",
                "tests/lit/passes/fuse-elementwise.nsir", "tests/lit/passes/plan-memory.nsir",
                "tests/lit/passes/select-conv-algo.nsir", "tests/lit/passes/infer-shapes.nsir"]:
        # lit files hold several graphs (split-file's `//--- NAME` parts): one seed each.
        with open(os.path.join(REPO, src), "rb") as f:
            text = f.read()
        stem = os.path.splitext(os.path.basename(src))[0]
        parts = text.split(b"\n//--- ")
        if len(parts) == 1:
            write(os.path.join(d, stem + ".nsir"), text)
        for part in parts[1:]:
            name, _, body = part.partition(b"\n")
            name = os.path.splitext(name.decode().strip())[0]
            write(os.path.join(d, f"{stem}-{name}.nsir"), body)
    # A graph whose constants live in the weights side file (appended).
    text = (b"graph @w(%x: f32[N,70]) -> (f32[N,4]) {\n"
            b"  %w = const f32[70,4] @weights[0]\n"
            b"  %b = const f32[4] @weights[1]\n"
            b"  %idx = const i64[2] @weights[2]\n"
            b"  %y = dense(%x, %w, %b) : f32[N,4]\n"
            b"  %r = relu(%y) : f32[N,4]\n"
            b"  return %r\n}\n")
    write(os.path.join(d, "with_weights.nsir"),
          text + weights_file([(0, floats(280)), (0, floats(4)), (1, struct.pack("<qq", 0, -1))]))
    # A small conv net with static shapes: the fusion and conv-algorithm paths.
    write(os.path.join(d, "convnet.nsir"), b"""graph @convnet(%x: f32[1,3,16,16]) -> (f32[1,10]) {
  %w = const f32[8,3,3,3] <elided>
  %b = const f32[8] <elided>
  %c = conv2d(%x, %w, %b) {pads=[1,1,1,1]} : f32[1,8,16,16]
  %r = relu(%c) : f32[1,8,16,16]
  %p = max_pool2d(%r) {kernel=[2,2], strides=[2,2]} : f32[1,8,8,8]
  %f = flatten(%p) {axis=1} : f32[1,512]
  %dw = const f32[512,10] <elided>
  %db = const f32[10] <elided>
  %d = dense(%f, %dw, %db) : f32[1,10]
  %s = softmax(%d) {axis=1} : f32[1,10]
  return %s
}
""")
    copy("tests/e2e/Inputs/tiny_dense/model.nsir", os.path.join(d, "tiny_dense.nsir"))

    # ---- onnx_fuzzer: small models of the ops the importer knows ------------------
    for name, data in onnx_seeds():
        write(os.path.join(out, "onnx_fuzzer", name), data)

    # ---- tensor_fuzzer ---------------------------------------------------------
    d = os.path.join(out, "tensor_fuzzer")
    copy("tests/e2e/Inputs/tiny_dense/test_data_set_0/input_0.pb", os.path.join(d, "tiny_dense_input.pb"))
    copy("tests/models/logreg/test_data_set_0/output_0.pb", os.path.join(d, "logreg_output.pb"))
    write(os.path.join(d, "f32_2x3.npy"), npy("<f4", (2, 3), floats(6)))
    write(os.path.join(d, "i64_4.npy"), npy("<i8", (4,), struct.pack("<4q", 1, -2, 3, 1 << 40)))
    write(os.path.join(d, "f64_3.npy"), npy("<f8", (3,), struct.pack("<3d", 0.5, -1.5, 1e300)))
    write(os.path.join(d, "f16_2.npy"), npy("<f2", (2,), struct.pack("<2H", 0x3C00, 0xFC00)))
    write(os.path.join(d, "u8_3.npy"), npy("|u1", (3,), bytes([0, 127, 255])))
    write(os.path.join(d, "i32_2x2.npy"), npy("<i4", (2, 2), struct.pack("<4i", 1, -1, 2**31 - 1, -2**31)))
    write(os.path.join(d, "bool_2.npy"), npy("|b1", (2,), bytes([0, 1])))
    write(os.path.join(d, "scalar.npy"), npy("<f4", (), floats(1)))
    write(os.path.join(d, "empty_0x3.npy"), npy("<f4", (0, 3), b""))
    write(os.path.join(d, "v2.npy"), npy("<f4", (2,), floats(2), version=(2, 0)))
    write(os.path.join(d, "v3.npy"), npy("<i8", (1,), struct.pack("<q", 7), version=(3, 0)))
    write(os.path.join(d, "fortran.npy"), npy("<f4", (2, 2), floats(4), fortran=True))
    write(os.path.join(d, "float_data.pb"), tensor_proto([2, 2], 1, float_data=[1.0, -2.0, 0.5, 3.0], name=b"x"))
    write(os.path.join(d, "int64_data.pb"), tensor_proto([3], 7, int64_data=[0, -1, 1 << 62], name=b"idx"))
    write(os.path.join(d, "raw_i32.pb"), tensor_proto([2], 6, raw=struct.pack("<2i", 5, -5)))
    write(os.path.join(d, "raw_f64.pb"), tensor_proto([1, 2], 11, raw=struct.pack("<2d", 1.0, -0.25)))
    write(os.path.join(d, "raw_f16.pb"), tensor_proto([2], 10, raw=struct.pack("<2H", 0x3C00, 0x7BFF)))
    write(os.path.join(d, "raw_bool.pb"), tensor_proto([3], 9, raw=bytes([1, 0, 1])))
    write(os.path.join(d, "scalar.pb"), tensor_proto([], 1, raw=floats(1), name=b"s"))

    # ---- aot_input_fuzzer: byte 0 = signature + 3 * extension, byte 1 = input ---
    # signatures: 0 {x f32[1,3,32,32]}, 1 {x f32[2,3], idx i64[4], scale f32[]},
    #             2 {"input:0" f32[0,5], big i64[1,256,256]}
    # extensions: 0 .npy, 1 .pb, 2 .NPY, 3 .Pb, 4 .bin, 5 none
    d = os.path.join(out, "aot_input_fuzzer")
    copy_bytes = open(os.path.join(REPO, "examples/data/trafficsign_input.npy"), "rb").read()
    write(os.path.join(d, "image_npy"), bytes([0 + 3 * 0, 0]) + npy("<f4", (1, 3, 32, 32), floats(3072)))
    write(os.path.join(d, "image_pb"), bytes([0 + 3 * 1, 0]) + tensor_proto([1, 3, 32, 32], 1, raw=floats(3072)))
    write(os.path.join(d, "trafficsign_wrong_shape"), bytes([0, 0]) + copy_bytes)
    write(os.path.join(d, "row_npy"), bytes([1, 0]) + npy("<f4", (2, 3), floats(6)))
    write(os.path.join(d, "idx_pb"), bytes([1 + 3 * 1, 1]) + tensor_proto([4], 7, int64_data=[1, 2, 3, 4]))
    write(os.path.join(d, "idx_i32_npy_upper"), bytes([1 + 3 * 2, 1]) + npy("<i4", (4,), struct.pack("<4i", 1, 2, 3, 4)))
    write(os.path.join(d, "scale_scalar_pb"), bytes([1 + 3 * 3, 2]) + tensor_proto([], 1, float_data=[2.0]))
    write(os.path.join(d, "unknown_name"), bytes([1, 3]) + npy("<f4", (2, 3), floats(6)))
    write(os.path.join(d, "given_twice"), bytes([1, 0x80]) + npy("<f4", (2, 3), floats(6)))
    write(os.path.join(d, "bad_extension"), bytes([1 + 3 * 4, 0]) + npy("<f4", (2, 3), floats(6)))
    write(os.path.join(d, "empty_input_npy"), bytes([2, 0]) + npy("<f4", (0, 5), b""))
    write(os.path.join(d, "big_packed_pb"), bytes([2 + 3 * 1, 1]) +
          tensor_proto([1, 256, 256], 7, int64_data=[0] * 65536))


if __name__ == "__main__":
    main()
