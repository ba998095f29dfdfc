// Shape rules of the compute ops (convolution, pooling, dense algebra,
// elementwise, reductions, recurrent) and the dispatch from ops.def.
// Layout and shape-op rules are in ShapeRulesLayout.cpp.
//
// Symbolic dims: a dim that only passes through (conv's batch) keeps its
// symbol; a dim computed from a symbol (conv output height of a symbolic
// height) becomes `?`, which every check treats as compatible.
#include <optional>
#include <string>

#include "ir/OpViews.h"
#include "ir/ShapeInference.h"
#include "ir/ShapeRuleSupport.h"
#include "ir/Verifier.h"

namespace nutshell::ir {
namespace rules {
namespace {

/// Output size of one sliding-window axis (conv and pooling).
Expected<Dim> windowOutput(const Node& node, const Dim& in, const Dim& kernelDim, int64_t stride, int64_t padBegin,
                           int64_t padEnd, int64_t dilation, bool ceilMode, std::string_view axisName) {
  if (!in.isStatic() || !kernelDim.isStatic()) return unknownDim();
  // Attribute values are bounded by kMaxElements (verifyAttributes), dims by
  // the type checks, so 128-bit arithmetic cannot overflow.
  __int128 padded = __int128(in.size) + padBegin + padEnd;
  __int128 effective = (__int128(kernelDim.size) - 1) * dilation + 1;
  if (kernelDim.size < 1)
    return nodeError(node, "kernel " + std::string(axisName) + " size " + std::to_string(kernelDim.size) + " < 1");
  if (padded < effective)
    return nodeError(node, "window " + std::to_string(int64_t(effective > kMaxElements ? -1 : effective)) + " on " +
                               std::string(axisName) + " is larger than the padded input " +
                               std::to_string(int64_t(padded)));
  __int128 span = padded - effective;
  __int128 out = ceilMode ? (span + stride - 1) / stride + 1 : span / stride + 1;
  // Ceil mode: the last window must start inside the input or its begin padding.
  if (ceilMode && (out - 1) * stride >= __int128(in.size) + padBegin) out -= 1;
  if (out > kMaxElements) return nodeError(node, "dims too large: " + std::string(axisName) + " output overflows");
  return Dim(int64_t(out));
}

/// Result type of conv2d / fused_conv2d before pooling.
Expected<TensorType> convOutput(const Node& node) {
  NUTSHELL_TRY(requireRank(node, 0, 4));
  NUTSHELL_TRY(requireRank(node, 1, 4));
  NUTSHELL_TRY(requireF32(node, 0));
  NUTSHELL_TRY(requireF32(node, 1));
  const TensorType& x = node.operands[0]->type;
  const TensorType& w = node.operands[1]->type;
  NUTSHELL_ASSIGN(ConvGeometry g, convGeometry(node));
  int64_t groups = g.groups;
  if (x.dims[1].isStatic() && w.dims[1].isStatic()) {
    int64_t expected = 0;
    if (!checkedMul(w.dims[1].size, groups, expected) || expected != x.dims[1].size)
      return nodeError(node, "input channels " + dimStr(x.dims[1]) + " != weight channels*groups " +
                                 std::to_string(expected));
  }
  if (w.dims[0].isStatic() && w.dims[0].size % groups != 0)
    return nodeError(node, "output channels " + dimStr(w.dims[0]) + " not divisible by groups " +
                               std::to_string(groups));
  if (node.operands.size() > 2) {
    NUTSHELL_TRY(requireRank(node, 2, 1));
    NUTSHELL_TRY(requireF32(node, 2));
    if (!dimsCompatible(node.operands[2]->type.dims[0], w.dims[0]))
      return nodeError(node, "bias size " + dimStr(node.operands[2]->type.dims[0]) + " != output channels " +
                                 dimStr(w.dims[0]));
  }
  NUTSHELL_ASSIGN(Dim h, windowOutput(node, x.dims[2], w.dims[2], g.strideH, g.padTop, g.padBottom,
                                      g.dilationH, false, "height"));
  NUTSHELL_ASSIGN(Dim wd, windowOutput(node, x.dims[3], w.dims[3], g.strideW, g.padLeft, g.padRight,
                                       g.dilationW, false, "width"));
  return TensorType(DType::F32, {x.dims[0], w.dims[0], h, wd});
}

std::string intsStr(const std::vector<int64_t>& v) { return formatAttrValue(AttrValue(v)); }

}  // namespace

Expected<Types> inferConst(const Node& node) {
  if (node.op == OpKind::Const) {
    if (!node.constant) return nodeError(node, "const node has no payload");
    return Types{node.constant->type};
  }
  // empty: the buffer's type is the result type as written.
  if (node.results.empty() || !node.results[0]) return nodeError(node, "node has no result");
  return Types{node.results[0]->type};
}

Expected<Types> inferSameAsFirst(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  if (node.op != OpKind::Identity) NUTSHELL_TRY(requireF32(node, 0));
  if (node.op == OpKind::Softmax || node.op == OpKind::LogSoftmax)
    NUTSHELL_TRY(normalizeAxis(node, node.getInt("axis"), int64_t(x.rank()), "axis"));
  if (node.op == OpKind::Lrn && x.rank() < 3)
    return nodeError(node, "expects an input of rank >= 3 (N,C,spatial...), got rank " + std::to_string(x.rank()));
  if (node.op == OpKind::BatchNorm) {
    if (x.rank() < 2) return nodeError(node, "expects an input of rank >= 2, got rank " + std::to_string(x.rank()));
    for (size_t i = 1; i < node.operands.size(); ++i) {
      NUTSHELL_TRY(requireRank(node, i, 1));
      NUTSHELL_TRY(requireF32(node, i));
      if (!dimsCompatible(node.operands[i]->type.dims[0], x.dims[1]))
        return nodeError(node, node.info().operandName(i) + " size " +
                                   dimStr(node.operands[i]->type.dims[0]) + " != channels " +
                                   dimStr(x.dims[1]));
    }
  }
  return Types{x};
}

Expected<Types> inferConv2d(const Node& node) {
  NUTSHELL_ASSIGN(TensorType out, convOutput(node));
  return Types{out};
}

Expected<Types> inferFusedConv2d(const Node& node) {
  NUTSHELL_ASSIGN(TensorType out, convOutput(node));
  NUTSHELL_ASSIGN(std::optional<PoolGeometry> pool, fusedPoolGeometry(node));
  if (pool) {
    NUTSHELL_ASSIGN(out.dims[2], windowOutput(node, out.dims[2], Dim(pool->kernelH), pool->strideH,
                                              pool->padTop, pool->padBottom, 1, false, "pooled height"));
    NUTSHELL_ASSIGN(out.dims[3], windowOutput(node, out.dims[3], Dim(pool->kernelW), pool->strideW,
                                              pool->padLeft, pool->padRight, 1, false, "pooled width"));
  }
  if (node.operands.size() < 4) return Types{out};
  // Destination-writing form: channels [dest_offset, dest_offset+K) of dest.
  NUTSHELL_TRY(requireRank(node, 3, 4));
  NUTSHELL_TRY(requireF32(node, 3));
  const TensorType& dest = node.operands[3]->type;
  for (size_t i : {size_t(0), size_t(2), size_t(3)})
    if (!dimsCompatible(dest.dims[i], out.dims[i]))
      return nodeError(node, "dest dim " + std::to_string(i) + " is " + dimStr(dest.dims[i]) +
                                 " but the conv output " + out.str() + " needs " + dimStr(out.dims[i]));
  int64_t offset = node.getInt("dest_offset");
  if (dest.dims[1].isStatic() && out.dims[1].isStatic() && offset + out.dims[1].size > dest.dims[1].size)
    return nodeError(node, "channels [" + std::to_string(offset) + "," + std::to_string(offset + out.dims[1].size) +
                               ") do not fit dest channels " + dimStr(dest.dims[1]));
  return Types{dest};
}

Expected<Types> inferPool2d(const Node& node) {
  NUTSHELL_TRY(requireRank(node, 0, 4));
  NUTSHELL_TRY(requireF32(node, 0));
  const TensorType& x = node.operands[0]->type;
  NUTSHELL_ASSIGN(PoolGeometry g, poolGeometry(node));
  TensorType out = x;
  NUTSHELL_ASSIGN(out.dims[2], windowOutput(node, x.dims[2], Dim(g.kernelH), g.strideH, g.padTop, g.padBottom,
                                            g.dilationH, g.ceilMode, "height"));
  NUTSHELL_ASSIGN(out.dims[3], windowOutput(node, x.dims[3], Dim(g.kernelW), g.strideW, g.padLeft, g.padRight,
                                            g.dilationW, g.ceilMode, "width"));
  return Types{out};
}

Expected<Types> inferGlobalPool(const Node& node) {
  NUTSHELL_TRY(requireF32(node, 0));
  TensorType out = node.operands[0]->type;
  if (out.rank() < 3)
    return nodeError(node, "expects an input of rank >= 3 (N,C,spatial...), got rank " + std::to_string(out.rank()));
  for (size_t i = 2; i < out.rank(); ++i) out.dims[i] = Dim(1);
  return Types{out};
}

Expected<Types> inferDense(const Node& node) {
  NUTSHELL_TRY(requireRank(node, 0, 2));
  NUTSHELL_TRY(requireRank(node, 1, 2));
  for (size_t i = 0; i < node.operands.size(); ++i) NUTSHELL_TRY(requireF32(node, i));
  const TensorType& x = node.operands[0]->type;
  const TensorType& w = node.operands[1]->type;
  if (!dimsCompatible(x.dims[1], w.dims[0]))
    return nodeError(node, "input features " + dimStr(x.dims[1]) + " != weight rows " + dimStr(w.dims[0]));
  if (node.operands.size() > 2) {
    NUTSHELL_TRY(requireRank(node, 2, 1));
    if (!dimsCompatible(node.operands[2]->type.dims[0], w.dims[1]))
      return nodeError(node, "bias size " + dimStr(node.operands[2]->type.dims[0]) + " != weight columns " +
                                 dimStr(w.dims[1]));
  }
  return Types{TensorType(DType::F32, {x.dims[0], w.dims[1]})};
}

Expected<Types> inferMaxout(const Node& node) {
  NUTSHELL_ASSIGN(Types dense, inferDense(node));
  int64_t pieces = node.getInt("pieces");
  Dim& n = dense[0].dims[1];
  if (n.isStatic()) {
    if (n.size % pieces != 0)
      return nodeError(node, "weight columns " + dimStr(n) + " not divisible by pieces " + std::to_string(pieces));
    n = Dim(n.size / pieces);
  } else {
    n = unknownDim();
  }
  return dense;
}

Expected<Types> inferGemm(const Node& node) {
  NUTSHELL_TRY(requireRank(node, 0, 2));
  NUTSHELL_TRY(requireRank(node, 1, 2));
  for (size_t i = 0; i < node.operands.size(); ++i) NUTSHELL_TRY(requireF32(node, i));
  const TensorType& a = node.operands[0]->type;
  const TensorType& b = node.operands[1]->type;
  bool ta = node.getInt("trans_a") != 0, tb = node.getInt("trans_b") != 0;
  Dim m = a.dims[ta ? 1 : 0], ka = a.dims[ta ? 0 : 1];
  Dim kb = b.dims[tb ? 1 : 0], n = b.dims[tb ? 0 : 1];
  if (!dimsCompatible(ka, kb))
    return nodeError(node, "inner dims differ: " + dimStr(ka) + " (a) != " + dimStr(kb) + " (b)");
  std::vector<Dim> mn{m, n};
  if (node.operands.size() > 2) {
    const TensorType& c = node.operands[2]->type;
    if (c.rank() > 2) return nodeError(node, "c must have rank <= 2, got " + c.str());
    // c broadcasts one way onto [M,N].
    for (size_t i = 0; i < c.rank(); ++i) {
      const Dim& cd = c.dims[c.rank() - 1 - i];
      const Dim& od = mn[1 - i];
      if (cd.isStatic() && cd.size == 1) continue;
      if (!dimsCompatible(cd, od))
        return nodeError(node, "c " + c.str() + " does not broadcast to [" + dimStr(m) + "," + dimStr(n) + "]");
    }
  }
  return Types{TensorType(DType::F32, mn)};
}

Expected<Types> inferMatMul(const Node& node) {
  NUTSHELL_TRY(requireF32(node, 0));
  NUTSHELL_TRY(requireF32(node, 1));
  std::vector<Dim> a = node.operands[0]->type.dims, b = node.operands[1]->type.dims;
  if (a.empty() || b.empty()) return nodeError(node, "operands must have rank >= 1");
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA) a.insert(a.begin(), Dim(1));
  if (vecB) b.push_back(Dim(1));
  if (!dimsCompatible(a.back(), b[b.size() - 2]))
    return nodeError(node, "inner dims differ: " + dimStr(a.back()) + " != " + dimStr(b[b.size() - 2]));
  std::vector<Dim> batchA(a.begin(), a.end() - 2), batchB(b.begin(), b.end() - 2);
  auto batch = broadcastDims(batchA, batchB);
  if (!batch) return nodeError(node, batch.message());
  std::vector<Dim> out = batch.take();
  if (!vecA) out.push_back(a[a.size() - 2]);
  if (!vecB) out.push_back(b.back());
  return Types{TensorType(DType::F32, out)};
}

Expected<Types> inferBroadcast(const Node& node) {
  DType dtype = node.operands[0]->type.dtype;
  // pow and prelu are f32 math; add..div, max and min also do i64 shape arithmetic.
  const bool f32Only =
      node.op == OpKind::FusedElementwise || node.op == OpKind::Pow || node.op == OpKind::PRelu;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    if (f32Only) NUTSHELL_TRY(requireF32(node, i));
    if (node.operands[i]->type.dtype != dtype) return nodeError(node, "operand dtypes differ");
  }
  if (node.op == OpKind::FusedElementwise) {
    size_t binary = 0;
    for (const std::string& step : node.getStrings("steps")) {
      std::optional<OpKind> op = lookupOp(step);
      if (op && opInfo(*op).has(Trait::Binary | Trait::Elementwise)) ++binary;
    }
    if (binary + 1 != node.operands.size())
      return nodeError(node, std::to_string(binary) + " binary steps need " + std::to_string(binary + 1) +
                                 " operands, got " + std::to_string(node.operands.size()));
  }
  std::vector<Dim> dims = node.operands[0]->type.dims;
  for (size_t i = 1; i < node.operands.size(); ++i) {
    auto next = broadcastDims(dims, node.operands[i]->type.dims);
    if (!next) return nodeError(node, next.message());
    dims = next.take();
  }
  if (node.op == OpKind::PRelu) {
    // Unidirectional: slope broadcasts to x, never x to slope.
    const TensorType& x = node.operands[0]->type;
    bool fits = dims.size() == x.rank();
    for (size_t i = 0; fits && i < dims.size(); ++i) fits = dimsCompatible(dims[i], x.dims[i]);
    if (!fits) return nodeError(node, "slope does not broadcast to the shape of x");
    return Types{x};
  }
  return Types{TensorType(dtype, dims)};
}

