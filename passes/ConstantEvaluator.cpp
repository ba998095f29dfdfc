#include "passes/ConstantEvaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nutshell::passes {

namespace {

using Shape = std::vector<int64_t>;
using Result = std::optional<std::vector<ir::TensorDataPtr>>;

std::shared_ptr<ir::TensorData> makeData(ir::DType dtype, const Shape& shape) {
  auto data = std::make_shared<ir::TensorData>();
  data->type = dtype == ir::DType::F32 ? ir::TensorType::f32(shape) : ir::TensorType::i64(shape);
  int64_t n = data->type.numElements();
  if (dtype == ir::DType::F32)
    data->f32.assign(size_t(n), 0.0f);
  else
    data->i64.assign(size_t(n), 0);
  return data;
}

Result single(std::shared_ptr<ir::TensorData> data) { return std::vector<ir::TensorDataPtr>{std::move(data)}; }

Shape stridesOf(const Shape& shape) {
  Shape strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

int64_t product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

/// Copies element `from` of `src` into element `to` of `dst` (same dtype).
void copyElement(const ir::TensorData& src, int64_t from, ir::TensorData& dst, int64_t to) {
  if (src.type.dtype == ir::DType::F32)
    dst.f32[size_t(to)] = src.f32[size_t(from)];
  else
    dst.i64[size_t(to)] = src.i64[size_t(from)];
}

/// Iterates the row-major indices of `shape`, calling fn(flatIndex, index).
template <class Fn>
void forEachIndex(const Shape& shape, Fn&& fn) {
  int64_t total = product(shape, 0, shape.size());
  Shape index(shape.size(), 0);
  for (int64_t flat = 0; flat < total; ++flat) {
    fn(flat, index);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

std::optional<Shape> broadcast(const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Offset into a tensor of `shape` (right-aligned, broadcast) for `index`.
int64_t broadcastOffset(const Shape& shape, const Shape& strides, const Shape& index) {
  int64_t offset = 0;
  size_t skip = index.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1) offset += index[i + skip] * strides[i];
  return offset;
}

float unary(ir::OpKind op, float x, const ir::Node& node) {
  double v = x;
  if (op == ir::OpKind::Relu) return x < 0.0f ? 0.0f : x;
  if (op == ir::OpKind::LeakyRelu) return x < 0.0f ? float(node.getFloat("alpha") * v) : x;
  if (op == ir::OpKind::Sigmoid) return float(1.0 / (1.0 + std::exp(-v)));
  if (op == ir::OpKind::Tanh) return float(std::tanh(v));
  if (op == ir::OpKind::Clip) {
    double lo = node.getFloat("min"), hi = node.getFloat("max");
    return x < lo ? float(lo) : (x > hi ? float(hi) : x);
  }
  return float(std::exp(v));  // Exp, the only unary op left
}

Result evalBinary(const ir::Node& node, const ir::TensorData& a, const ir::TensorData& b) {
  if (a.type.dtype != b.type.dtype) return std::nullopt;
  Shape sa = a.type.shape(), sb = b.type.shape();
  auto shape = broadcast(sa, sb);
  if (!shape) return std::nullopt;
  auto out = makeData(a.type.dtype, *shape);
  Shape ta = stridesOf(sa), tb = stridesOf(sb);
  bool ok = true;
  forEachIndex(*shape, [&](int64_t flat, const Shape& index) {
    int64_t ia = broadcastOffset(sa, ta, index), ib = broadcastOffset(sb, tb, index);
    if (a.type.dtype == ir::DType::F32) {
      float x = a.f32[size_t(ia)], y = b.f32[size_t(ib)], r = 0.0f;
      if (node.op == ir::OpKind::Add) r = x + y;
      else if (node.op == ir::OpKind::Sub) r = x - y;
      else if (node.op == ir::OpKind::Mul) r = x * y;
      else r = x / y;
      out->f32[size_t(flat)] = r;
      return;
    }
    // Shape arithmetic: wrap around like the reference; division truncates.
    uint64_t x = uint64_t(a.i64[size_t(ia)]), y = uint64_t(b.i64[size_t(ib)]);
    int64_t r = 0;
    if (node.op == ir::OpKind::Add) r = int64_t(x + y);
    else if (node.op == ir::OpKind::Sub) r = int64_t(x - y);
    else if (node.op == ir::OpKind::Mul) r = int64_t(x * y);
    else if (y == 0 || (int64_t(x) == std::numeric_limits<int64_t>::min() && int64_t(y) == -1)) ok = false;
    else r = int64_t(x) / int64_t(y);
    out->i64[size_t(flat)] = r;
  });
  if (!ok) return std::nullopt;
  return single(out);
}

Result evalTranspose(const ir::Node& node, const ir::TensorData& x) {
  Shape in = x.type.shape();
  Shape perm = node.getInts("perm");
  if (perm.empty())
    for (size_t i = in.size(); i-- > 0;) perm.push_back(int64_t(i));
  if (perm.size() != in.size()) return std::nullopt;
  Shape out(in.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] < 0 || perm[i] >= int64_t(in.size())) return std::nullopt;
    out[i] = in[size_t(perm[i])];
  }
  Shape inStrides = stridesOf(in);
  auto result = makeData(x.type.dtype, out);
  forEachIndex(out, [&](int64_t flat, const Shape& index) {
    int64_t offset = 0;
    for (size_t i = 0; i < perm.size(); ++i) offset += index[i] * inStrides[size_t(perm[i])];
    copyElement(x, offset, *result, flat);
  });
  return single(result);
}

Result evalConcat(const ir::Node& node, const std::vector<const ir::TensorData*>& xs) {
  Shape first = xs[0]->type.shape();
  int64_t rank = int64_t(first.size());
  int64_t axis = node.getInt("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  Shape out = first;
  out[size_t(axis)] = 0;
  for (const ir::TensorData* x : xs) {
    Shape s = x->type.shape();
    if (s.size() != first.size() || x->type.dtype != xs[0]->type.dtype) return std::nullopt;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && s[size_t(d)] != first[size_t(d)]) return std::nullopt;
    out[size_t(axis)] += s[size_t(axis)];
  }
  auto result = makeData(xs[0]->type.dtype, out);
  int64_t outer = product(first, 0, size_t(axis)), inner = product(first, size_t(axis) + 1, first.size());
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const ir::TensorData* x : xs) {
      int64_t chunk = x->type.shape()[size_t(axis)] * inner;
      for (int64_t i = 0; i < chunk; ++i) copyElement(*x, o * chunk + i, *result, to++);
    }
  return single(result);
}

Result evalGather(const ir::Node& node, const ir::TensorData& data, const ir::TensorData& indices) {
  if (indices.type.dtype != ir::DType::I64) return std::nullopt;
  Shape ds = data.type.shape();
  int64_t rank = int64_t(ds.size());
  int64_t axis = node.getInt("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  Shape out(ds.begin(), ds.begin() + axis);
  for (int64_t d : indices.type.shape()) out.push_back(d);
  out.insert(out.end(), ds.begin() + axis + 1, ds.end());
  int64_t outer = product(ds, 0, size_t(axis)), inner = product(ds, size_t(axis) + 1, ds.size());
  int64_t axisSize = ds[size_t(axis)];
  auto result = makeData(data.type.dtype, out);
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : indices.i64) {
      if (index < 0) index += axisSize;
      if (index < 0 || index >= axisSize) return std::nullopt;
      for (int64_t i = 0; i < inner; ++i) copyElement(data, (o * axisSize + index) * inner + i, *result, to++);
    }
  return single(result);
}

Result evalSlice(const ir::Node& node, const ir::TensorData& x) {
  Shape in = x.type.shape();
  int64_t rank = int64_t(in.size());
  const Shape& starts = node.getInts("starts");
  const Shape& ends = node.getInts("ends");
  Shape axes = node.getInts("axes"), steps = node.getInts("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return std::nullopt;
  Shape begin(size_t(rank), 0), step(size_t(rank), 1), out = in;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank || steps[i] == 0) return std::nullopt;
    int64_t dim = in[size_t(axis)];
    // ONNX clamping: negative indices count from the end; ranges clamp to
    // [0, dim] for positive steps and [-1, dim-1] for negative ones.
    auto clampIndex = [&](int64_t v) {
      if (v < 0) v += dim;
      return steps[i] > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    int64_t s = clampIndex(starts[i]), e = clampIndex(ends[i]);
    int64_t count = steps[i] > 0 ? (e - s + steps[i] - 1) / steps[i] : (s - e - steps[i] - 1) / -steps[i];
    begin[size_t(axis)] = s;
    step[size_t(axis)] = steps[i];
    out[size_t(axis)] = std::max<int64_t>(0, count);
  }
  Shape inStrides = stridesOf(in);
  auto result = makeData(x.type.dtype, out);
  forEachIndex(out, [&](int64_t flat, const Shape& index) {
    int64_t offset = 0;
    for (size_t d = 0; d < in.size(); ++d) offset += (begin[d] + index[d] * step[d]) * inStrides[d];
    copyElement(x, offset, *result, flat);
  });
  return single(result);
}

Result evalCast(const ir::Node& node, const ir::TensorData& x) {
  ir::DType to = node.getString("to") == "i64" ? ir::DType::I64 : ir::DType::F32;
  auto result = makeData(to, x.type.shape());
  int64_t n = x.numElements();
  for (int64_t i = 0; i < n; ++i) {
    if (to == ir::DType::F32) {
      result->f32[size_t(i)] = x.type.dtype == ir::DType::F32 ? x.f32[size_t(i)] : float(x.i64[size_t(i)]);
      continue;
    }
    if (x.type.dtype == ir::DType::I64) {
      result->i64[size_t(i)] = x.i64[size_t(i)];
      continue;
    }
    // f32 -> i64 truncates; NaN is 0 and out-of-range values saturate, as in
    // the reference interpreter.
    double v = x.f32[size_t(i)];
    constexpr double lo = -9223372036854775808.0;
    int64_t r = std::isnan(v) ? 0
                : v < lo      ? std::numeric_limits<int64_t>::min()
                : v >= -lo    ? std::numeric_limits<int64_t>::max()
                              : int64_t(v);
    result->i64[size_t(i)] = r;
  }
  return single(result);
}

Result evalConstantOfShape(const ir::Node& node, const ir::TensorData& shape) {
  if (shape.type.dtype != ir::DType::I64) return std::nullopt;
  int64_t elements = 1;
  for (int64_t d : shape.i64) {
    if (d < 0 || d > ir::kMaxElements || (d > 0 && elements > ir::kMaxElements / d)) return std::nullopt;
    elements *= d;
  }
  ir::DType dtype = node.getString("dtype") == "i64" ? ir::DType::I64 : ir::DType::F32;
  auto result = makeData(dtype, shape.i64);
  double value = node.getFloat("value");
  if (dtype == ir::DType::F32)
    std::fill(result->f32.begin(), result->f32.end(), float(value));
  else
    std::fill(result->i64.begin(), result->i64.end(), int64_t(value));
  return single(result);
}

/// Ops that only reinterpret the shape: same elements, the node's result type.
Result evalSameData(const ir::Node& node, const ir::TensorData& x) {
  const ir::TensorType& type = node.result()->type;
  if (!type.isStatic() || type.numElements() != x.numElements() || type.dtype != x.type.dtype) return std::nullopt;
  auto result = std::make_shared<ir::TensorData>(x);
  result->type = type;
  return single(result);
}

}  // namespace

