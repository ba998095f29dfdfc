#include "backends/common/ConvProblem.h"

#include <fmt/format.h>

#include "ir/OpViews.h"

namespace nutshell::common {

int64_t ConvProblem::outHeight() const {
  return (inHeight + padTop + padBottom - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1;
}

int64_t ConvProblem::outWidth() const {
  return (inWidth + padLeft + padRight - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1;
}

double ConvProblem::directFlops() const {
  return 2.0 * double(batch) * double(outChannels) * double(channelsPerGroup()) * double(outHeight()) *
         double(outWidth()) * double(kernelHeight) * double(kernelWidth);
}

Expected<ConvProblem> ConvProblem::fromNode(const ir::Node& node) {
  std::string where = node.describe();
  if (node.op != ir::OpKind::Conv2d && node.op != ir::OpKind::FusedConv2d)
    return makeError(where + ": not a convolution");
  if (node.operands.size() < 2 || !node.operands[0] || !node.operands[1])
    return makeError(where + ": needs input and weights");
  const ir::TensorType& x = node.operands[0]->type;
  const ir::TensorType& w = node.operands[1]->type;
  if (x.rank() != 4 || w.rank() != 4)
    return makeError(
        fmt::format("{}: expects 4-D input and weights, got {} and {}", where, x.str(), w.str()));
  for (size_t i = 1; i < 4; ++i)
    if (!x.dims[i].isStatic() || !w.dims[i].isStatic() || !w.dims[0].isStatic())
      return makeError(fmt::format("{}: the cost model needs static channel and spatial sizes, got {} and {}",
                                   where, x.str(), w.str()));
  NUTSHELL_ASSIGN(ir::ConvGeometry g, ir::convGeometry(node));
  ConvProblem p;
  p.batchAssumed = !x.dims[0].isStatic();
  p.batch = p.batchAssumed ? 1 : x.dims[0].size;
  p.inChannels = x.dims[1].size;
  p.inHeight = x.dims[2].size;
  p.inWidth = x.dims[3].size;
  p.outChannels = w.dims[0].size;
  p.kernelHeight = w.dims[2].size;
  p.kernelWidth = w.dims[3].size;
  p.strideHeight = g.strideH;
  p.strideWidth = g.strideW;
  p.dilationHeight = g.dilationH;
  p.dilationWidth = g.dilationW;
  p.padTop = g.padTop;
  p.padLeft = g.padLeft;
  p.padBottom = g.padBottom;
  p.padRight = g.padRight;
  p.groups = g.groups;
  const ir::Value* weights = node.operands[1];
  p.constantWeights = weights->producer && weights->producer->op == ir::OpKind::Const;
  if (p.inChannels % p.groups != 0 || p.outHeight() < 1 || p.outWidth() < 1)
    return makeError(fmt::format("{}: invalid convolution of {} by {}", where, x.str(), w.str()));
  return p;
}

namespace {

std::string pairText(const char* what, int64_t h, int64_t w) {
  return h == w ? fmt::format("{} {}", what, h) : fmt::format("{} {}x{}", what, h, w);
}

/// FFT and Winograd tile the plane with unit steps over one group.
void tileRejections(const ConvProblem& p, std::vector<std::string>& reasons) {
  if (p.strideHeight != 1 || p.strideWidth != 1)
    reasons.push_back(pairText("stride", p.strideHeight, p.strideWidth));
  if (p.dilationHeight != 1 || p.dilationWidth != 1)
    reasons.push_back(pairText("dilation", p.dilationHeight, p.dilationWidth));
  if (p.groups != 1) reasons.push_back(fmt::format("groups {}", p.groups));
}

}  // namespace

std::vector<std::string> convStructuralRejections(const ConvProblem& p, ir::ConvAlgorithm algorithm) {
  using ir::ConvAlgorithm;
  std::vector<std::string> reasons;
  if (algorithm != ConvAlgorithm::Direct && !p.constantWeights) reasons.push_back("weights not constant");
  switch (algorithm) {
    case ConvAlgorithm::Direct:
    case ConvAlgorithm::Im2col: break;
    case ConvAlgorithm::Fft: {
      tileRejections(p, reasons);
      FftConvShape shape = p.fftShape();
      FftPlan plan = chooseFftPlan(shape);
      if (plan.n == 0)
        reasons.push_back(fmt::format("{}x{} kernel exceeds the largest tile ({})", p.kernelHeight,
                                      p.kernelWidth, kMaxFftTile));
      else if (fftSpectraBytes(shape, plan.n, fftChannelPadding(p.outChannels)) > kMaxFftSpectraBytes)
        reasons.push_back(fmt::format("kernel spectra over {} MB", int64_t(kMaxFftSpectraBytes) >> 20));
      break;
    }
    case ConvAlgorithm::Winograd:
      if (p.kernelHeight != 3 || p.kernelWidth != 3)
        reasons.push_back(fmt::format("{}x{} kernel", p.kernelHeight, p.kernelWidth));
      tileRejections(p, reasons);
      break;
  }
  return reasons;
}

std::string joinReasons(const std::vector<std::string>& reasons) {
  std::string text;
  for (const std::string& r : reasons) text += (text.empty() ? "" : ", ") + r;
  return text;
}

}  // namespace nutshell::common
