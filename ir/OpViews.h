// Typed views of op attributes: the one place the attribute names of a
// convolution's or a pooling's geometry are spelled. The shape rules, the
// reference kernels, the CPU backend and the cost model read these structs,
// so a misspelt field is a compile error, not a missing attribute at run time.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

/// The sliding window of a 2-D convolution or pooling over NCHW.
/// pads are [top, left, bottom, right], as in the IR.
struct Window2d {
  int64_t strideH = 1, strideW = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int64_t dilationH = 1, dilationW = 1;
};

/// conv2d / fused_conv2d: strides, pads, dilations, groups.
struct ConvGeometry : Window2d {
  int64_t groups = 1;
};

/// max_pool2d / avg_pool2d, or the pool epilogue of fused_conv2d.
struct PoolGeometry : Window2d {
  bool isMax = true;
  int64_t kernelH = 1, kernelW = 1;
  bool ceilMode = false;
  bool countIncludePad = false;  // avg only
};

/// The geometry of a conv2d or fused_conv2d node, checked (2 strides and
/// dilations >= 1, 4 pads >= 0, groups >= 1); errors name the node.
Expected<ConvGeometry> convGeometry(const Node& node);

/// The window of a max_pool2d or avg_pool2d node, checked likewise.
Expected<PoolGeometry> poolGeometry(const Node& node);

/// fused_conv2d's pool epilogue (pool, pool_kernel, pool_strides, pool_pads,
/// pool_count_include_pad); nullopt when `pool` is "none".
Expected<std::optional<PoolGeometry>> fusedPoolGeometry(const Node& node);

/// Whether fused_conv2d's pool epilogue can express `pool`: it has no ceil
/// mode and no dilation.
bool fusablePool(const PoolGeometry& pool);

/// Writes `pool` as fused_conv2d's epilogue attributes (the inverse of
/// fusedPoolGeometry). Precondition: fusablePool(pool).
void setFusedPool(AttrMap& attrs, const PoolGeometry& pool);

/// fused_conv2d with a pool epilogue.
bool hasFusedPool(const Node& node);

/// The dims a `shape` node returns: its operand's dims [start, end) with
/// ONNX's clamping of negative and out-of-range bounds; -1 for a dim that is
/// not static.
std::vector<int64_t> shapeDims(const Node& shape);

}  // namespace nutshell::ir
