// The passes keep the numbers: for every test model and example network, the
// reference interpreter gives the same outputs (rtol 1e-4, atol 1e-5) before
// and after the full -O2 pipeline, on random inputs (a fixed seed,
// printed on failure). Also each canonicalize rewrite that recomputes weights (gemm ->
// dense, batch_norm into conv, pad into conv) on random weights.
#include <filesystem>

#include "PassTestUtil.h"
#include "passes/Pipelines.h"

#ifdef NUTSHELL_HAVE_ONNX
#include "frontend/onnx/OnnxImporter.h"
#endif
#ifdef NUTSHELL_HAVE_EXAMPLES
#include "examples/Networks.h"
#endif

using namespace nutshell;
using namespace nutshell::passes;
using namespace nutshell::passes::testing;

namespace {

std::string o2() {
  auto text = pipelineForLevel(2);
  REQUIRE(text);
  return *text;
}

ir::Value* randomConst(ir::Graph& graph, std::vector<int64_t> shape, std::mt19937& rng, float lo = -1.0f,
                       float hi = 1.0f) {
  std::uniform_real_distribution<float> uniform(lo, hi);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> values(static_cast<size_t>(n));
  for (float& v : values) v = uniform(rng);
  return graph.addConstant(ir::makeF32(shape, std::move(values)));
}

size_t countOps(const ir::Graph& graph, ir::OpKind op) {
  size_t n = 0;
  for (const auto& node : graph.nodes()) n += node->op == op;
  return n;
}

}  // namespace

#ifdef NUTSHELL_HAVE_ONNX
TEST_CASE("the -O2 pipeline keeps the outputs of every test model", "[passes][numeric][models]") {
  std::filesystem::path models = std::filesystem::path(NUTSHELL_TEST_DATA_DIR) / "models";
  REQUIRE(std::filesystem::exists(models));
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(models)) {
    std::filesystem::path file = entry.path() / "model.onnx";
    if (!std::filesystem::exists(file)) continue;
    std::string name = entry.path().filename().string();
    SECTION(name) {
      auto graph = onnx::importOnnxFile(file.string());
      if (!graph) FAIL(name << ": " << graph.message());
      // As imported (symbolic batch: folding must keep the batch symbolic),
      // run with batch 3...
      auto bound3 = (*graph)->clone();
      bindSymbols(*bound3, 3);
      uint32_t seed = freshSeed(name + " symbolic");
      INFO(test::describeSeed(seed));
      requireSameOutputsOn(**graph, o2(), randomInputs(*bound3, seed), name + " symbolic");
      // ...and with the batch bound to 2 (static shapes, a memory plan).
      bindSymbols(**graph, 2);
      requireSameOutputs(**graph, o2(), name);
      // The planned arena is checked too (verify-each ran it after each pass).
      CHECK(optimized(**graph, o2())->arenaBytes >= 0);
    }
    ++count;
  }
  CHECK(count >= 8);
}
#endif

#ifdef NUTSHELL_HAVE_EXAMPLES
TEST_CASE("the -O2 pipeline keeps the outputs of every example network", "[passes][numeric][examples]") {
  for (const examples::ExampleNetwork& network : examples::allExampleNetworks()) {
    SECTION(std::string(network.name)) {
      auto graph = network.build(2, 7);
      if (!graph) FAIL(network.name << ": " << graph.message());
      requireSameOutputs(**graph, o2(), std::string(network.name));
    }
  }
}
#endif

TEST_CASE("canonicalize: gemm -> dense keeps the numbers", "[passes][numeric][canonicalize]") {
  const uint32_t seed = freshSeed("gemm");
  INFO(test::describeSeed(seed));
  std::mt19937 rng(seed);
  struct Case {
    double alpha, beta;
    int transB;
    std::vector<int64_t> cShape;  // empty: no C
  } cases[] = {{1.0, 1.0, 0, {5}}, {1.0, 1.0, 1, {5}}, {0.5, 2.0, 1, {1, 5}}, {2.0, 0.0, 0, {5}},
               {1.0, 3.0, 0, {1}}, {1.5, 1.0, 1, {}},  {1.0, 1.0, 0, {}}};
  for (const Case& c : cases) {
    ir::Graph graph;
    ir::Value* x = graph.addInput("x", ir::TensorType::f32({3, 4}));
    ir::Value* b = randomConst(graph, c.transB ? std::vector<int64_t>{5, 4} : std::vector<int64_t>{4, 5}, rng);
    std::vector<ir::Value*> operands = {x, b};
    if (!c.cShape.empty()) operands.push_back(randomConst(graph, c.cShape, rng));
    ir::Node* gemm = graph.addNode(ir::OpKind::Gemm, operands, {ir::TensorType::f32({3, 5})},
                                   {{"alpha", c.alpha}, {"beta", c.beta}, {"trans_b", int64_t(c.transB)}}, {"y"});
    graph.outputs.push_back(gemm->result());
    INFO("alpha " << c.alpha << " beta " << c.beta << " trans_b " << c.transB);
    requireSameOutputs(graph, "canonicalize", "gemm");
    auto after = optimized(graph, "canonicalize");
    CHECK(countOps(*after, ir::OpKind::Gemm) == 0);
    CHECK(countOps(*after, ir::OpKind::Dense) == 1);
    CHECK(after->outputs[0]->name == "y");
  }
}

TEST_CASE("canonicalize: batch_norm and pad fold into conv, keeping the numbers", "[passes][numeric][canonicalize]") {
  const uint32_t seed = freshSeed("conv folds");
  INFO(test::describeSeed(seed));
  std::mt19937 rng(seed);
  for (bool withBias : {false, true}) {
    ir::Graph graph;
    ir::Value* x = graph.addInput("x", ir::TensorType::f32({2, 3, 7, 7}));
    ir::Node* pad = graph.addNode(ir::OpKind::Pad, {x}, {ir::TensorType::f32({2, 3, 10, 9})},
                                  {{"pads", std::vector<int64_t>{0, 0, 1, 2, 0, 0, 2, 0}}});
    std::vector<ir::Value*> convOperands = {pad->result(), randomConst(graph, {4, 3, 3, 3}, rng)};
    if (withBias) convOperands.push_back(randomConst(graph, {4}, rng));
    ir::Node* conv = graph.addNode(ir::OpKind::Conv2d, convOperands, {ir::TensorType::f32({2, 4, 9, 8})},
                                   {{"pads", std::vector<int64_t>{1, 0, 0, 1}}});
    ir::Node* bn = graph.addNode(ir::OpKind::BatchNorm,
                                 {conv->result(), randomConst(graph, {4}, rng), randomConst(graph, {4}, rng),
                                  randomConst(graph, {4}, rng), randomConst(graph, {4}, rng, 0.5f, 2.0f)},
                                 {ir::TensorType::f32({2, 4, 9, 8})}, {{"epsilon", 1e-3}}, {"y"});
    graph.outputs.push_back(bn->result());
    INFO("bias " << withBias);
    requireSameOutputs(graph, "canonicalize", "conv folds");
    auto after = optimized(graph, "canonicalize");
    CHECK(countOps(*after, ir::OpKind::BatchNorm) == 0);
    CHECK(countOps(*after, ir::OpKind::Pad) == 0);
    CHECK(countOps(*after, ir::OpKind::Const) == 2);  // new weights and bias only
    CHECK(after->outputs[0]->name == "y");
  }
}
