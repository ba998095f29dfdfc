// One node's CUDA kernel as the renderer assembles it: the body text, how it
// is launched, and what it needs. Emitters (*Kernels.cpp) fill one per node;
// ModelRenderer wraps the body in its `extern "C" __global__` signature,
// dedupes identical kernels and adds the launch to the plan.
//
// The text conventions every emitter follows:
//   - operands are the parameters x0, x1, ... (const float*), results y0,
//     y1, ... (float*), in the node's order; fused_conv2d's dest is not a
//     parameter (its result is written into dest's buffer);
//   - "$K" stands for the kernel's name, so a table or device function at namespace
//     scope (the prelude) stays private to the kernel it belongs to;
//   - fp32 only, no headers: expf, tanhf, ... are NVRTC's builtins and the
//     emulator's <cmath>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/Activation.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::cuda {

struct KernelSource {
  /// Namespace-scope text before the kernel (offset tables, device functions).
  std::string prelude;
  /// The statements inside the kernel.
  std::string body;
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  /// The body calls __syncthreads (the emulator then runs one fiber per
  /// thread; otherwise threads run one after the other).
  bool syncs = false;
  /// Shown by NUTSHELL_DEBUG=2 and the kernel list: the algorithm and blocking.
  std::string summary;
};

/// A kernel that is not written yet for this node: collected by the
/// renderer, which lists every such node of the model in one error.
Error noKernel(const ir::Node& node, const std::string& why = "");

/// An f32 literal NVRTC and the host compiler read alike ("1.5f",
/// "__int_as_float(0x7f800000)" for inf).
std::string floatLiteral(double value);
/// The CUDA expression of `act` applied to the f32 expression `v` (which
/// may be evaluated more than once: pass a variable name).
std::string activationExpr(const ir::Activation& act, const std::string& v);
/// The expression of binary elementwise op `op` on f32 expressions a and b.
Expected<std::string> binaryExpr(ir::OpKind op, const std::string& a, const std::string& b);

/// `for (long long i = global thread; i < total; i += grid stride)`, the
/// loop of one-thread-per-element kernels, and the launch it needs.
std::string gridStrideLoop(const std::string& index, int64_t total);
void launchElementwise(KernelSource& kernel, int64_t total);

/// A `__device__ const long long $K_<name>[] = {...};` table.
std::string deviceTable(const std::string& name, const std::vector<int64_t>& values);

// The families, one file each.
Expected<KernelSource> emitElementwise(const ir::Node& node);
Expected<KernelSource> emitBatchNorm(const ir::Node& node);
Expected<KernelSource> emitConv2d(const ir::Node& node);
Expected<KernelSource> emitPool2d(const ir::Node& node);
Expected<KernelSource> emitGlobalPool(const ir::Node& node);
Expected<KernelSource> emitDense(const ir::Node& node);
Expected<KernelSource> emitGemm(const ir::Node& node);
Expected<KernelSource> emitMatMul(const ir::Node& node);
Expected<KernelSource> emitMaxout(const ir::Node& node);
Expected<KernelSource> emitSoftmax(const ir::Node& node);
Expected<KernelSource> emitReduce(const ir::Node& node);
Expected<KernelSource> emitLayout(const ir::Node& node);
Expected<KernelSource> emitConcat(const ir::Node& node);
Expected<KernelSource> emitGather(const ir::Node& node);
Expected<KernelSource> emitShapeOp(const ir::Node& node);
Expected<KernelSource> emitCopy(const ir::Node& node);
Expected<KernelSource> emitLstm(const ir::Node& node);
Expected<KernelSource> emitLayerNorm(const ir::Node& node);
Expected<KernelSource> emitGroupNorm(const ir::Node& node);
Expected<KernelSource> emitLrn(const ir::Node& node);
Expected<KernelSource> emitArgReduce(const ir::Node& node);

/// The kernel of `node` (a switch over every op; no `default:`). An
/// Unsupported error for ops without a kernel yet.
Expected<KernelSource> emitKernel(const ir::Node& node);

}  // namespace nutshell::cuda
