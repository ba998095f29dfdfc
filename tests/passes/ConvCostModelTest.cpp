// The convolution cost model: the decisions the docs promise (bigconv -> fft,
// 1x1 -> im2col/direct, few input channels -> never fft, stride 2 -> never
// fft or winograd), the rejection texts, and the `why` formatting.
#include <catch2/catch.hpp>

#include "backends/common/FftPlan.h"
#include "passes/ConvCostModel.h"

using namespace nutshell;
using namespace nutshell::passes;

namespace {

ConvProblem conv(int64_t n, int64_t c, int64_t h, int64_t k, int64_t r, int64_t stride = 1,
                 int64_t pad = -1) {
  ConvProblem p;
  p.batch = n;
  p.inChannels = c;
  p.inHeight = h;
  p.inWidth = h;
  p.outChannels = k;
  p.kernelHeight = r;
  p.kernelWidth = r;
  p.strideHeight = p.strideWidth = stride;
  int64_t same = pad < 0 ? r / 2 : pad;
  p.padTop = p.padLeft = p.padBottom = p.padRight = same;
  return p;
}

ConvAlgorithm choose(const ConvProblem& p, TargetDescription target = {}) {
  ConvCostModel model(target);
  return ConvCostModel::best(model.estimateAll(p)).algorithm;
}

}  // namespace

TEST_CASE("conv algorithm names round-trip", "[conv-cost]") {
  for (ConvAlgorithm a : kAllConvAlgorithms) CHECK(parseConvAlgorithm(convAlgorithmName(a)) == a);
  CHECK_FALSE(parseConvAlgorithm("gemm").has_value());
  CHECK_FALSE(parseConvAlgorithm("auto").has_value());
}

TEST_CASE("problem geometry and direct FLOPs", "[conv-cost]") {
  ConvProblem p = conv(1, 32, 64, 32, 11);
  CHECK(p.outHeight() == 64);
  CHECK(p.outWidth() == 64);
  CHECK(p.directFlops() == Approx(2.0 * 32 * 32 * 64 * 64 * 121));
  ConvProblem s2 = conv(1, 3, 224, 64, 7, 2, 3);
  CHECK(s2.outHeight() == 112);
}

TEST_CASE("bigconv picks fft at batch 1 and 16, on 1 and 2 cores", "[conv-cost]") {
  for (int64_t batch : {1, 16}) {
    for (int cores : {1, 2}) {
      TargetDescription target;
      target.cores = cores;
      INFO("batch " << batch << ", cores " << cores);
      ConvProblem p = conv(batch, 32, 64, 32, 11);
      CHECK(choose(p, target) == ConvAlgorithm::Fft);
      ConvCostModel model(target);
      auto all = model.estimateAll(p);
      // The FFT plan does far fewer FLOPs than the 1 GFLOP direct convolution.
      CHECK(all[size_t(ConvAlgorithm::Fft)].mflops < 0.2 * all[size_t(ConvAlgorithm::Direct)].mflops);
      // Priced with the tile the backends run: the plan function's.
      int64_t n = common::chooseFftPlan({batch, 32, 32, 11, 11, 64, 64}).n;
      CHECK(n >= 16);
      CHECK(all[size_t(ConvAlgorithm::Fft)].tile == n);
      CHECK(all[size_t(ConvAlgorithm::Fft)].variant == "n=" + std::to_string(n));
      CHECK_FALSE(all[size_t(ConvAlgorithm::Winograd)].applicable);
      CHECK(all[size_t(ConvAlgorithm::Winograd)].rejection == "11x11 kernel");
    }
  }
}

TEST_CASE("1x1 convolutions use im2col or direct", "[conv-cost]") {
  for (auto [c, k, h] : {std::tuple{192, 64, 28}, {192, 16, 28}, {64, 256, 56}, {512, 512, 7}, {16, 16, 8}}) {
    ConvProblem p = conv(1, c, h, k, 1);
    ConvAlgorithm a = choose(p);
    INFO(c << "->" << k << " at " << h << "x" << h << ": " << convAlgorithmName(a));
    CHECK((a == ConvAlgorithm::Im2col || a == ConvAlgorithm::Direct));
    // A 1x1 stride-1 unpadded convolution is a GEMM on the input as is.
    CHECK(ConvCostModel().estimate(p, ConvAlgorithm::Im2col).workspaceBytes == 0);
  }
}

TEST_CASE("few input channels never use fft", "[conv-cost]") {
  // trafficsign's first layer and friends.
  for (int64_t c : {1, 3, 4, 15}) {
    ConvProblem p = conv(16, c, 64, 32, 11);
    ConvCostModel model;
    ConvEstimate fft = model.estimate(p, ConvAlgorithm::Fft);
    CHECK_FALSE(fft.applicable);
    CHECK(fft.rejection == "C=" + std::to_string(c) + "<16");
    CHECK(choose(p) != ConvAlgorithm::Fft);
  }
  ConvProblem trafficsign = conv(1, 3, 32, 4, 5, 1, 0);
  CHECK(ConvCostModel().estimate(trafficsign, ConvAlgorithm::Fft).str() == "fft rejected: C=3<16");
  CHECK(ConvCostModel().estimate(trafficsign, ConvAlgorithm::Winograd).str() ==
        "winograd rejected: 5x5 kernel");
}

TEST_CASE("stride-2 convolutions never use fft or winograd", "[conv-cost]") {
  for (int64_t r : {1, 3, 7, 11}) {
    ConvProblem p = conv(8, 64, 56, 64, r, 2);
    ConvCostModel model;
    auto all = model.estimateAll(p);
    CHECK_FALSE(all[size_t(ConvAlgorithm::Fft)].applicable);
    CHECK(all[size_t(ConvAlgorithm::Fft)].rejection == "stride 2");
    CHECK_FALSE(all[size_t(ConvAlgorithm::Winograd)].applicable);
    ConvAlgorithm a = choose(p);
    CHECK((a == ConvAlgorithm::Direct || a == ConvAlgorithm::Im2col));
  }
}

