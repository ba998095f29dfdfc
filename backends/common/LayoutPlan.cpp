#include "backends/common/LayoutPlan.h"

#include <algorithm>

#include <fmt/format.h>

namespace nutshell::common {
namespace {

int64_t product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size() && i < to; ++i) p *= dims[i];
  return p;
}

}  // namespace

std::vector<int64_t> denseStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

Expected<TransposePlan> planTranspose(const std::vector<int64_t>& in, std::vector<int64_t> perm) {
  if (perm.empty())
    for (size_t d = in.size(); d-- > 0;) perm.push_back(int64_t(d));
  if (perm.size() != in.size())
    return makeError(fmt::format("perm has {} entries for rank {}", perm.size(), in.size()));
  auto strides = denseStrides(in);
  TransposePlan plan;
  for (int64_t axis : perm) {
    if (axis < 0 || axis >= int64_t(in.size()))
      return makeError(fmt::format("perm entry {} out of range", axis));
    plan.outShape.push_back(in[size_t(axis)]);
    std::vector<int64_t> t(static_cast<size_t>(in[size_t(axis)]));
    for (int64_t i = 0; i < in[size_t(axis)]; ++i) t[size_t(i)] = i * strides[size_t(axis)];
    plan.tables.push_back(t);
  }
  return plan;
}

Expected<OffsetTables> planSlice(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                                 const std::vector<int64_t>& starts, std::vector<int64_t> axes,
                                 std::vector<int64_t> steps) {
  int64_t rank = int64_t(in.size());
  if (out.size() != in.size())
    return makeError(fmt::format("result rank {} differs from input rank {}", out.size(), in.size()));
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return makeError("starts, axes and steps must have the same length");
  std::vector<int64_t> start(size_t(rank), 0), step(size_t(rank), 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank) return makeError(fmt::format("axis {} out of range", axes[i]));
    int64_t dim = in[size_t(axis)];
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    if (steps[i] == 0) return makeError("slice step 0");
    s = steps[i] > 0 ? std::clamp<int64_t>(s, 0, dim)
                     : std::clamp<int64_t>(s, 0, std::max<int64_t>(dim - 1, 0));
    start[size_t(axis)] = s;
    step[size_t(axis)] = steps[i];
  }
  auto strides = denseStrides(in);
  OffsetTables tables;
  for (int64_t d = 0; d < rank; ++d) {
    std::vector<int64_t> t(static_cast<size_t>(out[size_t(d)]));
    for (int64_t i = 0; i < out[size_t(d)]; ++i) {
      int64_t src = start[size_t(d)] + i * step[size_t(d)];
      if (src < 0 || src >= in[size_t(d)]) return makeError("slice reads outside its input");
      t[size_t(i)] = src * strides[size_t(d)];
    }
    tables.push_back(t);
  }
  return tables;
}

Expected<OffsetTables> planPad(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                               const std::vector<int64_t>& pads, const std::string& mode) {
  size_t rank = in.size();
  if (out.size() != rank)
    return makeError(fmt::format("result rank {} differs from input rank {}", out.size(), rank));
  if (pads.size() != 2 * rank)
    return makeError(fmt::format("pads has {} entries for rank {}", pads.size(), rank));
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return makeError(fmt::format("unknown mode '{}'", mode));
  auto strides = denseStrides(in);
  OffsetTables tables;
  for (size_t d = 0; d < rank; ++d) {
    int64_t dim = in[d];
    if (out[d] != dim + pads[d] + pads[d + rank]) return makeError("result shape disagrees with pads");
    std::vector<int64_t> t(static_cast<size_t>(out[d]));
    for (int64_t i = 0; i < out[d]; ++i) {
      int64_t src = i - pads[d];
      if (src < 0 || src >= dim) {
        if (mode == "constant" || dim == 0) {
          t[size_t(i)] = kPadEntry;
          continue;
        }
        if (mode == "edge") {
          src = std::clamp<int64_t>(src, 0, dim - 1);
        } else if (dim == 1) {
          src = 0;
        } else {
          int64_t period = 2 * (dim - 1);
          src = ((src % period) + period) % period;
          if (src >= dim) src = period - src;
        }
      }
      t[size_t(i)] = src * strides[d];
    }
    tables.push_back(t);
  }
  return tables;
}

Expected<OffsetTables> planTile(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  if (out.size() != in.size())
    return makeError(fmt::format("result rank {} differs from input rank {}", out.size(), in.size()));
  auto strides = denseStrides(in);
  OffsetTables tables;
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] == 0 ? out[d] != 0 : out[d] % in[d] != 0)
      return makeError(fmt::format("result dim {} is not a multiple of input dim {}", out[d], in[d]));
    std::vector<int64_t> t(static_cast<size_t>(out[d]));
    for (int64_t i = 0; i < out[d]; ++i) t[size_t(i)] = (i % in[d]) * strides[d];
    tables.push_back(t);
  }
  return tables;
}

