// The convolution algorithms of the cpu backend (im2col + GEMM, FFT,
// Winograd), each forced through the `algo` attribute of fused_conv2d, on odd
// layers and every epilogue, against the reference interpreter; 1 and 2
// threads must agree bitwise. The generated kernel list is checked too, so a
// silent fallback to direct fails the test.
//
// Tolerances: im2col sums in the same order as direct (rtol 1e-4). FFT and
// Winograd round differently: rtol 1e-3 and an absolute term scaled by the
// largest sum |w||x| of an output (the natural error scale of a transform).
//
// The [.bench] case times bigconv's layer (11x11, 32->32, 64x64, relu,
// maxpool 2x2) at batch 1 on one thread with each algorithm.
#include <algorithm>
#include <chrono>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "backends/cpu/Target.h"
#include "passes/ConvCostModel.h"
#include "passes/PassManager.h"
#include "tests/cpu/CpuTestUtil.h"
#include "tests/cpu/PlannedModule.h"

using namespace nutshell;
using namespace nutshell::cputest;
using ir::OpKind;

namespace {

struct Layer {
  int64_t N, C, H, W, K, R, S;
  std::vector<int64_t> pads{0, 0, 0, 0}, strides{1, 1}, dilations{1, 1};
  int64_t groups = 1;
};

struct Epilogue {
  std::string act;
  std::vector<double> actParams;
  std::string pool = "none";
  std::vector<int64_t> poolKernel{1, 1}, poolStrides{1, 1}, poolPads{0, 0, 0, 0};
  int64_t includePad = 0;
};

std::vector<Epilogue> activations() {
  return {{"none", {}},          {"relu", {}},          {"sigmoid", {}},   {"tanh", {}},
          {"leaky_relu", {0.1}}, {"clip", {-0.5, 0.5}}, {"hard_swish", {}}};
}

std::vector<Epilogue> withPools(const Epilogue& e) {
  Epilogue none{e.act, e.actParams};
  Epilogue max2 = none, avg3 = none, max3 = none;
  max2.pool = "max", max2.poolKernel = {2, 2}, max2.poolStrides = {2, 2};
  avg3.pool = "avg", avg3.poolKernel = {3, 3}, avg3.poolStrides = {2, 2}, avg3.poolPads = {1, 1, 1, 1};
  avg3.includePad = 1;
  max3.pool = "max", max3.poolKernel = {3, 2}, max3.poolStrides = {1, 2}, max3.poolPads = {1, 0, 1, 1};
  return {none, max2, avg3, max3};
}

bool applicable(const Layer& l, const std::string& algo) {
  if (algo == "im2col") return true;
  bool simple = l.strides == std::vector<int64_t>{1, 1} && l.dilations == std::vector<int64_t>{1, 1} && l.groups == 1;
  if (algo == "fft") return simple;
  return simple && l.R == 3 && l.S == 3;
}

std::vector<Layer> layers() {
  return {
      {1, 5, 1, 1, 7, 3, 3, {1, 1, 1, 1}},                         // 1x1 image
      {3, 17, 9, 11, 20, 3, 3, {1, 0, 2, 1}},                      // batch 3, asymmetric pads, odd channels
      {1, 16, 28, 28, 32, 5, 5, {2, 2, 2, 2}},                     // inception 5x5
      {1, 33, 37, 40, 9, 11, 11, {5, 4, 6, 5}},                    // 11x11
      {2, 24, 13, 15, 33, 1, 1},                                   // pointwise
      {1, 20, 30, 30, 18, 3, 3, {1, 1, 1, 1}},                     // Winograd F(4x4)
      {1, 8, 6, 70, 5, 1, 3, {0, 1, 0, 1}},                        // wide, 1x3
      {2, 6, 11, 13, 10, 3, 3, {1, 2, 0, 1}, {2, 1}, {1, 2}, 2},   // im2col only: stride, dilation, groups
      {1, 3, 19, 23, 16, 7, 7, {3, 3, 3, 3}},                      // 7x7, 3 channels
      {8, 20, 7, 7, 24, 3, 3, {1, 1, 1, 1}},                       // batch 8, small plane: several images per task
      {2, 5, 15, 37, 12, 3, 3, {1, 1, 1, 2}, {2, 2}},              // im2col only: stride 2 (deinterleaved loads)
      {1, 3, 21, 22, 8, 7, 7, {3, 3, 2, 3}, {2, 2}},               // im2col only: 7x7 stride 2, ResNet stem-like
  };
}

/// atol from the largest sum |w||x| of an output: the scale of f32 rounding
/// (a sequential sum for im2col, transforms for FFT and Winograd).
double absoluteTolerance(const std::string& algo, const Layer& l, const ir::TensorData& w, const Tensor& x) {
  double maxX = 0;
  for (int64_t i = 0; i < x.numElements(); ++i) maxX = std::max(maxX, double(std::fabs(x.f32()[i])));
  double maxRow = 0;
  int64_t row = w.f32.size() / size_t(l.K);
  for (int64_t k = 0; k < l.K; ++k) {
    double sum = 0;
    for (int64_t j = 0; j < row; ++j) sum += std::fabs(w.f32[size_t(k * row + j)]);
    maxRow = std::max(maxRow, sum);
  }
  return algo == "im2col" ? 1e-5 + 5e-8 * maxRow * maxX : 1e-4 + 2e-6 * maxRow * maxX;
}

/// The kernel summary lines of the compiled graph (checks which algorithm ran).
std::string kernelLines(const ir::Graph& g) {
  auto target = cpu::detectTarget();
  REQUIRE(target.ok());
  auto built = buildPlannedModule(g, *target);
  INFO((built ? std::string() : built.message()));
  REQUIRE(built.ok());
  std::string text;
  for (const std::string& line : built->info.kernels) text += line + "\n";
  return text;
}

ir::AttrMap attrsFor(const Layer& l, const Epilogue& e, const std::string& algo) {
  return {{"strides", l.strides},      {"pads", l.pads},
          {"dilations", l.dilations},  {"groups", l.groups},
          {"act", e.act},              {"act_params", e.actParams},
          {"pool", e.pool},            {"pool_kernel", e.poolKernel},
          {"pool_strides", e.poolStrides}, {"pool_pads", e.poolPads},
          {"pool_count_include_pad", e.includePad}, {"algo", algo}};
}

void checkLayer(const Layer& l, const Epilogue& e, const std::string& algo, std::mt19937_64& rng) {
  INFO(algo << " N=" << l.N << " C=" << l.C << " " << l.H << "x" << l.W << " K=" << l.K << " " << l.R << "x" << l.S
            << " groups " << l.groups << " act " << e.act << " pool " << e.pool << " " << e.poolKernel[0] << "x"
            << e.poolKernel[1]);
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({l.N, l.C, l.H, l.W}));
  auto wData = randomData({l.K, l.C / l.groups, l.R, l.S}, rng);
  ir::Value* w = g.addConstant(wData);
  ir::Value* b = g.addConstant(randomData({l.K}, rng));
  g.outputs.push_back(op(g, OpKind::FusedConv2d, {x, w, b}, attrsFor(l, e, algo)));
  std::string kernels = kernelLines(g);
  INFO(kernels);
  CHECK(kernels.find(algo == "im2col" ? "im2col conv" : algo + " ") != std::string::npos);
  TensorMap inputs;
  inputs["x"] = randomTensor({l.N, l.C, l.H, l.W}, rng);
  checkAgainstReference(g, inputs, algo == "im2col" ? 1e-4 : 1e-3, absoluteTolerance(algo, l, *wData, inputs["x"]));
}

}  // namespace

