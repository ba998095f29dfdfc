#!/usr/bin/env python3
"""Generates malformed variants of the repository's real inputs.

  python3 tests/fuzz/make_malformed_corpus.py OUTDIR [--per-kind N] [--seed S]

Writes OUTDIR/{onnx,nsir,npy,pb}/NNNN-<mutation>.<ext>: N variants of each kind
(default 250), the same bytes for the same N and S on every run. Seeds are
the repository's own files (tests/models/*/model.onnx and their
test_data_set_0/*.pb, tests/lit/**/*.nsir, tests/e2e/Inputs, examples/data/*.npy)
plus a few tensor files made here. Mutations:

  every kind   empty file, truncations at many lengths, byte flips, garbage
  onnx / pb    a small protobuf wire-format walker edits fields in place: dims
               (ValueInfo shapes, initializer and tensor dims) set huge, negative
               or zero; element types and data types wrong; attribute ints huge or
               negative; opset versions odd; raw_data cut short; node outputs
               duplicated and inputs pointing at later outputs (cycles); external
               data locations that leave the model's folder
  nsir         dims in type text huge / negative / overflowing, dtypes wrong,
               cycles (an operand defined later or by the node itself), duplicated
               value names, op names swapped, attribute lists and dense payloads
               edited, @weights indices and arena offsets out of range, and
               broken weights side files (written as FILE.weights)
  npy          header dict edits: shape huge / negative / overflowing / too many
               dims, descr wrong, fortran_order odd, header length wrong,
               versions unknown, payload short or long

Python 3 standard library only (no onnx package).
"""
import argparse
import glob
import hashlib
import os
import random
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from make_seed_corpus import floats, npy, tensor_proto  # noqa: E402

HUGE_DIMS = [2**31 - 1, 2**31, 2**32 + 3, 2**40, 2**62, 2**63 - 1, 10**15]
NEGATIVE_DIMS = [-1, -2, -(2**31), -(2**63)]
ODD_DIMS = HUGE_DIMS + NEGATIVE_DIMS + [0, 1]


def read(rel):
    with open(os.path.join(REPO, rel), "rb") as f:
        return f.read()


# ---- generic byte mutations ---------------------------------------------------------