Expected<OffsetTables> planExpand(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  if (in.size() > out.size())
    return makeError(fmt::format("input rank {} exceeds result rank {}", in.size(), out.size()));
  auto strides = denseStrides(in);
  const size_t lead = out.size() - in.size();
  OffsetTables tables;
  for (size_t d = 0; d < out.size(); ++d) {
    std::vector<int64_t> t(static_cast<size_t>(out[d]), 0);
    if (d >= lead && in[d - lead] != 1) {
      if (in[d - lead] != out[d])
        return makeError(fmt::format("input dim {} does not broadcast to {}", in[d - lead], out[d]));
      for (int64_t i = 0; i < out[d]; ++i) t[size_t(i)] = i * strides[d - lead];
    }
    tables.push_back(t);
  }
  return tables;
}

namespace {

/// Blocks beyond 2^20 (b^2 = 2^40 elements per block) cannot come from a
/// valid shape, and b^2 stays far from overflowing.
constexpr int64_t kMaxBlock = int64_t(1) << 20;

/// Table of i -> (i / b) * outer + (i % b) * inner for i in [0, n).
std::vector<int64_t> blockTable(int64_t n, int64_t b, int64_t outer, int64_t inner) {
  std::vector<int64_t> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[size_t(i)] = (i / b) * outer + (i % b) * inner;
  return t;
}

}  // namespace

Expected<OffsetTables> planDepthToSpace(const std::vector<int64_t>& in, int64_t b, bool crd) {
  if (in.size() != 4 || b < 1 || b > kMaxBlock || in[1] % (b * b) != 0)
    return makeError(fmt::format("depth_to_space needs [N,C,H,W] with C divisible by {}", b * b));
  auto s = denseStrides(in);
  const int64_t c = in[1] / (b * b);
  // dcr: input channel (i*b + j)*c + k; crd: k*b*b + i*b + j, for block row i, column j.
  OffsetTables tables{blockTable(in[0], 1, s[0], 0), blockTable(c, 1, (crd ? b * b : 1) * s[1], 0),
                      blockTable(in[2] * b, b, s[2], (crd ? b : b * c) * s[1]),
                      blockTable(in[3] * b, b, s[3], (crd ? 1 : c) * s[1])};
  return tables;
}

Expected<OffsetTables> planSpaceToDepth(const std::vector<int64_t>& in, int64_t b) {
  if (in.size() != 4 || b < 1 || b > kMaxBlock || in[2] % b != 0 || in[3] % b != 0)
    return makeError(fmt::format("space_to_depth needs [N,C,H,W] with H and W divisible by {}", b));
  auto s = denseStrides(in);
  const int64_t c = in[1];
  // Output channel (i*b + j)*c + k reads channel k at row offset i, column offset j.
  std::vector<int64_t> channels(static_cast<size_t>(c * b * b));
  for (int64_t o = 0; o < c * b * b; ++o) {
    const int64_t k = o % c, i = o / c / b, j = o / c % b;
    channels[size_t(o)] = k * s[1] + i * s[2] + j * s[3];
  }
  OffsetTables tables{blockTable(in[0], 1, s[0], 0), channels, blockTable(in[2] / b, 1, b * s[2], 0),
                      blockTable(in[3] / b, 1, b * s[3], 0)};
  return tables;
}

bool isContiguousRun(const std::vector<int64_t>& table) {
  for (size_t j = 0; j < table.size(); ++j)
    if (table[j] == kPadEntry || table[j] != table[0] + int64_t(j)) return false;
  return true;
}

bool hasPadEntries(const OffsetTables& tables) {
  for (const auto& t : tables)
    for (int64_t v : t)
      if (v == kPadEntry) return true;
  return false;
}

Expected<ConcatPlan> planConcat(const std::vector<int64_t>& out,
                                const std::vector<std::vector<int64_t>>& operands, int64_t axis) {
  int64_t rank = int64_t(out.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return makeError(fmt::format("axis {} out of range for rank {}", axis, rank));
  ConcatPlan plan;
  plan.axis = axis;
  plan.outer = product(out, 0, size_t(axis));
  int64_t inner = product(out, size_t(axis) + 1, SIZE_MAX);
  for (size_t k = 0; k < operands.size(); ++k) {
    if (operands[k].size() != out.size())
      return makeError(
          fmt::format("operand {} has rank {} for a result of rank {}", k, operands[k].size(), rank));
    plan.pieceElems.push_back(operands[k][size_t(axis)] * inner);
  }
  plan.rowElems = out[size_t(axis)] * inner;
  return plan;
}

}  // namespace nutshell::common
