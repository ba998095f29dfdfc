// The shape of one 2-D convolution as plain numbers, and which algorithms
// can compute it at all. The cost model prices these problems and every
// backend refuses exactly the plans rejected here, so a plan select-conv-algo
// chose always runs, and a hand-written impossible one fails with the same
// reason the cost model prints in `why`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/common/FftPlan.h"
#include "ir/ConvAlgorithm.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::common {

/// One convolution (NCHW input, OIHW weights), before any fused pooling:
/// outHeight/outWidth are the convolution's own output.
struct ConvProblem {
  int64_t batch = 1;
  int64_t inChannels = 1;  // C (all groups)
  int64_t inHeight = 1, inWidth = 1;
  int64_t outChannels = 1;  // K
  int64_t kernelHeight = 1, kernelWidth = 1;
  int64_t strideHeight = 1, strideWidth = 1;
  int64_t dilationHeight = 1, dilationWidth = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int64_t groups = 1;
  /// True when the batch dim was symbolic and 1 was assumed.
  bool batchAssumed = false;
  /// Weights known at compile time: im2col, FFT and Winograd transform or
  /// re-lay them out then, so they need them.
  bool constantWeights = true;

  int64_t outHeight() const;
  int64_t outWidth() const;
  int64_t channelsPerGroup() const { return inChannels / groups; }
  /// 2·N·K·(C/groups)·P·Q·R·S: the multiply-adds of the convolution itself.
  double directFlops() const;
  /// What the FFT plan function takes (FftPlan.h).
  FftConvShape fftShape() const {
    return {batch, inChannels, outChannels, kernelHeight, kernelWidth, outHeight(), outWidth()};
  }

  /// The problem of a conv2d or fused_conv2d node. Errors (non-4-D or
  /// symbolic spatial/channel dims, bad attributes) name the node.
  static Expected<ConvProblem> fromNode(const ir::Node& node);
};

/// Why no kernel can compute `algorithm` on `problem` (empty when one can):
/// "weights not constant", "stride 2", "dilation 2x1", "groups 4", "5x5 kernel"
/// (winograd), "13x13 kernel exceeds the largest tile (64)" and
/// "kernel spectra over 256 MB" (fft). Direct computes everything.
std::vector<std::string> convStructuralRejections(const ConvProblem& problem, ir::ConvAlgorithm algorithm);

/// The reasons joined by ", ".
std::string joinReasons(const std::vector<std::string>& reasons);

}  // namespace nutshell::common
