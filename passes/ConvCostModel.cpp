#include "passes/ConvCostModel.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "backends/common/FftPlan.h"
#include "backends/common/WinogradPlan.h"
#include "ir/OpViews.h"

namespace nutshell::passes {

namespace {

constexpr double kF32 = 4.0;      // bytes per real
constexpr double kComplex = 8.0;  // bytes per complex f32

double ceilDiv(int64_t a, int64_t b) {
  return double((a + b - 1) / b);
}

}  // namespace

// ---- formatting -------------------------------------------------------------------

std::string formatBytes(int64_t bytes) {
  if (bytes < 1024 * 1024) return fmt::format("{} KB", (bytes + 1023) / 1024);
  return fmt::format("{:.1f} MB", double(bytes) / (1024.0 * 1024.0));
}

std::string ConvEstimate::str() const {
  std::string name(convAlgorithmName(algorithm));
  if (!applicable) return name + " rejected: " + rejection;
  std::string text = fmt::format("{} {:.1f}us {:.2f} MFLOP", name, microseconds, mflops);
  if (workspaceBytes > 0) text += " +" + formatBytes(workspaceBytes);
  if (!variant.empty()) text += " " + variant;
  return text;
}

std::string ConvCostModel::formatWhy(const std::vector<ConvEstimate>& estimates) {
  std::string text;
  for (const ConvEstimate& e : estimates) {
    if (!text.empty()) text += " | ";
    text += e.str();
  }
  return text;
}

const ConvEstimate& ConvCostModel::best(const std::vector<ConvEstimate>& estimates) {
  const ConvEstimate* chosen = nullptr;
  for (const ConvEstimate& e : estimates)
    if (e.applicable && (!chosen || e.microseconds < chosen->microseconds)) chosen = &e;
  return chosen ? *chosen : estimates.front();
}

// ---- applicability ------------------------------------------------------------------

std::string ConvCostModel::rejectionReason(const ConvProblem& p, ConvAlgorithm algorithm, bool structuralOnly) {
  std::vector<std::string> reasons = common::convStructuralRejections(p, algorithm);
  // The one cost rule: few input channels make FFT's spectra as dear as the convolution.
  if (algorithm == ConvAlgorithm::Fft && !structuralOnly && p.inChannels < kFftMinChannels)
    reasons.push_back(fmt::format("C={}<{}", p.inChannels, kFftMinChannels));
  return common::joinReasons(reasons);
}

// ---- the model --------------------------------------------------------------------

ConvCostModel::ConvCostModel(TargetDescription target, ConvEfficiencies efficiencies)
    : target_(target), efficiencies_(efficiencies) {}

double ConvCostModel::bandwidthFor(double bytes) const {
  int cores = std::max(target_.cores, 1);
  // L2 is private per core, so both its size and bandwidth scale with cores;
  // L3 and DRAM are shared.
  if (bytes <= double(target_.l2Bytes) * cores) return target_.l2BandwidthGBs * 1e9 * cores;
  if (bytes <= double(target_.l3Bytes)) return target_.l3BandwidthGBs * 1e9;
  return target_.dramBandwidthGBs * 1e9;
}

double ConvCostModel::stageSeconds(double flops, double efficiency, double bytesMoved,
                                   double workingSet) const {
  double peak = target_.peakGflopsPerCore * 1e9 * std::max(target_.cores, 1);
  double compute = flops > 0 ? flops / (peak * efficiency) : 0.0;
  double memory = bytesMoved > 0 ? bytesMoved / bandwidthFor(workingSet) : 0.0;
  return std::max(compute, memory);
}

ConvEstimate ConvCostModel::estimate(const ConvProblem& problem, ConvAlgorithm algorithm) const {
  std::string reason = rejectionReason(problem, algorithm);
  if (!reason.empty()) {
    if (rejectionReason(problem, algorithm, /*structuralOnly=*/true).empty()) {
      // A cost rule only: estimate it anyway so a forced choice can use it.
      ConvEstimate e = estimateApplicable(problem, algorithm);
      e.applicable = false;
      e.forcible = true;
      e.rejection = reason;
      return e;
    }
    ConvEstimate e;
    e.algorithm = algorithm;
    e.applicable = false;
    e.rejection = reason;
    return e;
  }
  return estimateApplicable(problem, algorithm);
}

ConvEstimate ConvCostModel::estimateApplicable(const ConvProblem& problem, ConvAlgorithm algorithm) const {
  switch (algorithm) {
    case ConvAlgorithm::Direct:
      return estimateDirect(problem);
    case ConvAlgorithm::Im2col:
      return estimateIm2col(problem);
    case ConvAlgorithm::Fft:
      return estimateFft(problem);
    case ConvAlgorithm::Winograd:
      return estimateWinograd(problem);
  }
  return estimateDirect(problem);
}

std::vector<ConvEstimate> ConvCostModel::estimateAll(const ConvProblem& problem) const {
  std::vector<ConvEstimate> all;
  for (ConvAlgorithm algorithm : kAllConvAlgorithms) all.push_back(estimate(problem, algorithm));
  return all;
}

// Direct: one stage; reads input and weights, writes the output.
ConvEstimate ConvCostModel::estimateDirect(const ConvProblem& p) const {
  double n = double(p.batch);
  double input = double(p.inChannels * p.inHeight * p.inWidth) * kF32;
  double weights = double(p.outChannels * p.channelsPerGroup() * p.kernelHeight * p.kernelWidth) * kF32;
  double output = double(p.outChannels * p.outHeight() * p.outWidth()) * kF32;
  double flops = p.directFlops();
  ConvEstimate e;
  e.algorithm = ConvAlgorithm::Direct;
  e.mflops = flops / 1e6;
  e.microseconds =
      stageSeconds(flops, efficiencies_.direct, n * (input + output) + weights, input + weights + output) *
      1e6;
  return e;
}

// im2col: unfold the input into a [C/g·R·S, P·Q] matrix per image and group
// (a pure copy, skipped for 1x1 stride-1 unpadded convolutions where the
// input already is that matrix), then one GEMM with the weights.
ConvEstimate ConvCostModel::estimateIm2col(const ConvProblem& p) const {
  double n = double(p.batch);
  double input = double(p.inChannels * p.inHeight * p.inWidth) * kF32;
  double weights = double(p.outChannels * p.channelsPerGroup() * p.kernelHeight * p.kernelWidth) * kF32;
  double output = double(p.outChannels * p.outHeight() * p.outWidth()) * kF32;
  bool identityUnfold = p.kernelHeight == 1 && p.kernelWidth == 1 && p.strideHeight == 1 &&
                        p.strideWidth == 1 && p.padTop == 0 && p.padLeft == 0 && p.padBottom == 0 &&
                        p.padRight == 0;
  // One group's buffer, reused across groups and images.
  double buffer =
      identityUnfold
          ? 0.0
          : double(p.channelsPerGroup() * p.kernelHeight * p.kernelWidth * p.outHeight() * p.outWidth()) *
                kF32;
  double groups = double(p.groups);
  double unfold = buffer > 0 ? stageSeconds(0, 1, n * (input + groups * buffer), input + buffer) : 0.0;
  double gemmInput = identityUnfold ? input : groups * buffer;
  double gemm = stageSeconds(p.directFlops(), efficiencies_.gemm, n * (gemmInput + output) + weights,
                             buffer + weights + output);
  ConvEstimate e;
  e.algorithm = ConvAlgorithm::Im2col;
  e.mflops = p.directFlops() / 1e6;
  e.microseconds = (unfold + gemm) * 1e6;
  e.workspaceBytes = int64_t(buffer);
  return e;
}

// FFT by overlap-save on n x n tiles, n from the plan function every backend
// runs (common::chooseFftPlan): per tile a forward real FFT of each input
// channel's tile, a pointwise complex multiply-accumulate with the kernel
// spectra (computed at compile time) over C for each of K outputs, and an
// inverse FFT per output channel that keeps its (n-R+1) x (n-S+1) valid
// outputs.
ConvEstimate ConvCostModel::estimateFft(const ConvProblem& p) const {
  common::FftPlan plan = common::chooseFftPlan(p.fftShape());
  double c = double(p.inChannels), k = double(p.outChannels);
  int64_t n = plan.n;
  double tiles = double(p.batch) * ceilDiv(p.outHeight(), plan.outH) * ceilDiv(p.outWidth(), plan.outW);
  double plane = double(n) * double(n);
  double planeFlops = 2.5 * plane * std::log2(plane);
  double freqs = double(plan.freqs());
  double inputPlanes = c * double(p.inHeight * p.inWidth) * kF32;
  double outputPlanes = k * double(p.outHeight() * p.outWidth()) * kF32;
  double tileSpectra = (c + k) * freqs * kComplex;  // one tile's, reused from cache
  double kernelSpectra = k * c * freqs * kComplex;

  double forwardFlops = tiles * c * planeFlops;
  double pointwiseFlops = 8.0 * tiles * c * k * freqs;
  double inverseFlops = tiles * k * planeFlops;
  double forward = stageSeconds(forwardFlops, efficiencies_.fftTransform, double(p.batch) * inputPlanes,
                                inputPlanes + tileSpectra);
  // The kernel spectra are streamed once per tile.
  double pointwise = stageSeconds(pointwiseFlops, efficiencies_.fftPointwise, tiles * kernelSpectra,
                                  kernelSpectra + tileSpectra);
  double inverse = stageSeconds(inverseFlops, efficiencies_.fftTransform, double(p.batch) * outputPlanes,
                                outputPlanes + tileSpectra);
  ConvEstimate e;
  e.algorithm = ConvAlgorithm::Fft;
  e.mflops = (forwardFlops + pointwiseFlops + inverseFlops) / 1e6;
  e.microseconds = (forward + pointwise + inverse) * 1e6;
  e.workspaceBytes = int64_t(kernelSpectra + tileSpectra);
  e.variant = fmt::format("n={}", n);
  e.tile = n;
  return e;
}

// Winograd F(m x m, 3x3), alpha = m + 2: per tile and channel the input
// transform B^T d B, per tile a batched GEMM over channels in each of the
// alpha^2 positions, per tile and output channel the output transform
// A^T M A. Transforms are counted as dense matrix products (an upper bound).
// Kernel transforms G g G^T happen at compile time.
ConvEstimate ConvCostModel::estimateWinogradTile(const ConvProblem& p, int64_t m) const {
  double alpha = double(m + 2);
  double a2 = alpha * alpha;
  double batch = double(p.batch);
  double c = double(p.inChannels), k = double(p.outChannels);
  double tiles = ceilDiv(p.outHeight(), m) * ceilDiv(p.outWidth(), m);
  double md = double(m);
  double inputTransformFlops = batch * tiles * c * 4.0 * alpha * a2;
  double gemmFlops = batch * tiles * 2.0 * a2 * c * k;
  double outputTransformFlops = batch * tiles * k * 2.0 * (md * a2 + md * md * alpha);

  double inputPlanes = c * double(p.inHeight * p.inWidth) * kF32;
  double outputPlanes = k * double(p.outHeight() * p.outWidth()) * kF32;
  double inputTransformed = c * a2 * tiles * kF32;
  double outputTransformed = k * a2 * tiles * kF32;
  double kernelTransformed = k * c * a2 * kF32;

  double in = stageSeconds(inputTransformFlops, efficiencies_.winogradTransform,
                           batch * (inputPlanes + inputTransformed), inputPlanes + inputTransformed);
  double gemm = stageSeconds(gemmFlops, efficiencies_.winogradGemm,
                             kernelTransformed + batch * (inputTransformed + outputTransformed),
                             kernelTransformed + inputTransformed + outputTransformed);
  double out = stageSeconds(outputTransformFlops, efficiencies_.winogradTransform,
                            batch * (outputTransformed + outputPlanes), outputTransformed + outputPlanes);
  ConvEstimate e;
  e.algorithm = ConvAlgorithm::Winograd;
  e.mflops = (inputTransformFlops + gemmFlops + outputTransformFlops) / 1e6;
  e.microseconds = (in + gemm + out) * 1e6;
  e.workspaceBytes = int64_t(inputTransformed + outputTransformed + kernelTransformed);
  e.variant = fmt::format("F({}x{},3x3)", m, m);
  e.tile = m;
  return e;
}

// Both tile sizes; F(4x4,3x3) saves more multiplies but wastes more of the
// edge tiles on small outputs.
ConvEstimate ConvCostModel::estimateWinograd(const ConvProblem& p) const {
  std::optional<ConvEstimate> best;
  for (int64_t tile : common::kWinogradTiles) {
    ConvEstimate e = estimateWinogradTile(p, tile);
    if (!best || e.microseconds < best->microseconds) best = e;
  }
  return *best;
}

}  // namespace nutshell::passes