TEST_CASE("cpu conv algorithms: odd layers, rotating epilogues", "[cpu][conv][algo]") {
  for (std::string algo : {"im2col", "fft", "winograd"}) {
    auto rng = makeRng("layers-" + algo);
    std::vector<Epilogue> acts = activations();
    std::vector<Epilogue> all;
    for (const Epilogue& a : acts)
      for (const Epilogue& e : withPools(a)) all.push_back(e);
    size_t i = 0;
    for (const Layer& l : layers()) {
      if (!applicable(l, algo)) continue;
      // Every layer with no epilogue, and with one from the rotation.
      checkLayer(l, acts[0], algo, rng);
      Epilogue e = all[(7 * i++ + 5) % all.size()];
      int64_t oh = (l.H + l.pads[0] + l.pads[2] - (l.R - 1) * l.dilations[0] - 1) / l.strides[0] + 1;
      int64_t ow = (l.W + l.pads[1] + l.pads[3] - (l.S - 1) * l.dilations[1] - 1) / l.strides[1] + 1;
      if (oh + e.poolPads[0] + e.poolPads[2] < e.poolKernel[0] || ow + e.poolPads[1] + e.poolPads[3] < e.poolKernel[1])
        e = withPools(e)[0];  // the pool window does not fit this output
      checkLayer(l, e, algo, rng);
    }
  }
}

