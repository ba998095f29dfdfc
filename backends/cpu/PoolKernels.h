// The vectorized pooling row shared by max_pool2d / avg_pool2d and the
// pooled epilogue of fused_conv2d (which pools from a small tile of conv rows
// instead of a stored pre-pool tensor).
#pragma once

#include <functional>

#include "backends/cpu/KernelEmitter.h"
#include "ir/OpViews.h"

namespace nutshell::cpu {

/// The window (ir::PoolGeometry) over a plane of known size.
struct PoolSpec : ir::PoolGeometry {
  int64_t inH = 0, inW = 0;  // pooled plane
  int64_t outW = 0;          // pooled row length
};

/// Pools output row `oh` (all outW columns, W at a time): window row r reads
/// input row ih = oh*strideH - padTop + r*dilationH at element offset
/// rowBase(r, ih) of `in`; rows outside [0, inH) and columns outside
/// [0, inW) are padding (-inf for max, skipped or counted for avg, as ONNX).
/// The result goes to out[outBase + ow].
void emitPoolRow(KernelBuilder& kb, const PoolSpec& spec, llvm::Value* in,
                 const std::function<llvm::Value*(llvm::Value* r, llvm::Value* ih)>& rowBase, llvm::Value* oh,
                 llvm::Value* out, llvm::Value* outBase);

}  // namespace nutshell::cpu
