// The iteration plan of an elementwise kernel with numpy broadcasting,
// backend-neutral plain data: the output viewed as rows x inner after
// coalescing the dimensions that every operand walks alike, with each
// operand's element strides over those dimensions. The CPU backend reads the
// inner dimension with vector loads or splats (ElementwiseKernels.cpp); a GPU
// backend maps the same rows and inner onto blocks and threads.
#pragma once

#include <cstdint>
#include <vector>

#include "nutshell/Expected.h"

namespace nutshell::common {

struct BroadcastPlan {
  /// Coalesced output dimensions, outermost first; never empty (a scalar or
  /// all-ones output is one dimension of 1).
  std::vector<int64_t> dims;
  /// Per operand, its element stride in each of `dims` (0 where it
  /// broadcasts). In the innermost dimension every stride is 0 or 1.
  std::vector<std::vector<int64_t>> strides;

  int64_t inner() const { return dims.back(); }
  /// The dimensions the rows range over: all but the innermost.
  std::vector<int64_t> rowDims() const { return {dims.begin(), dims.end() - 1}; }
  /// Product of rowDims().
  int64_t rows() const;
};

/// Each operand right-aligned against `outShape` (size-1 dimensions
/// broadcast, stride 0), then size-1 output dimensions dropped and
/// neighbours merged where every operand's strides continue across them.
/// An error when an operand has a higher rank than the output or a dimension
/// that is neither 1 nor the output's.
Expected<BroadcastPlan> planBroadcast(const std::vector<int64_t>& outShape,
                                      const std::vector<std::vector<int64_t>>& operandShapes);

}  // namespace nutshell::common
