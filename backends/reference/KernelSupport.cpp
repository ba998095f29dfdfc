// Helpers shared by the reference kernels: error text, operand checks,
// checked allocation and broadcasting arithmetic.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

std::string describe(const ir::Node& node) {
  return node.describe();
}

Error nodeError(const ir::Node& node, const std::string& message) {
  return makeError(describe(node) + ": " + message);
}

std::string shapeString(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

Status requireF32(const ir::Node& node, const Operands& ops, size_t index, const char* role) {
  if (ops[index]->type() != ElementType::F32)
    return nodeError(node, fmt::format("{} (operand {}) must be f32, got {}", role, index, ops[index]->typeString()));
  return Status::success();
}

Status requireRank(const ir::Node& node, const Operands& ops, size_t index, size_t rank, const char* role) {
  if (ops[index]->rank() != rank)
    return nodeError(node, fmt::format("{} (operand {}) must have rank {}, got {}", role, index, rank,
                                       ops[index]->typeString()));
  return Status::success();
}

Expected<int64_t> normalizeAxis(const ir::Node& node, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return nodeError(node, fmt::format("axis {} is out of range for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

Expected<Tensor> makeTensor(const ir::Node& node, ElementType type, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return nodeError(node, fmt::format("result shape {} has a negative dimension", shapeString(shape)));
    if (d != 0 && n > ir::kMaxElements / d)
      return nodeError(node, fmt::format("result shape {} is too large", shapeString(shape)));
    n *= d;
  }
  return Tensor(type, shape);
}

std::vector<int64_t> contiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

Expected<std::vector<int64_t>> broadcastShape(const ir::Node& node, const std::vector<int64_t>& a,
                                              const std::vector<int64_t>& b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return nodeError(node, fmt::format("shapes {} and {} do not broadcast", shapeString(a), shapeString(b)));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape) {
  std::vector<int64_t> own = contiguousStrides(inShape);
  std::vector<int64_t> strides(outShape.size(), 0);
  size_t lead = outShape.size() - inShape.size();
  for (size_t i = 0; i < inShape.size(); ++i)
    strides[lead + i] = inShape[i] == 1 ? 0 : own[i];
  return strides;
}

}  // namespace nutshell::reference
