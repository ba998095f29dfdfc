// Shape ops from ONNX import: shape, gather, unsqueeze, squeeze,
// constant_of_shape, cast. Cheap, but they carry the shape arithmetic of
// imported graphs until folding removes them, so they check everything.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/common/ExecutableShell.h"
#include "backends/reference/Kernels.h"
#include "backends/reference/ReferenceInterpreter.h"

namespace nutshell::reference {

namespace {

Results reshaped(const Tensor& x, std::vector<int64_t> shape) {
  Tensor out(x.type(), std::move(shape));
  std::memcpy(out.data(), x.data(), x.byteSize());
  return single(std::move(out));
}

}  // namespace

Results runShape(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const int64_t rank = int64_t(x.rank());
  // Like slice bounds: negative counts from the end, then clamp to [0, rank].
  auto bound = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  const int64_t start = bound(node.getInt("start")), end = std::max(start, bound(node.getInt("end")));
  Tensor out(ElementType::I64, {end - start});
  std::copy(x.shape().begin() + start, x.shape().begin() + end, out.i64());
  return single(std::move(out));
}

Results runGather(const ir::Node& node, const Operands& ops) {
  const Tensor& data = *ops[0];
  const Tensor& indices = *ops[1];
  if (indices.type() != ElementType::I64)
    return nodeError(node, fmt::format("indices must be i64, got {}", indices.typeString()));
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(data.rank())));
  const int64_t d = data.shape()[axis];
  std::vector<int64_t> shape(data.shape().begin(), data.shape().begin() + axis);
  shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
  shape.insert(shape.end(), data.shape().begin() + axis + 1, data.shape().end());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= data.shape()[i];
  for (size_t i = size_t(axis) + 1; i < data.rank(); ++i) inner *= data.shape()[i];
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, data.type(), shape));
  const size_t es = data.type() == ElementType::F32 ? 4 : 8;
  const int64_t count = indices.numElements();
  for (int64_t j = 0; j < count; ++j) {
    const int64_t raw = indices.i64()[j];
    if (raw < -d || raw >= d)
      return nodeError(node, fmt::format("index {} is out of range for axis {} of {}", raw, axis, data.typeString()));
  }
  const char* src = static_cast<const char*>(data.data());
  char* dst = static_cast<char*>(out.data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < count; ++j) {
      const int64_t raw = indices.i64()[j];
      const int64_t index = raw < 0 ? raw + d : raw;
      std::memcpy(dst + ((o * count + j) * inner) * es, src + ((o * d + index) * inner) * es, size_t(inner) * es);
    }
  }
  return single(std::move(out));
}

Results runUnsqueeze(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const std::vector<int64_t>& axes = node.getInts("axes");
  const int64_t outRank = int64_t(x.rank() + axes.size());
  std::vector<bool> inserted(size_t(outRank), false);
  for (int64_t a : axes) {
    NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, a, outRank));
    if (inserted[axis]) return nodeError(node, fmt::format("axis {} is listed twice", a));
    inserted[axis] = true;
  }
  std::vector<int64_t> shape;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i) shape.push_back(inserted[i] ? 1 : x.shape()[next++]);
  return reshaped(x, shape);
}

Results runSqueeze(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const int64_t rank = int64_t(x.rank());
  const std::vector<int64_t>& axes = node.getInts("axes");
  std::vector<bool> removed(size_t(rank), false);
  for (int64_t i = 0; i < rank && axes.empty(); ++i) removed[i] = x.shape()[i] == 1;
  for (int64_t a : axes) {
    NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, a, rank));
    if (x.shape()[axis] != 1)
      return nodeError(node, fmt::format("cannot squeeze axis {} of size {} in {}", a, x.shape()[axis],
                                         x.typeString()));
    removed[axis] = true;
  }
  std::vector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!removed[i]) shape.push_back(x.shape()[i]);
  return reshaped(x, shape);
}

Results runConstantOfShape(const ir::Node& node, const Operands& ops) {
  const Tensor& s = *ops[0];
  if (s.type() != ElementType::I64 || s.rank() != 1)
    return nodeError(node, fmt::format("shape operand must be i64[R], got {}", s.typeString()));
  const std::string& dtype = node.getString("dtype");
  std::optional<ir::DType> type = ir::parseDType(dtype);
  if (!type) return nodeError(node, fmt::format("dtype must be an element type, got '{}'", dtype));
  std::vector<int64_t> shape(s.i64(), s.i64() + s.numElements());
  const double value = node.getFloat("value");
  if (ir::isFloatType(*type)) {
    NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::F32, shape));
    std::fill(out.f32(), out.f32() + out.numElements(), float(value));
    return single(std::move(out));
  }
  if (!std::isfinite(value)) return nodeError(node, fmt::format("value {} is not an integer", value));
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::I64, shape));
  std::fill(out.i64(), out.i64() + out.numElements(), int64_t(value));
  return single(std::move(out));
}

// Values arrive as the interpreter holds them (f32 or i64, see slotType):
// converting to the declared type by Tensor::convertedTo's rules (ONNX Cast's)
// and back to the holding type keeps one statement of those rules.
Results runCast(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const std::string& to = node.getString("to");
  std::optional<ir::DType> type = ir::parseDType(to);
  if (!type) return nodeError(node, fmt::format("to must be an element type, got '{}'", to));
  Tensor converted = x.convertedTo(common::elementTypeOf(*type));
  const ElementType held = slotType(*type);
  return single(converted.type() == held ? std::move(converted) : converted.convertedTo(held));
}

}  // namespace nutshell::reference