bool isFoldableOp(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::Identity:
    case ir::OpKind::Add:
    case ir::OpKind::Sub:
    case ir::OpKind::Mul:
    case ir::OpKind::Div:
    case ir::OpKind::Relu:
    case ir::OpKind::LeakyRelu:
    case ir::OpKind::Sigmoid:
    case ir::OpKind::Tanh:
    case ir::OpKind::Clip:
    case ir::OpKind::Exp:
    case ir::OpKind::Reshape:
    case ir::OpKind::Flatten:
    case ir::OpKind::Transpose:
    case ir::OpKind::Concat:
    case ir::OpKind::Slice:
    case ir::OpKind::Gather:
    case ir::OpKind::Unsqueeze:
    case ir::OpKind::Squeeze:
    case ir::OpKind::ConstantOfShape:
    case ir::OpKind::Cast:
      return true;
    // Shape is folded from its operand's type, not its values (see the pass).
    // The rest are compute ops: folding them would move real work (and big
    // tensors) to compile time for no gain in the models we see.
    case ir::OpKind::Const:
    case ir::OpKind::Empty:
    case ir::OpKind::Shape:
    case ir::OpKind::Conv2d:
    case ir::OpKind::FusedConv2d:
    case ir::OpKind::MaxPool2d:
    case ir::OpKind::AvgPool2d:
    case ir::OpKind::GlobalAvgPool:
    case ir::OpKind::GlobalMaxPool:
    case ir::OpKind::Dense:
    case ir::OpKind::FusedDense:
    case ir::OpKind::Maxout:
    case ir::OpKind::Gemm:
    case ir::OpKind::MatMul:
    case ir::OpKind::FusedElementwise:
    case ir::OpKind::Softmax:
    case ir::OpKind::LogSoftmax:
    case ir::OpKind::ReduceMax:
    case ir::OpKind::ReduceMean:
    case ir::OpKind::ReduceSum:
    case ir::OpKind::BatchNorm:
    case ir::OpKind::Lrn:
    case ir::OpKind::Pad:
    case ir::OpKind::Lstm:
      return false;
  }
  return false;
}

