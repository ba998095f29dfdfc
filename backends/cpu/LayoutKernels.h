// Helpers shared by the data-movement kernels (LayoutKernels.cpp,
// ShapeOpKernels.cpp).
#pragma once

#include "backends/common/LayoutPlan.h"
#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {

using common::kPadEntry;

/// out[o] = in[sum_d tables[d][o_d]] (element offsets), or `padValue` where
/// any entry is kPadEntry. Covers transpose, slice and pad: each output dim
/// gets a compile-time table of input offsets (backends/common/LayoutPlan.h).
/// Rows whose last-dim table is
/// contiguous without padding become memcpy's.
KernelInfo emitTableGather(KernelBuilder& kb, size_t operand, const std::vector<int64_t>& outShape,
                           const std::vector<std::vector<int64_t>>& tables, double padValue);

/// Contiguous byte copy of `bytes` from src to dst, split into tasks.
KernelInfo emitBlockCopy(KernelBuilder& kb, llvm::Value* src, llvm::Value* dst, int64_t bytes);

}  // namespace nutshell::cpu
