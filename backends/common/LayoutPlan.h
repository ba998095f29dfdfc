// Offset tables of the data-movement ops, backend-neutral plain data:
// transpose, slice, pad, tile, expand, depth_to_space and space_to_depth are
// all "out[o] = in[sum_d tables[d][o_d]]" with
// one table of input element offsets per output dimension, computed at
// compile time from the shapes and attributes. The CPU backend turns them
// into gathers or row copies (LayoutKernels.cpp); concat is a list of
// contiguous pieces per outer index (ConcatPlan).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nutshell/Expected.h"

namespace nutshell::common {

/// A table entry marking an output position that reads the padding value
/// (far below any sum of real offsets, so the sum stays negative).
inline constexpr int64_t kPadEntry = -(int64_t(1) << 56);

/// Per output dimension, the input element offset of each index in it.
using OffsetTables = std::vector<std::vector<int64_t>>;

/// Row-major element strides of a dense tensor of `shape`.
std::vector<int64_t> denseStrides(const std::vector<int64_t>& shape);

struct TransposePlan {
  std::vector<int64_t> outShape;
  OffsetTables tables;
};

/// out dim d walks input axis perm[d]; an empty perm reverses the axes (the
/// ONNX default). An error when perm has the wrong length or an entry out of
/// range.
Expected<TransposePlan> planTranspose(const std::vector<int64_t>& inShape, std::vector<int64_t> perm);

/// Tables of slice(in) -> out with per-axis `starts` (negative counts from
/// the end, clamped into the input), optional `axes` (default 0..n-1,
/// negative from the end) and `steps` (default 1; negative walks
/// backwards). An error on mismatched lengths, a bad axis, step 0, or an
/// output that would read outside the input.
Expected<OffsetTables> planSlice(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape,
                                 const std::vector<int64_t>& starts, std::vector<int64_t> axes,
                                 std::vector<int64_t> steps);

/// Tables of pad(in) -> out with ONNX `pads` (all begins, then all ends) and
/// `mode` "constant" (kPadEntry outside the input), "reflect" (mirrored
/// without repeating the edge) or "edge" (the nearest edge element). An
/// error on a wrong pads length, an unknown mode, or an output shape that
/// disagrees with pads.
Expected<OffsetTables> planPad(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape,
                               const std::vector<int64_t>& pads, const std::string& mode);

/// Tables of tile(in) -> out: output index i of axis d reads input index
/// i % in[d]. An error when the ranks differ or an out dim is not a multiple
/// of its input dim.
Expected<OffsetTables> planTile(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape);

/// Tables of expand(in) -> out, numpy broadcasting: in is right-aligned with
/// out and its size-1 (or missing) dims read index 0. An error when in does
/// not broadcast to out.
Expected<OffsetTables> planExpand(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape);

/// Tables of depth_to_space (mode dcr, or crd when `crd`) and of
/// space_to_depth on [N,C,H,W] with `blocksize` (ops.def states the channel
/// orders). Each output dim's offset is a sum of per-dim parts because the
/// block position splits into the h and w remainders. An error on a rank
/// other than 4 or dims the block does not divide.
Expected<OffsetTables> planDepthToSpace(const std::vector<int64_t>& inShape, int64_t blocksize, bool crd);
Expected<OffsetTables> planSpaceToDepth(const std::vector<int64_t>& inShape, int64_t blocksize);

/// True when `table` is a run of consecutive offsets without padding, so a
/// row of the gather is one contiguous copy.
bool isContiguousRun(const std::vector<int64_t>& table);
/// True when any table holds kPadEntry.
bool hasPadEntries(const OffsetTables& tables);

/// Concat along `axis` viewed as `outer` rows of `rowElems` output elements,
/// each the operands' pieces of `pieceElems[k]` elements laid end to end.
struct ConcatPlan {
  int64_t axis = 0;  // normalized, in [0, rank)
  int64_t outer = 1;
  int64_t rowElems = 0;
  std::vector<int64_t> pieceElems;
};

/// An error when axis (negative from the end) is out of range.
Expected<ConcatPlan> planConcat(const std::vector<int64_t>& outShape,
                                const std::vector<std::vector<int64_t>>& operandShapes, int64_t axis);

}  // namespace nutshell::common