TEST_CASE("cpu conv algorithms: every activation x pool", "[cpu][conv][algo]") {
  Layer l{2, 18, 12, 14, 20, 3, 3, {1, 1, 1, 1}};
  for (std::string algo : {"im2col", "fft", "winograd"}) {
    auto rng = makeRng("epilogues-" + algo);
    for (const Epilogue& a : activations())
      for (const Epilogue& e : withPools(a)) checkLayer(l, e, algo, rng);
  }
}

TEST_CASE("cpu conv algorithms: FFT at batch 1 with tiles that two threads cannot share evenly", "[cpu][conv][algo]") {
  // bigconv's shape: 9 output tiles at batch 1, so the kernel also splits the
  // output channels between tasks; results must match and not depend on threads.
  auto rng = makeRng("fft-batch1-split");
  Layer l{1, 32, 64, 64, 32, 11, 11, {5, 5, 5, 5}};
  checkLayer(l, withPools({"relu", {}})[1], "fft", rng);
  checkLayer(l, {"none", {}}, "fft", rng);
}

TEST_CASE("cpu conv algorithms: writing into a destination at a channel offset", "[cpu][conv][algo]") {
  for (std::string algo : {"im2col", "fft", "winograd"}) {
    for (bool pooled : {false, true}) {
      INFO(algo << (pooled ? " pooled" : ""));
      auto rng = makeRng("dest-" + algo);
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 17, 10, 9}));
      int64_t outH = pooled ? 5 : 10, outW = pooled ? 4 : 9;
      ir::Value* cur = g.addNode(OpKind::Empty, {}, {ir::TensorType::f32({2, 40, outH, outW})})->result();
      int64_t offset = 0;
      auto wData = randomData({19, 17, 3, 3}, rng);
      for (int64_t k : {19, 21}) {
        Layer l{2, 17, 10, 9, k, 3, 3, {1, 1, 1, 1}};
        Epilogue e{"relu", {}};
        if (pooled) e = withPools(e)[1];
        ir::AttrMap attrs = attrsFor(l, e, algo);
        attrs["dest_offset"] = offset;
        ir::Value* w = k == 19 ? g.addConstant(wData) : g.addConstant(randomData({k, 17, 3, 3}, rng));
        ir::Value* b = g.addConstant(randomData({k}, rng));
        cur = op(g, OpKind::FusedConv2d, {x, w, b, cur}, attrs);
        offset += k;
      }
      g.outputs.push_back(cur);
      TensorMap inputs;
      inputs["x"] = randomTensor({2, 17, 10, 9}, rng);
      Layer scale{2, 17, 10, 9, 19, 3, 3};
      checkAgainstReference(g, inputs, algo == "im2col" ? 1e-4 : 1e-3,
                            2 * absoluteTolerance(algo, scale, *wData, inputs["x"]));
    }
  }
}