TEST_CASE("rejection reasons list every violated condition", "[conv-cost]") {
  ConvProblem p = conv(1, 8, 32, 8, 5, 2);
  p.dilationHeight = p.dilationWidth = 2;
  p.groups = 2;
  CHECK(ConvCostModel::rejectionReason(p, ConvAlgorithm::Fft) == "stride 2, dilation 2, groups 2, C=8<16");
  CHECK(ConvCostModel::rejectionReason(p, ConvAlgorithm::Winograd) ==
        "5x5 kernel, stride 2, dilation 2, groups 2");
  CHECK(ConvCostModel::rejectionReason(p, ConvAlgorithm::Direct).empty());
  CHECK(ConvCostModel::rejectionReason(p, ConvAlgorithm::Im2col).empty());
}

TEST_CASE("3x3 convolutions with many channels prefer winograd", "[conv-cost]") {
  // inception3a's 3x3 branch: 96 -> 128 at 28x28.
  ConvProblem p = conv(1, 96, 28, 128, 3);
  ConvCostModel model;
  auto all = model.estimateAll(p);
  CHECK(ConvCostModel::best(all).algorithm == ConvAlgorithm::Winograd);
  const ConvEstimate& w = all[size_t(ConvAlgorithm::Winograd)];
  CHECK(w.mflops < all[size_t(ConvAlgorithm::Direct)].mflops / 2);
  CHECK((w.variant == "F(2x2,3x3)" || w.variant == "F(4x4,3x3)"));
}

TEST_CASE("estimates scale with the machine", "[conv-cost]") {
  ConvProblem p = conv(1, 64, 28, 64, 3);
  TargetDescription one, two;
  two.cores = 2;
  double t1 = ConvCostModel(one).estimate(p, ConvAlgorithm::Direct).microseconds;
  double t2 = ConvCostModel(two).estimate(p, ConvAlgorithm::Direct).microseconds;
  CHECK(t2 == Approx(t1 / 2).epsilon(0.01));
  // Compute-bound direct: 2*64*64*28*28*9 FLOPs at 60% of 117 GFLOP/s.
  CHECK(t1 == Approx(2.0 * 64 * 64 * 28 * 28 * 9 / (117e9 * 0.6) * 1e6).epsilon(0.001));
  ConvCostModel model;
  CHECK(model.bandwidthFor(1000) == Approx(95e9));
  CHECK(model.bandwidthFor(4.0 * 1024 * 1024) == Approx(53e9));
  CHECK(model.bandwidthFor(64.0 * 1024 * 1024) == Approx(28e9));
}

TEST_CASE("why text is compact and deterministic", "[conv-cost]") {
  ConvEstimate direct;
  direct.algorithm = ConvAlgorithm::Direct;
  direct.microseconds = 12.06;
  direct.mflops = 0.4704;
  CHECK(direct.str() == "direct 12.1us 0.47 MFLOP");
  ConvEstimate im2col = direct;
  im2col.algorithm = ConvAlgorithm::Im2col;
  im2col.microseconds = 14.0;
  im2col.workspaceBytes = 48 * 1024;
  CHECK(im2col.str() == "im2col 14.0us 0.47 MFLOP +48 KB");
  ConvEstimate fft;
  fft.algorithm = ConvAlgorithm::Fft;
  fft.applicable = false;
  fft.rejection = "C=3<16";
  CHECK(ConvCostModel::formatWhy({direct, im2col, fft}) ==
        "direct 12.1us 0.47 MFLOP | im2col 14.0us 0.47 MFLOP +48 KB | fft rejected: C=3<16");
  CHECK(formatBytes(1) == "1 KB");
  CHECK(formatBytes(3 * 1024 * 1024 / 2) == "1.5 MB");

  ConvProblem p = conv(1, 32, 64, 32, 11);
  ConvCostModel model;
  CHECK(ConvCostModel::formatWhy(model.estimateAll(p)) == ConvCostModel::formatWhy(model.estimateAll(p)));
}

TEST_CASE("ConvProblem::fromNode reads conv2d and fused_conv2d", "[conv-cost]") {
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType(ir::DType::F32, {ir::Dim::symbolic("N"), 32, 64, 64}));
  ir::Value* w = g.addConstant(ir::makeF32({16, 32, 3, 3}, std::vector<float>(16 * 32 * 9, 0.0f)), "w");
  ir::Node* node = g.addNode(
      ir::OpKind::Conv2d, {x, w}, {ir::TensorType(ir::DType::F32, {ir::Dim::symbolic("N"), 16, 32, 32})},
      {{"strides", std::vector<int64_t>{2, 2}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto p = ConvProblem::fromNode(*node);
  REQUIRE(p);
  CHECK(p->batchAssumed);
  CHECK(p->batch == 1);
  CHECK(p->outHeight() == 32);
  CHECK(p->strideHeight == 2);
  CHECK(p->padBottom == 1);

  ir::Value* y = g.addInput("y", ir::TensorType(ir::DType::F32, {1, 32, ir::Dim::symbolic("H"), 64}));
  ir::Node* symbolic =
      g.addNode(ir::OpKind::Conv2d, {y, w}, {ir::TensorType(ir::DType::F32, {1, 16, ir::Dim(), 62})});
  auto bad = ConvProblem::fromNode(*symbolic);
  REQUIRE_FALSE(bad);
  CHECK(bad.message().find(symbolic->name()) != std::string::npos);
}
