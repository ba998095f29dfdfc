// Convolution: conv2d and fused_conv2d (bias + activation + pool epilogue,
// optional in-place destination). ConvSpec is the parsed node; the algorithm
// dispatch in ConvKernels.cpp (selectConvAlgorithm) is where faster
// algorithms plug in: add Conv<Algo>Kernel.cpp with an
//   Expected<KernelInfo> emitConv<Algo>(KernelBuilder&, const ConvSpec&)
// and a branch there. Every algorithm must honour the whole ConvSpec
// (groups, pads, dilations, the epilogue and dest) or decline.
#pragma once

#include <optional>
#include <string>

#include "backends/cpu/KernelEmitter.h"
#include "backends/cpu/PoolKernels.h"
#include "ir/ConvAlgorithm.h"

namespace nutshell::cpu {

/// The node's geometry (ir::ConvGeometry: strides, pads, dilations,
/// groups) with the shapes and the epilogue resolved.
struct ConvSpec : ir::ConvGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // filters (all groups), kernel
  int64_t Cg = 0, Kg = 0;              // per group
  int64_t OH = 0, OW = 0;  // conv output (before pooling)
  bool hasBias = false;
  ir::Activation act;  // the epilogue's
  bool pooled = false;
  PoolSpec pool;           // when pooled: over the OH x OW conv plane
  int64_t PH = 0, PW = 0;  // result spatial size
  int64_t outChannels = 0; // channels of the result buffer (dest's with dest)
  int64_t channelOffset = 0;
  std::optional<ir::ConvAlgorithm> algorithm;  // nullopt: auto (runs direct)
  int64_t tile = 0;  // the plan select-conv-algo priced (fft n, winograd m); 0: the plan function's
};

Expected<ConvSpec> parseConvSpec(KernelBuilder& kb);

/// Direct convolution, vectorized over output columns and register-blocked
/// over output channels (ConvKernels.cpp).
Expected<KernelInfo> emitDirectConv(KernelBuilder& kb, const ConvSpec& spec);

}  // namespace nutshell::cpu