TEST_CASE("cpu conv algorithms: an impossible plan is an error, not a silent direct", "[cpu][conv][algo]") {
  auto rng = makeRng("impossible");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({1, 4, 6, 6}));
  ir::Value* w = g.addInput("w", ir::TensorType::f32({3, 4, 3, 3}));
  ir::Value* b = g.addConstant(randomData({3}, rng));
  ir::Value* y = op(g, OpKind::FusedConv2d, {x, w, b}, {{"algo", std::string("fft")}});
  g.outputs.push_back(y);
  auto target = cpu::detectTarget();
  REQUIRE(target.ok());
  auto built = buildPlannedModule(g, *target);
  REQUIRE_FALSE(built.ok());
  CHECK_THAT(built.message(), Catch::Contains("algo=\"fft\" cannot run here: weights not constant"));

  // select-conv-algo never plans it: non-constant weights leave direct only,
  // and the result matches the reference.
  y->producer->attrs.erase("algo");
  passes::PassManager manager;
  REQUIRE(manager.addPipeline("select-conv-algo").ok());
  Status ran = manager.run(g);
  INFO(ran.message());
  REQUIRE(ran.ok());
  CHECK(y->producer->getString("algo") == "direct");
  CHECK_THAT(y->producer->getString("why"), Catch::Contains("fft rejected: weights not constant"));
  TensorMap inputs;
  inputs["x"] = randomTensor({1, 4, 6, 6}, rng);
  inputs["w"] = randomTensor({3, 4, 3, 3}, rng);
  checkAgainstReference(g, inputs);

  // A tile the backend does not run is refused too.
  ir::Graph g2;
  ir::Value* x2 = g2.addInput("x", ir::TensorType::f32({1, 4, 6, 6}));
  ir::Value* w2 = g2.addConstant(randomData({3, 4, 3, 3}, rng));
  ir::Value* b2 = g2.addConstant(randomData({3}, rng));
  g2.outputs.push_back(
      op(g2, OpKind::FusedConv2d, {x2, w2, b2}, {{"algo", std::string("winograd")}, {"tile", int64_t(3)}}));
  auto built2 = buildPlannedModule(g2, *target);
  REQUIRE_FALSE(built2.ok());
  CHECK_THAT(built2.message(), Catch::Contains("winograd tile=3 is not one this backend runs"));

  // The backend refuses with the cost model's own words (one function,
  // common::convStructuralRejections, serves both).
  ir::Graph g3;
  ir::Value* x3 = g3.addInput("x", ir::TensorType::f32({1, 4, 9, 9}));
  ir::Value* w3 = g3.addConstant(randomData({3, 4, 5, 5}, rng));
  ir::Value* b3 = g3.addConstant(randomData({3}, rng));
  ir::Value* y3 = op(g3, OpKind::FusedConv2d, {x3, w3, b3},
                     {{"algo", std::string("winograd")}, {"strides", std::vector<int64_t>{2, 1}}});
  g3.outputs.push_back(y3);
  auto problem = common::ConvProblem::fromNode(*y3->producer);
  REQUIRE(problem);
  std::string reason = passes::ConvCostModel::rejectionReason(*problem, ir::ConvAlgorithm::Winograd, true);
  CHECK(reason == "5x5 kernel, stride 2x1");
  auto built3 = buildPlannedModule(g3, *target);
  REQUIRE_FALSE(built3.ok());
  CHECK_THAT(built3.message(), Catch::Contains("algo=\"winograd\" cannot run here: " + reason + ";"));
}

