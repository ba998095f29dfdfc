#include "backends/common/BroadcastPlan.h"

#include <string>

#include <fmt/format.h>

namespace nutshell::common {
namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

}  // namespace

int64_t BroadcastPlan::rows() const {
  int64_t n = 1;
  for (size_t d = 0; d + 1 < dims.size(); ++d) n *= dims[d];
  return n;
}

Expected<BroadcastPlan> planBroadcast(const std::vector<int64_t>& outShape,
                                      const std::vector<std::vector<int64_t>>& operandShapes) {
  const size_t rank = outShape.size(), numOperands = operandShapes.size();
  // Broadcast strides per operand, right-aligned against the output.
  std::vector<std::vector<int64_t>> strides(numOperands);
  for (size_t k = 0; k < numOperands; ++k) {
    const std::vector<int64_t>& shape = operandShapes[k];
    if (shape.size() > rank) return makeError("operand rank exceeds result rank");
    strides[k].assign(rank, 0);
    int64_t stride = 1;
    for (size_t i = shape.size(); i-- > 0;) {
      size_t d = rank - shape.size() + i;
      if (shape[i] != 1 && shape[i] != outShape[d])
        return makeError(fmt::format("operand {} shape {} does not broadcast to {}", k, shapeText(shape),
                                     shapeText(outShape)));
      strides[k][d] = shape[i] == 1 ? 0 : stride;
      stride *= shape[i];
    }
  }
  // Coalesce: drop size-1 dims, merge neighbours every operand walks alike.
  BroadcastPlan plan;
  plan.strides.resize(numOperands);
  for (size_t d = 0; d < rank; ++d) {
    if (outShape[d] == 1) continue;
    bool merge = !plan.dims.empty();
    for (size_t k = 0; k < numOperands && merge; ++k)
      merge = plan.strides[k].back() == strides[k][d] * outShape[d];
    if (merge) {
      plan.dims.back() *= outShape[d];
      for (size_t k = 0; k < numOperands; ++k) plan.strides[k].back() = strides[k][d];
    } else {
      plan.dims.push_back(outShape[d]);
      for (size_t k = 0; k < numOperands; ++k) plan.strides[k].push_back(strides[k][d]);
    }
  }
  if (plan.dims.empty()) {
    plan.dims.push_back(1);
    for (auto& s : plan.strides) s.push_back(0);
  }
  return plan;
}

}  // namespace nutshell::common
