// The convolution cost model: estimates the run time of each convolution
// algorithm (direct, im2col + GEMM, FFT, Winograd) on a TargetDescription, and
// says why an algorithm does not apply. select-conv-algo records its output in
// the `why` attribute; docs/conv-algorithms.md gives the formulas and numbers.
//
// Each algorithm is a list of stages. A stage has FLOPs, bytes moved and a
// working set; its time is the larger of
//   FLOPs / (peak FLOP/s x efficiency of this kind of stage)
//   bytes / bandwidth of the cache level the working set fits in
// (a roofline per stage), and an algorithm's time is the sum of its stages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/common/ConvProblem.h"
#include "ir/ConvAlgorithm.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"
#include "passes/Pass.h"

namespace nutshell::passes {

using ir::ConvAlgorithm;
using ir::convAlgorithmName;
using ir::kAllConvAlgorithms;
using ir::parseConvAlgorithm;
/// The problem priced; backends/common/ConvProblem.h.
using common::ConvProblem;

/// One algorithm's estimate, or why it does not apply.
struct ConvEstimate {
  ConvAlgorithm algorithm = ConvAlgorithm::Direct;
  bool applicable = true;
  std::string rejection;  // when !applicable: "C=3<16", "stride 2", "5x5 kernel" (joined by ", ")
  /// Rejected by a cost rule only (FFT with few input channels), not because
  /// the kernel cannot compute it: the estimate is filled in, automatic
  /// selection skips it, and an explicit --conv-algo override may still use it.
  bool forcible = false;
  double microseconds = 0;
  double mflops = 0;           // run-time FLOPs of all stages, in millions
  int64_t workspaceBytes = 0;  // scratch buffers + compile-time transformed weights
  std::string variant;         // "n=32" (FFT tile), "F(4x4,3x3)" (Winograd tile); may be empty
  /// The tile the estimate priced, recorded as the node's `tile` and run by
  /// the backend: the FFT tile size n, the Winograd output tile m; 0 else.
  int64_t tile = 0;

  /// "direct 12.1us 0.47 MFLOP", "im2col 14.0us 0.47 MFLOP +48 KB",
  /// "fft rejected: C=3<16".
  std::string str() const;
};

/// The per-stage efficiencies (fraction of peak FLOP/s a stage reaches). The
/// defaults are documented in docs/conv-algorithms.md.
struct ConvEfficiencies {
  double direct = 0.60;        // register-blocked direct loops
  double gemm = 0.80;          // packed GEMM (im2col)
  double fftTransform = 0.20;  // radix-2 real FFT butterflies, strided access
  double fftPointwise = 0.50;  // complex multiply-accumulate over channels
  double winogradTransform = 0.30;
  double winogradGemm = 0.70;  // batched GEMM in the transformed domain
};

/// Minimum input channels for FFT: below it the input spectra cost as much as
/// the convolution they replace and the pointwise stage is memory-bound.
inline constexpr int64_t kFftMinChannels = 16;

class ConvCostModel {
 public:
  explicit ConvCostModel(TargetDescription target = {}, ConvEfficiencies efficiencies = {});

  /// Estimate one algorithm (or its rejection).
  ConvEstimate estimate(const ConvProblem& problem, ConvAlgorithm algorithm) const;
  /// All candidates in kAllConvAlgorithms order.
  std::vector<ConvEstimate> estimateAll(const ConvProblem& problem) const;
  /// Fastest applicable estimate (ties go to the earlier candidate; direct
  /// always applies).
  static const ConvEstimate& best(const std::vector<ConvEstimate>& estimates);
  /// Every estimate's str() joined by " | " (the `why` attribute).
  static std::string formatWhy(const std::vector<ConvEstimate>& estimates);

  /// Why `algorithm` is rejected ("" when it is a candidate). With
  /// structuralOnly, only the reasons no kernel can compute it at all
  /// (common::convStructuralRejections, which backends also refuse), not the
  /// cost rules.
  static std::string rejectionReason(const ConvProblem& problem, ConvAlgorithm algorithm,
                                     bool structuralOnly = false);

  const TargetDescription& target() const { return target_; }
  const ConvEfficiencies& efficiencies() const { return efficiencies_; }

  /// Bandwidth (bytes/s) for a working set of `bytes`: L2 (scaled by cores),
  /// else L3, else DRAM. L1 is not modelled separately (L2 figure).
  double bandwidthFor(double bytes) const;
  /// Seconds of one stage: max(compute, memory).
  double stageSeconds(double flops, double efficiency, double bytesMoved, double workingSet) const;

 private:
  ConvEstimate estimateApplicable(const ConvProblem& p, ConvAlgorithm algorithm) const;
  ConvEstimate estimateDirect(const ConvProblem& p) const;
  ConvEstimate estimateIm2col(const ConvProblem& p) const;
  ConvEstimate estimateFft(const ConvProblem& p) const;
  ConvEstimate estimateWinograd(const ConvProblem& p) const;
  ConvEstimate estimateWinogradTile(const ConvProblem& p, int64_t tile) const;

  TargetDescription target_;
  ConvEfficiencies efficiencies_;
};

/// "48 KB", "1.2 MB" (1 KB = 1024 bytes; KB rounded up).
std::string formatBytes(int64_t bytes);

}  // namespace nutshell::passes