TEST_CASE("cpu conv algorithms: the backend runs the tile the IR records", "[cpu][conv][algo]") {
  auto rng = makeRng("tile");
  for (auto [algo, tile, summary] : {std::tuple<const char*, int64_t, const char*>{"fft", 16, "fft n=16"},
                                     {"fft", 32, "fft n=32"},
                                     {"winograd", 2, "winograd F(2x2,3x3)"},
                                     {"winograd", 4, "winograd F(4x4,3x3)"}}) {
    INFO(algo << " tile=" << tile);
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({1, 16, 12, 12}));
    ir::Value* w = g.addConstant(randomData({16, 16, 3, 3}, rng));
    ir::Value* b = g.addConstant(randomData({16}, rng));
    g.outputs.push_back(
        op(g, OpKind::FusedConv2d, {x, w, b},
           {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"algo", std::string(algo)}, {"tile", tile}}));
    CHECK_THAT(kernelLines(g), Catch::Contains(summary));
    TensorMap inputs;
    inputs["x"] = randomTensor({1, 16, 12, 12}, rng);
    checkAgainstReference(g, inputs, 1e-3, 1e-4);
  }
}

TEST_CASE("cpu conv algorithms: layer timings", "[.bench]") {
  // bigconv's layer, inception3a's 3x3, 5x5 and a 1x1 (batch 1 unless
  // NUTSHELL_BENCH_BATCH is set), each algorithm, 1 and 2 threads.
  auto rng = makeRng("bench");
  int64_t batch = 1;
  if (const char* env = std::getenv("NUTSHELL_BENCH_BATCH")) batch = std::atoll(env);
  struct Bench {
    std::string name;
    Layer layer;
    bool pooled;
    std::vector<std::string> algos;
  };
  std::vector<Bench> benches = {
      {"bigconv 11x11", {batch, 32, 64, 64, 32, 11, 11, {5, 5, 5, 5}}, true, {"direct", "fft", "im2col"}},
      {"inception 3x3", {batch, 96, 28, 28, 128, 3, 3, {1, 1, 1, 1}}, false, {"direct", "winograd", "im2col", "fft"}},
      {"inception 5x5", {batch, 16, 28, 28, 32, 5, 5, {2, 2, 2, 2}}, false, {"direct", "fft", "im2col"}},
      {"inception 1x1", {batch, 192, 28, 28, 64, 1, 1}, false, {"direct", "im2col"}},
  };
  for (const Bench& bench : benches) {
    const Layer& l = bench.layer;
    auto wData = randomData({l.K, l.C, l.R, l.S}, rng);
    auto bData = randomData({l.K}, rng);
    TensorMap inputs;
    inputs["x"] = randomTensor({l.N, l.C, l.H, l.W}, rng);
    double flops = 0;
    for (const std::string& algo : bench.algos) {
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32({l.N, l.C, l.H, l.W}));
      Epilogue e = withPools({"relu", {}})[bench.pooled ? 1 : 0];
      ir::Node* node = addOp(g, OpKind::FusedConv2d, {x, g.addConstant(wData), g.addConstant(bData)},
                             attrsFor(l, e, algo));
      g.outputs.push_back(node->result());
      flops = 2.0 * double(l.N * l.K * l.C * l.R * l.S) * double(l.H * l.W);
      for (int threads : {1, 2}) {
        auto backend = cpu::createCpuBackend();
        BackendOptions options;
        options.threads = threads;
        auto exe = backend->compile(g, options);
        REQUIRE(exe.ok());
        std::vector<double> times;
        for (int i = 0; i < 31; ++i) {
          auto start = std::chrono::steady_clock::now();
          auto out = exe->executable->run(inputs);
          REQUIRE(out.ok());
          times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(times.begin(), times.end());
        std::printf("%-14s batch %lld %-8s %d thread(s): median %7.3f ms, min %7.3f ms (%.0f direct-equivalent GFLOP/s)\n",
                    bench.name.c_str(), static_cast<long long>(batch), algo.c_str(), threads, times[times.size() / 2],
                    times[0], flops / times[0] / 1e6);
      }
    }
  }
}