def truncations(data, rng, count):
    n = len(data)
    lengths = {0, 1, 2, 4, 8, 9, 10, 11, 12, 16, 31, 64, n // 2, n - 1, n - 2, n - 8}
    while len(lengths) < count + 8:
        lengths.add(rng.randrange(0, max(n, 1)))
    return [(f"trunc{k}", data[:k]) for k in sorted(x for x in lengths if 0 <= x < n)][:count]


def byte_flips(data, rng, flips):
    if not data:
        return data
    b = bytearray(data)
    for _ in range(flips):
        i = rng.randrange(len(b))
        b[i] ^= rng.choice([0x01, 0x80, 0xFF, rng.randrange(1, 256)])
    return bytes(b)


def splice_garbage(data, rng):
    b = bytearray(data)
    i = rng.randrange(len(b) + 1)
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    return bytes(b[:i] + junk + b[i:])


# ---- protobuf wire format -------------------------------------------------------------

def read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("bad varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def encode_varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def parse_message(buf):
    """[(field, wire, value)]: value is an int (varint, fixed) or bytes (wire 2)."""
    fields, pos = [], 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise ValueError("short fixed64")
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wire == 5:
            if pos + 4 > len(buf):
                raise ValueError("short fixed32")
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("short bytes")
            value, pos = bytes(buf[pos:pos + length]), pos + length
        else:
            raise ValueError("wire type %d" % wire)
        fields.append([number, wire, value])
    return fields


def serialize(fields):
    out = bytearray()
    for number, wire, value in fields:
        out += encode_varint(number << 3 | wire)
        if wire == 0:
            out += encode_varint(value)
        elif wire == 1:
            out += struct.pack("<Q", value & (2**64 - 1))
        elif wire == 5:
            out += struct.pack("<I", value & (2**32 - 1))
        else:
            payload = value if isinstance(value, (bytes, bytearray)) else serialize(value)
            out += encode_varint(len(payload)) + payload
    return bytes(out)


# message name -> {field number: sub-message name}; fields not listed stay raw.
SCHEMA = {
    "Model": {7: "Graph", 8: "OpsetId"},
    "Graph": {1: "Node", 5: "Tensor", 11: "ValueInfo", 12: "ValueInfo", 13: "ValueInfo"},
    "Node": {5: "Attribute"},
    "Attribute": {5: "Tensor", 6: "Graph", 10: "Tensor", 11: "Graph"},
    "ValueInfo": {2: "Type"},
    "Type": {1: "TensorType"},
    "TensorType": {2: "Shape"},
    "Shape": {1: "Dim"},
    "Tensor": {13: "Entry"},
    "OpsetId": {}, "Dim": {}, "Entry": {},
}

# (message, field) -> role of an editable varint field.
ROLES = {
    ("Dim", 1): "dim",
    ("Tensor", 1): "dim",
    ("Tensor", 2): "dtype",
    ("TensorType", 1): "dtype",
    ("Attribute", 3): "attr_int",
    ("Attribute", 8): "attr_int",
    ("OpsetId", 2): "opset",
    ("Model", 1): "ir_version",
}


class Tree:
    """A parsed message whose sub-messages (per SCHEMA) are parsed too."""

    def __init__(self, kind, buf):
        self.kind = kind
        self.fields = parse_message(buf)
        for f in self.fields:
            sub = SCHEMA.get(kind, {}).get(f[0])
            if sub and f[1] == 2:
                try:
                    f[2] = Tree(sub, f[2])
                except ValueError:
                    pass  # not a message after all: keep the bytes

    def encode(self):
        return serialize([[n, w, v.encode() if isinstance(v, Tree) else v] for n, w, v in self.fields])

    def walk(self):
        yield self
        for f in self.fields:
            if isinstance(f[2], Tree):
                yield from f[2].walk()

    def sites(self, role):
        """[(tree, index)] of varint fields with that role, and packed dims."""
        out = []
        for t in self.walk():
            for i, (n, w, _) in enumerate(t.fields):
                if ROLES.get((t.kind, n)) == role and w in (0, 2):
                    out.append((t, i))
        return out


def set_varint(tree, index, value):
    f = tree.fields[index]
    if f[1] == 0:
        f[2] = value & (2**64 - 1)
    else:  # packed repeated varints: replace the first
        rest = f[2]
        try:
            _, pos = read_varint(rest, 0)
        except ValueError:
            pos = len(rest)
        f[2] = encode_varint(value) + rest[pos:]


def proto_mutations(data, kind, rng, count, label):
    """Field-level edits of a serialized ModelProto (kind "Model") or TensorProto."""
    out = []
    try:
        Tree(kind, data)
    except ValueError:
        return out
    attempts = 0
    while len(out) < count and attempts < count * 20:
        attempts += 1
        tree = Tree(kind, data)
        choice = rng.randrange(12 if kind == "Model" else 8)
        name = None
        if choice in (0, 1, 2):  # dims huge / negative / zero
            sites = tree.sites("dim")
            if sites:
                t, i = rng.choice(sites)
                value = rng.choice([HUGE_DIMS, NEGATIVE_DIMS, [0]][choice])
                set_varint(t, i, value)
                name = f"{label}-dim{'huge' if choice == 0 else 'neg' if choice == 1 else 'zero'}"
        elif choice == 3:  # wrong dtypes
            sites = tree.sites("dtype")
            if sites:
                t, i = rng.choice(sites)
                set_varint(t, i, rng.choice([0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 99, 2**32]))
                name = f"{label}-dtype"
        elif choice == 4:  # many dims at once
            sites = tree.sites("dim")
            for t, i in rng.sample(sites, min(len(sites), rng.randrange(1, 6))):
                set_varint(t, i, rng.choice(ODD_DIMS))
            name = f"{label}-dims-many" if sites else None
        elif choice == 5:  # extra dims appended to a tensor or shape
            targets = [t for t in tree.walk() if t.kind in ("Tensor", "Shape")]
            if targets:
                t = rng.choice(targets)
                for _ in range(rng.randrange(1, 40)):
                    if t.kind == "Tensor":
                        t.fields.insert(0, [1, 0, rng.choice([1, 2, 0, 2**40])])
                    else:
                        t.fields.append([1, 2, serialize([[1, 0, rng.choice([1, 2, 2**33])]])])
                name = f"{label}-rank"
        elif choice == 6:  # raw_data / typed data cut short or grown
            targets = [(t, i) for t in tree.walk() if t.kind == "Tensor"
                       for i, f in enumerate(t.fields) if f[0] in (4, 5, 7, 9, 10, 11) and f[1] == 2]
            if targets:
                t, i = rng.choice(targets)
                payload = t.fields[i][2]
                if rng.random() < 0.7 and payload:
                    t.fields[i][2] = payload[:rng.randrange(len(payload))]
                else:
                    t.fields[i][2] = payload + bytes(rng.randrange(1, 64))
                name = f"{label}-data-size"
        elif choice == 7:  # external data pointing outside, or nowhere
            targets = [t for t in tree.walk() if t.kind == "Tensor"]
            if targets:
                t = rng.choice(targets)
                t.fields = [f for f in t.fields if f[0] not in (4, 5, 7, 9, 10, 11)]
                loc = rng.choice([b"../../etc/passwd", b"/etc/passwd", b"missing.bin", b"", b"a/../../b",
                                  b"model.onnx"])
                entries = [[1, 2, b"location"], [2, 2, loc]]
                t.fields.append([13, 2, serialize(entries)])
                if rng.random() < 0.5:
                    t.fields.append([13, 2, serialize([[1, 2, b"offset"], [2, 2, rng.choice(
                        [b"-1", b"99999999999999999999", b"0", b"x"])]])])
                t.fields.append([14, 0, 1])  # data_location = EXTERNAL
                name = f"{label}-external"
        elif choice == 8:  # attribute ints huge / negative
            sites = tree.sites("attr_int")
            if sites:
                t, i = rng.choice(sites)
                set_varint(t, i, rng.choice(ODD_DIMS + [3, 7]))
                name = f"{label}-attr"
        elif choice == 9:  # opset / ir version odd
            sites = tree.sites("opset") + tree.sites("ir_version")
            if sites:
                t, i = rng.choice(sites)
                set_varint(t, i, rng.choice([0, 1, 5, 7, 22, 999, 2**63 - 1, -1]))
                name = f"{label}-version"
        elif choice == 10:  # duplicated node (duplicate output names)
            graph = next((t for t in tree.walk() if t.kind == "Graph"), None)
            nodes = [i for i, f in enumerate(graph.fields) if f[0] == 1] if graph else []
            if nodes:
                i = rng.choice(nodes)
                graph.fields.insert(rng.choice(nodes), list(graph.fields[i]))
                name = f"{label}-dup-node"
        elif choice == 11:  # a cycle: a node's input is its own or a later node's output
            graph = next((t for t in tree.walk() if t.kind == "Graph"), None)
            nodes = [f[2] for f in graph.fields if f[0] == 1 and isinstance(f[2], Tree)] if graph else []
            if len(nodes) >= 1:
                a = rng.randrange(len(nodes))
                b = rng.randrange(a, len(nodes))
                outs = [f[2] for f in nodes[b].fields if f[0] == 2]
                ins = [j for j, f in enumerate(nodes[a].fields) if f[0] == 1]
                if outs and ins:
                    nodes[a].fields[rng.choice(ins)][2] = rng.choice(outs)
                    name = f"{label}-cycle"
        if name:
            out.append((name, tree.encode()))
    return out


# ---- nsir text mutations --------------------------------------------------------------

OPS = [m for m in re.findall(rb'^OP\(\w+, "([a-z_0-9]+)"', read("ir/ops.def"), re.M)]
TYPE_RE = re.compile(rb"(f32|i64)\[([^\]]*)\]")
DEF_RE = re.compile(rb"^\s*(%[\w\"]+)\s*=\s*([a-z_0-9]+)\(", re.M)


def nsir_mutations(text, rng, count, label):
    out = []
    lines = text.split(b"\n")
    attempts = 0
    while len(out) < count and attempts < count * 20:
        attempts += 1
        choice = rng.randrange(12)
        t = text
        name = None
        types = list(TYPE_RE.finditer(text))
        defs = list(DEF_RE.finditer(text))
        if choice in (0, 1) and types:  # a dim huge / negative / overflowing / symbolic
            m = rng.choice(types)
            dims = m.group(2).split(b",") if m.group(2) else [b""]
            k = rng.randrange(len(dims))
            dims[k] = rng.choice([b"99999999999", b"9223372036854775807", b"18446744073709551616", b"-1",
                                  b"-9223372036854775808", b"4294967296", b"0", b"?", b"N", b"\"q\"", b"1e9",
                                  b"0x10", b""])
            t = text[:m.start(2)] + b",".join(dims) + text[m.end(2):]
            name = f"{label}-dim"
        elif choice == 2 and types:  # dtype wrong
            m = rng.choice(types)
            t = text[:m.start(1)] + rng.choice([b"i64", b"f32", b"f16", b"u8", b"bool", b"f64", b""]) + text[m.end(1):]
            name = f"{label}-dtype"
        elif choice == 3 and types:  # rank huge
            m = rng.choice(types)
            t = text[:m.start(2)] + b",".join([b"1"] * rng.choice([9, 33, 65, 1000])) + text[m.end(2):]
            name = f"{label}-rank"
        elif choice == 4 and len(defs) >= 1:  # a cycle: the node uses itself or a later value
            a = rng.randrange(len(defs))
            b = rng.randrange(a, len(defs))
            use_start = defs[a].end()
            close = text.find(b")", use_start)
            operands = text[use_start:close]
            later = defs[b].group(1)
            if operands.strip():
                parts = operands.split(b",")
                parts[rng.randrange(len(parts))] = b" " + later
                t = text[:use_start] + b",".join(parts).lstrip() + text[close:]
            else:
                t = text[:use_start] + later + text[close:]
            name = f"{label}-cycle"
        elif choice == 5 and len(defs) >= 2:  # duplicated value name
            a, b = rng.sample(range(len(defs)), 2)
            t = text[:defs[b].start(1)] + defs[a].group(1) + text[defs[b].end(1):]
            name = f"{label}-dup-name"
        elif choice == 6 and defs:  # op name swapped
            m = rng.choice(defs)
            t = text[:m.start(2)] + rng.choice(OPS + [b"frobnicate", b""]) + text[m.end(2):]
            name = f"{label}-op"
        elif choice == 7:  # attribute ints / dense payload edited
            lists = list(re.finditer(rb"\[(-?[0-9][0-9eE.,+-]*)\]", text))
            if lists:
                m = rng.choice(lists)
                values = m.group(1).split(b",")
                op = rng.randrange(4)
                if op == 0:
                    values[rng.randrange(len(values))] = rng.choice(
                        [b"-1", b"-9223372036854775808", b"9223372036854775807", b"99999999999999999999",
                         b"1e400", b"nan", b"-0"])
                elif op == 1:
                    values.pop(rng.randrange(len(values)))
                elif op == 2:
                    values = values * rng.choice([2, 50])
                else:
                    values = []
                t = text[:m.start(1)] + b",".join(values) + text[m.end(1):]
                name = f"{label}-list"
        elif choice == 8:  # a line deleted or duplicated
            if len(lines) > 2:
                ls = list(lines)
                i = rng.randrange(len(ls))
                if rng.random() < 0.5:
                    del ls[i]
                else:
                    ls.insert(i, ls[i])
                t = b"\n".join(ls)
                name = f"{label}-line"
        elif choice == 9:  # arena offsets / arena size / weights index out of range
            t = text
            if b"@arena+" in t or b"arena " in t:
                t = re.sub(rb"@arena\+[0-9]+", lambda _: b"@arena+" + rng.choice(
                    [b"99999999999999", b"9223372036854775807", b"1", b"-8"]), t, count=1)
                t = re.sub(rb"\) arena [0-9]+", lambda _: b") arena " + rng.choice(
                    [b"0", b"1", b"-1", b"9223372036854775807"]), t, count=1)
                name = f"{label}-arena"
            else:
                t = re.sub(rb"(%\w+ = [a-z_0-9]+\([^)]*\)[^:\n]*: [fi][36][24]\[[^\]]*\])",
                           lambda m: m.group(1) + rng.choice([b" @arena+0", b" @arena+99999999999999",
                                                             b" @arena+-1"]), t, count=1)
                name = f"{label}-arena"
        elif choice == 10:  # const payload replaced
            m = re.search(rb"(dense<\[[^\]]*\]>|<elided>|@weights\[[0-9]+\])", text)
            if m:
                t = text[:m.start()] + rng.choice(
                    [b"@weights[0]", b"@weights[99999999999]", b"@weights[-1]", b"dense<[]>", b"dense<[1,2",
                     b"<elided", b"dense<[" + b"1," * 3000 + b"1]>", b"dense<1.0>"]) + text[m.end():]
                name = f"{label}-payload"
        else:  # byte flips
            t = byte_flips(text, rng, rng.randrange(1, 6))
            name = f"{label}-flip"
        if name and t != text:
            out.append((name, t))
    return out


def weights_mutations(rng, count):
    """(nsir text, weights bytes) pairs: the weights side file broken."""
    text = (b"graph @w(%x: f32[2,4]) -> (f32[2,4]) {\n  %w = const f32[4] @weights[0]\n"
            b"  %i = const i64[2] @weights[1]\n  %y = add(%x, %w) : f32[2,4]\n  return %y\n}\n")

    def weights(tensors, version=1, count_field=None, magic=b"NSWEIGHT"):
        out = magic + struct.pack("<II", version, len(tensors) if count_field is None else count_field)
        for dtype, payload, length in tensors:
            out += struct.pack("<IIQ", dtype, 0, len(payload) if length is None else length) + payload
        return out

    good = [(0, floats(4), None), (1, struct.pack("<2q", 1, 2), None)]
    cases = [
        ("good", weights(good)),
        ("bad-magic", weights(good, magic=b"NSWEIGHX")),
        ("version0", weights(good, version=0)),
        ("version-huge", weights(good, version=2**32 - 1)),
        ("count-huge", weights(good, count_field=2**32 - 1)),
        ("count-short", weights(good, count_field=1)),
        ("count-zero", weights(good, count_field=0)),
        ("length-huge", weights([(0, floats(4), 2**64 - 1), good[1]])),
        ("length-short", weights([(0, floats(4), 3), good[1]])),
        ("dtype-bad", weights([(7, floats(4), None), good[1]])),
        ("dtype-swapped", weights([(1, floats(4), None), (0, struct.pack("<2q", 1, 2), None)])),
        ("size-mismatch", weights([(0, floats(3), None), good[1]])),
        ("trailing", weights(good) + b"\0\0\0"),
        ("empty", b""),
    ]
    out = [(f"weights-{n}", text, w) for n, w in cases]
    full = weights(good)
    while len(out) < count:
        k = rng.randrange(len(full))
        out.append((f"weights-trunc{k}", text, full[:k]) if rng.random() < 0.5 else
                   ("weights-flip", text, byte_flips(full, rng, rng.randrange(1, 4))))
    return out[:count]


# ---- npy header mutations --------------------------------------------------------------

def npy_mutations(rng, count):
    out = []
    base = npy("<f4", (2, 3), floats(6))
    shapes = ["(%d, 3)" % d for d in HUGE_DIMS] + ["(%d,)" % d for d in NEGATIVE_DIMS] + [
        "(2, -3)", "(18446744073709551616,)", "(99999999999999999999999, 0)", "(0, 99999999999999)",
        "(" + ", ".join(["2"] * 64) + ")", "(" + ", ".join(["1"] * 1000) + ")", "(2, 3",
        "[2, 3]", "(2 3)", "('a', 3)", "(2., 3)", "(,)", "(2,,3)", "(+2, 3)", "(0x2, 3)", "()", "(6,)", "(3, 2)",
        "(2, 3, 1)", "(1, 2, 3)", "(4294967296, 4294967296)", "(3037000500, 3037000500)"]
    descrs = ["<f4", ">f4", "<f8", ">i8", "<i8", "<c8", "|O", "<U4", "|V8", "<f4x", "", "float32", "<M8[s]",
              "|b1", "<f2", "<u8", "|i1", "<i2", "<u4", "|S3", "=f4", "<f16", "f4"]
    for shape in shapes:
        out.append(("npy-shape", header_npy("<f4", "False", shape, floats(6))))
    for d in descrs:
        out.append(("npy-descr", header_npy(d, "False", "(2, 3)", floats(12))))
    for fo in ["True", "1", "'False'", "Tru", "None", ""]:
        out.append(("npy-fortran", header_npy("<f4", fo, "(2, 3)", floats(6))))
    dicts = ["{}", "{'descr': '<f4', 'shape': (2, 3), }", "{'descr': '<f4', 'fortran_order': False, }",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1, }",
             "{'descr': '<f4', 'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (99999999999,), }",
             "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }", "{'descr': '<f4'", "",
             "{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}", "{\"descr\": \"<f4\", "
             "\"fortran_order\": False, \"shape\": (2, 3)}", "{'descr': '<f4', 'fortran_order': False, "
             "'shape': (2, 3)}" + "\x00" * 10, "\x00" * 50]
    for d in dicts:
        out.append(("npy-dict", raw_npy(d.encode("latin-1"), floats(6))))
    # header length field / version / magic
    hdr_len = struct.unpack_from("<H", base, 8)[0]
    for v in [0, 1, hdr_len - 1, hdr_len + 1, len(base), 0xFFFF]:
        b = bytearray(base)
        struct.pack_into("<H", b, 8, v)
        out.append(("npy-hlen", bytes(b)))
    for ver in [(0, 0), (4, 0), (1, 1), (255, 255)]:
        b = bytearray(base)
        b[6:8] = bytes(ver)
        out.append(("npy-version", bytes(b)))
    v2 = npy("<f4", (2, 3), floats(6), version=(2, 0))
    for v in [0, 2**31, 2**32 - 1, len(v2)]:
        b = bytearray(v2)
        struct.pack_into("<I", b, 8, v)
        out.append(("npy-v2-hlen", bytes(b)))
    for magic in [b"\x93NUMPX", b"NUMPY\x93", b"\x00" * 6]:
        out.append(("npy-magic", magic + base[6:]))
    # payload short / long, for each element size
    for descr, size in [("<f4", 4), ("<i8", 8), ("<f8", 8), ("|b1", 1), ("<f2", 2), ("<i4", 4)]:
        for n in [0, 1, 5 * size, 6 * size - 1, 6 * size + 1, 12 * size]:
            out.append(("npy-payload", npy(descr, (2, 3), bytes(n))))
    # byte-level mutations of real .npy files
    seeds = [read("examples/data/trafficsign_input.npy"), base, npy("<i8", (2, 3), bytes(48)),
             npy("<f4", (2, 3), floats(6), version=(3, 0))]
    while len(out) < count:
        s = rng.choice(seeds)
        if rng.random() < 0.5:
            k = rng.randrange(len(s))
            out.append((f"npy-trunc{k}", s[:k]))
        else:
            # flips inside the header more often than in the data
            b = bytearray(s)
            for _ in range(rng.randrange(1, 5)):
                i = rng.randrange(min(len(b), 128) if rng.random() < 0.8 else len(b))
                b[i] = rng.randrange(256)
            out.append(("npy-flip", bytes(b)))
    return out


def header_npy(descr, fortran, shape, payload):
    return raw_npy(("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape))
                   .encode("latin-1"), payload)


def raw_npy(header, payload):
    header = header + b" " * ((64 - (11 + len(header)) % 64) % 64) + b"\n"
    if len(header) < 65536:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header + payload


# ---- driver -------------------------------------------------------------------------------

class Sink:
    def __init__(self, outdir, kind, ext, per_kind):
        self.dir = os.path.join(outdir, kind)
        os.makedirs(self.dir, exist_ok=True)
        for old in glob.glob(os.path.join(self.dir, "*")):
            os.remove(old)
        self.ext, self.limit, self.seen, self.count = ext, per_kind, set(), 0

    def full(self):
        return self.count >= self.limit

    def add(self, name, data, weights=None):
        key = hashlib.sha1(data + b"\0" + (weights if weights is not None else b"-")).digest()
        if self.full() or key in self.seen:
            return
        self.seen.add(key)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
        path = os.path.join(self.dir, "%04d-%s%s" % (self.count, name, self.ext))
        with open(path, "wb") as f:
            f.write(data)
        if weights is not None:
            with open(path + ".weights", "wb") as f:
                f.write(weights)
        self.count += 1


def fill(sink, rng, seeds, mutate):
    """Round-robin over seeds, each round a few variants of each, until full."""
    rounds = 0
    while not sink.full() and rounds < 200:
        rounds += 1
        for label, data in seeds:
            for name, variant in mutate(label, data):
                sink.add(name, variant)
            if sink.full():
                return


def generic(label, data, rng):
    out = [(f"{label}-flip", byte_flips(data, rng, rng.randrange(1, 8))),
           (f"{label}-garbage", splice_garbage(data, rng))]
    k = rng.randrange(len(data)) if data else 0
    out.append((f"{label}-trunc{k}", data[:k]))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("outdir")
    parser.add_argument("--per-kind", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.per_kind

    # ---- onnx
    rng = random.Random(args.seed * 1000 + 1)
    sink = Sink(args.outdir, "onnx", ".onnx", n)
    models = [(m, read(f"tests/models/{m}/model.onnx")) for m in ["logreg", "trafficsign", "lstm", "lenet5"]]
    sink.add("empty", b"")
    sink.add("garbage", bytes(rng.randrange(256) for _ in range(300)))
    for label, data in models[:2]:
        for name, t in truncations(data, rng, 12):
            sink.add(f"{label}-{name}", t)
    fill(sink, rng, models, lambda label, data: proto_mutations(data, "Model", rng, 4, label) +
         generic(label, data, rng)[:1])

    # ---- pb
    rng = random.Random(args.seed * 1000 + 2)
    sink = Sink(args.outdir, "pb", ".pb", n)
    tensors = [(f"t{i}", read(p)) for i, p in enumerate([
        "tests/e2e/Inputs/tiny_dense/test_data_set_0/input_0.pb", "tests/models/logreg/test_data_set_0/output_0.pb",
        "tests/models/lstm/test_data_set_0/input_0.pb", "tests/models/trafficsign/test_data_set_0/output_0.pb"])]
    tensors += [("i64", tensor_proto([2, 3], 7, int64_data=list(range(6)), name=b"x")),
                ("f32data", tensor_proto([2, 3], 1, float_data=[0.5] * 6, name=b"x"))]
    sink.add("empty", b"")
    for name, t in truncations(tensors[0][1], rng, 20):
        sink.add(f"t0-{name}", t)
    fill(sink, rng, tensors, lambda label, data: proto_mutations(data, "Tensor", rng, 4, label) +
         generic(label, data, rng))

    # ---- nsir
    rng = random.Random(args.seed * 1000 + 3)
    sink = Sink(args.outdir, "nsir", ".nsir", n)
    sources = sorted(glob.glob(os.path.join(REPO, "tests/lit/**/*.nsir"), recursive=True)) + [
        os.path.join(REPO, "tests/e2e/Inputs/tiny_dense/model.nsir")]
    texts = []
    for src in sources:
        with open(src, "rb") as f:
            text = f.read()
        stem = os.path.splitext(os.path.basename(src))[0]
        parts = text.split(b"\n//--- ")
        if len(parts) == 1:
            texts.append((stem, text))
        for part in parts[1:]:
            pname, _, body = part.partition(b"\n")
            texts.append((stem + "-" + os.path.splitext(pname.decode().strip())[0], body))
    sink.add("empty", b"")
    for name, t, w in weights_mutations(rng, 30):
        sink.add(name, t, w)
    for name, t in truncations(texts[0][1], rng, 10):
        sink.add(f"{texts[0][0]}-{name}", t)
    fill(sink, rng, texts, lambda label, data: nsir_mutations(data, rng, 2, label))

    # ---- npy
    rng = random.Random(args.seed * 1000 + 4)
    sink = Sink(args.outdir, "npy", ".npy", n)
    sink.add("empty", b"")
    for name, data in npy_mutations(rng, n * 2):
        sink.add(name, data)

    for kind in ["onnx", "pb", "nsir", "npy"]:
        count = len([p for p in os.listdir(os.path.join(args.outdir, kind)) if not p.endswith(".weights")])
        print(f"{kind}: {count} files")
        if count < n:
            print(f"make_malformed_corpus: only {count} distinct {kind} variants (wanted {n})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