std::optional<std::vector<ir::TensorDataPtr>> evaluateConstantNode(const ir::Node& node,
                                                                   const std::vector<const ir::TensorData*>& operands) {
  if (!isFoldableOp(node.op) || operands.empty() || node.results.size() != 1) return std::nullopt;
  for (const ir::TensorData* operand : operands)
    if (!operand || operand->elided) return std::nullopt;
  const ir::TensorData& x = *operands[0];
  const ir::OpInfo& info = node.info();
  if (info.has(ir::Trait::Binary)) return evalBinary(node, x, *operands[1]);
  if (info.has(ir::Trait::Unary)) {
    if (x.type.dtype != ir::DType::F32) return std::nullopt;
    auto result = std::make_shared<ir::TensorData>(x);
    for (float& v : result->f32) v = unary(node.op, v, node);
    return single(result);
  }
  if (node.op == ir::OpKind::Transpose) return evalTranspose(node, x);
  if (node.op == ir::OpKind::Concat) return evalConcat(node, operands);
  if (node.op == ir::OpKind::Gather) return evalGather(node, x, *operands[1]);
  if (node.op == ir::OpKind::Slice) return evalSlice(node, x);
  if (node.op == ir::OpKind::Cast) return evalCast(node, x);
  if (node.op == ir::OpKind::ConstantOfShape) return evalConstantOfShape(node, x);
  // identity, reshape, flatten, unsqueeze, squeeze
  return evalSameData(node, x);
}

}  // namespace nutshell::passes