Expected<Types> inferReduce(const Node& node) {
  NUTSHELL_TRY(requireF32(node, 0));
  const TensorType& x = node.operands[0]->type;
  int64_t rank = int64_t(x.rank());
  std::vector<bool> reduced(x.rank(), false);
  const auto& axes = node.getInts("axes");
  if (axes.empty()) reduced.assign(x.rank(), true);
  for (int64_t axis : axes) {
    NUTSHELL_ASSIGN(int64_t a, normalizeAxis(node, axis, rank, "axes"));
    if (reduced[size_t(a)]) return nodeError(node, "axis " + std::to_string(axis) + " repeated in axes " + intsStr(axes));
    reduced[size_t(a)] = true;
  }
  bool keep = node.getInt("keepdims") != 0;
  std::vector<Dim> out;
  for (size_t i = 0; i < x.rank(); ++i) {
    if (!reduced[i])
      out.push_back(x.dims[i]);
    else if (keep)
      out.push_back(Dim(1));
  }
  return Types{TensorType(DType::F32, out)};
}

Expected<Types> inferArgReduce(const Node& node) {
  NUTSHELL_TRY(requireF32(node, 0));
  const TensorType& x = node.operands[0]->type;
  if (x.rank() == 0) return nodeError(node, "x must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(x.rank()), "axis"));
  const Dim& d = x.dims[size_t(axis)];
  if (d.isStatic() && d.size == 0)
    return nodeError(node, "axis " + std::to_string(axis) + " is empty: no index to take");
  std::vector<Dim> out = x.dims;
  if (node.getInt("keepdims") != 0)
    out[size_t(axis)] = Dim(1);
  else
    out.erase(out.begin() + axis);
  return Types{TensorType(DType::I64, out)};
}

Expected<Types> inferLayerNorm(const Node& node) {
  for (size_t i = 0; i < node.operands.size(); ++i) NUTSHELL_TRY(requireF32(node, i));
  const TensorType& x = node.operands[0]->type;
  if (x.rank() == 0) return nodeError(node, "x must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(x.rank()), "axis"));
  std::vector<Dim> normalized(x.dims.begin() + axis, x.dims.end());
  for (size_t i = 1; i < node.operands.size(); ++i) {
    const TensorType& t = node.operands[i]->type;
    bool fits = t.rank() == normalized.size();
    for (size_t k = 0; fits && k < t.rank(); ++k) fits = dimsCompatible(t.dims[k], normalized[k]);
    if (!fits)
      return nodeError(node, node.info().operandName(i) + " must have the normalised dims " +
                                 TensorType(DType::F32, normalized).str() + " (axis " + std::to_string(axis) +
                                 ")");
  }
  TensorType stats = x;
  for (size_t i = size_t(axis); i < x.rank(); ++i) stats.dims[i] = Dim(1);
  return Types{x, stats, stats};
}

Expected<Types> inferGroupNorm(const Node& node) {
  for (size_t i = 0; i < node.operands.size(); ++i) NUTSHELL_TRY(requireF32(node, i));
  const TensorType& x = node.operands[0]->type;
  if (x.rank() < 2)
    return nodeError(node, "expects an input of rank >= 2 (N,C,...), got rank " + std::to_string(x.rank()));
  const Dim& c = x.dims[1];
  for (size_t i = 1; i < 3; ++i) {
    NUTSHELL_TRY(requireRank(node, i, 1));
    if (!dimsCompatible(node.operands[i]->type.dims[0], c))
      return nodeError(node, node.info().operandName(i) + " size " + dimStr(node.operands[i]->type.dims[0]) +
                                 " != channels " + dimStr(c));
  }
  int64_t groups = node.getInt("num_groups");
  if (c.isStatic() && c.size % groups != 0)
    return nodeError(node,
                     "channels " + dimStr(c) + " not divisible by num_groups " + std::to_string(groups));
  return Types{x};
}

Expected<Types> inferLstm(const Node& node) {
  static const size_t kRanks[] = {3, 3, 3, 2, 3, 3, 2};
  for (size_t i = 0; i < node.operands.size(); ++i) {
    NUTSHELL_TRY(requireRank(node, i, kRanks[i]));
    NUTSHELL_TRY(requireF32(node, i));
  }
  int64_t h = node.getInt("hidden_size");
  int64_t d = node.getString("direction") == "bidirectional" ? 2 : 1;
  const TensorType& x = node.operands[0]->type;
  Dim t = x.dims[0], batch = x.dims[1], input = x.dims[2];
  auto expect = [&](size_t i, std::vector<Dim> dims) -> Status {
    const TensorType& type = node.operands[i]->type;
    for (size_t k = 0; k < dims.size(); ++k)
      if (!dimsCompatible(type.dims[k], dims[k]))
        return nodeError(node, node.info().operandName(i) + " is " + type.str() + ", expected " +
                                   TensorType(DType::F32, dims).str() + " (hidden_size " + std::to_string(h) +
                                   ", " + std::to_string(d) + " direction(s))");
    return Status::success();
  };
  NUTSHELL_TRY(expect(1, {Dim(d), Dim(4 * h), input}));
  NUTSHELL_TRY(expect(2, {Dim(d), Dim(4 * h), Dim(h)}));
  NUTSHELL_TRY(expect(3, {Dim(d), Dim(8 * h)}));
  NUTSHELL_TRY(expect(4, {Dim(d), batch, Dim(h)}));
  NUTSHELL_TRY(expect(5, {Dim(d), batch, Dim(h)}));
  if (node.operands.size() > 6) NUTSHELL_TRY(expect(6, {Dim(d), Dim(3 * h)}));
  TensorType state(DType::F32, {Dim(d), batch, Dim(h)});
  return Types{TensorType(DType::F32, {t, Dim(d), batch, Dim(h)}), state, state};
}

}  // namespace rules

/// Which element types an op's kernels are written for. Most ops compute on
/// f32 (and some on i64) and their shape rules say which; the types added for
/// comparisons, masks and model edges (bool, i32, i8, u8, f64) reach only the
/// ops listed here, so no kernel meets a type it was not written for:
///   any type: data movement (identity .. gather data), cast, equal, where's
///     x and y;
///   integers (i32, i8, u8) also: add, sub, mul, div, max, min and the
///     ordered comparisons;
///   bool also: not, and, or, xor, where's condition.
/// f64 values are accepted by data movement and cast only: cast them to f32
/// to compute.
Status checkOperandDTypes(const Node& node) {
  auto isMovement = [](OpKind op) {
    switch (op) {
      case OpKind::Const:
      case OpKind::Identity:
      case OpKind::Empty:
      case OpKind::Reshape:
      case OpKind::Flatten:
      case OpKind::Transpose:
      case OpKind::Concat:
      case OpKind::Slice:
      case OpKind::Tile:
      case OpKind::Expand:
      case OpKind::Unsqueeze:
      case OpKind::Squeeze:
      case OpKind::Shape:
      case OpKind::Cast:
      case OpKind::Equal:
      case OpKind::Where:
      case OpKind::Gather: return true;
      default: return false;
    }
  };
  auto isIntegerMath = [](OpKind op) {
    switch (op) {
      case OpKind::Add:
      case OpKind::Sub:
      case OpKind::Mul:
      case OpKind::Div:
      case OpKind::Max:
      case OpKind::Min:
      case OpKind::Less:
      case OpKind::Greater:
      case OpKind::LessEqual:
      case OpKind::GreaterEqual: return true;
      default: return false;
    }
  };
  auto isLogic = [](OpKind op) {
    return op == OpKind::Not || op == OpKind::And || op == OpKind::Or || op == OpKind::Xor;
  };
  for (size_t i = 0; i < node.operands.size(); ++i) {
    DType dtype = node.operands[i]->type.dtype;
    if (dtype == DType::F32 || dtype == DType::I64) continue;
    bool accepted = isMovement(node.op) || (isIntegerType(dtype) && isIntegerMath(node.op)) ||
                    (dtype == DType::Bool && isLogic(node.op));
    if (node.op == OpKind::Gather && i == 1) accepted = dtype == DType::I32;  // indices: i64 or i32
    if (!accepted)
      return rules::nodeError(
          node, node.info().operandName(i) + " is " + std::string(dtypeName(dtype)) + ", which " +
                    std::string(opName(node.op)) + " does not accept" +
                    (dtype == DType::F64 ? " (f64 is for model edges and cast: cast to f32)" : ""));
  }
  return Status::success();
}

Expected<std::vector<TensorType>> inferResultTypes(const Node& node) {
  const OpInfo& info = node.info();
  int count = int(node.operands.size());
  if (count < info.minOperands || (info.maxOperands >= 0 && count > info.maxOperands)) {
    std::string range = info.maxOperands < 0            ? "at least " + std::to_string(info.minOperands)
                        : info.minOperands == info.maxOperands ? std::to_string(info.minOperands)
                                                               : std::to_string(info.minOperands) + " to " +
                                                                     std::to_string(info.maxOperands);
    return rules::nodeError(node, "expects " + range + " operands, got " + std::to_string(count));
  }
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (!node.operands[i]) return rules::nodeError(node, "operand " + std::to_string(i) + " is null");
  for (const Value* operand : node.operands)
    for (const Dim& d : operand->type.dims)
      if (d.isStatic() && d.size > kMaxElements)
        return rules::nodeError(node, "dims too large in operand %" + operand->name);
  NUTSHELL_TRY(verifyAttributes(node));
  NUTSHELL_TRY(checkOperandDTypes(node));

  Expected<rules::Types> types = makeError("");
  switch (node.op) {
#define OP(Id, Name, MinOperands, MaxOperands, NumResults, Traits, ShapeRule) \
  case OpKind::Id:                                                            \
    types = rules::infer##ShapeRule(node);                                    \
    break;
#include "ir/ops.def"
  }
  if (!types) return types;
  for (const TensorType& type : *types) {
    for (const Dim& d : type.dims)
      if (d.isStatic() && d.size > kMaxElements) return rules::nodeError(node, "dims too large: " + type.str());
    if (type.isStatic() && type.numElements() < 0) return rules::nodeError(node, "dims too large: " + type.str());
  }
  return types;
}

}  // namespace nutshell::ir
