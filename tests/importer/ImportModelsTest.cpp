// Every reference model in tests/models imports, verifies and has the
// expected ops, with the batch dim symbolic and bound.
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <set>

#include "ir/Verifier.h"
#include "tests/importer/OnnxTestUtil.h"

using namespace nutshell;
namespace importer = nutshell::onnx;
using nutshell::test::modelPath;
using nutshell::test::opCounts;

namespace {

struct ModelCase {
  std::string name;
  std::vector<int64_t> boundShape;  // x with N=2
  std::string outputBound;          // output type with N=2
  std::map<std::string, int> ops;
  // Ops with the batch bound, where shape computations fold at import (empty: `ops`).
  std::map<std::string, int> boundOps = {};
};

const std::vector<ModelCase>& modelCases() {
  static const std::vector<ModelCase> cases = {
      {"bigconv",
       {2, 32, 64, 64},
       "f32[2,32,32,32]",
       {{"const", 2}, {"conv2d", 1}, {"relu", 1}, {"max_pool2d", 1}}},
      {"inception3a",
       {2, 192, 28, 28},
       "f32[2,256,28,28]",
       {{"const", 12}, {"conv2d", 6}, {"relu", 6}, {"max_pool2d", 1}, {"concat", 1}}},
      {"lenet5",
       {2, 1, 28, 28},
       "f32[2,10]",
       // Pad's pads come from Constant nodes and are folded into attributes.
       {{"const", 10},
        {"conv2d", 2},
        {"tanh", 4},
        {"pad", 2},
        {"avg_pool2d", 2},
        {"flatten", 1},
        {"dense", 3}}},
      {"logreg", {2, 1, 28, 28}, "f32[2,10]", {{"const", 2}, {"flatten", 1}, {"dense", 1}, {"softmax", 1}}},
      {"lstm",
       {16, 2, 32},
       "f32[2,10]",
       {{"const", 9},
        {"shape", 1},
        {"gather", 2},
        {"unsqueeze", 1},
        {"concat", 1},
        {"constant_of_shape", 1},
        {"lstm", 1},
        {"squeeze", 1},
        {"dense", 1}}},
      {"maxout",
       {2, 1, 28, 28},
       "f32[2,10]",
       {{"const", 12},
        {"flatten", 1},
        {"dense", 3},
        {"shape", 2},
        {"gather", 2},
        {"unsqueeze", 2},
        {"concat", 2},
        {"reshape", 2},
        {"reduce_max", 2}},
       // The reshape targets fold to `shape` attributes: the shape/gather/unsqueeze/concat go.
       {{"const", 6}, {"flatten", 1}, {"dense", 3}, {"reshape", 2}, {"reduce_max", 2}}},
      {"mlp", {2, 1, 28, 28}, "f32[2,10]", {{"const", 6}, {"flatten", 1}, {"dense", 3}, {"relu", 2}}},
      {"trafficsign",
       {2, 3, 32, 32},
       "f32[2,43]",
       {{"const", 6}, {"conv2d", 2}, {"relu", 2}, {"max_pool2d", 2}, {"flatten", 1}, {"dense", 1}}},
  };
  return cases;
}

}  // namespace

TEST_CASE("every test model imports with a symbolic batch", "[importer][models]") {
  for (const ModelCase& mc : modelCases()) {
    INFO("model " << mc.name);
    auto graph = importer::importOnnxFile(modelPath(mc.name));
    INFO((graph ? std::string() : graph.message()));
    REQUIRE(graph);
    auto& g = **graph;
    CHECK(g.name == mc.name);
    CHECK(ir::verifyGraph(g).ok());
    CHECK(opCounts(g) == mc.ops);
    REQUIRE(g.inputs.size() == 1);
    CHECK(g.inputs[0]->name == "x");
    REQUIRE(g.outputs.size() == 1);
    CHECK(g.outputs[0]->name == "y");
    // The batch stays a symbol: nothing bound it.
    CHECK_FALSE(g.inputs[0]->type.isStatic());
  }
}

TEST_CASE("every test model imports with the batch bound to 2", "[importer][models]") {
  for (const ModelCase& mc : modelCases()) {
    INFO("model " << mc.name);
    importer::ImportOptions options;
    options.inputShapes["x"] = mc.boundShape;
    auto graph = importer::importOnnxFile(modelPath(mc.name), options);
    INFO((graph ? std::string() : graph.message()));
    REQUIRE(graph);
    auto& g = **graph;
    CHECK(ir::verifyGraph(g).ok());
    CHECK(opCounts(g) == (mc.boundOps.empty() ? mc.ops : mc.boundOps));
    CHECK(g.inputs[0]->type == ir::TensorType::f32(mc.boundShape));
    CHECK(g.outputs[0]->type.str() == mc.outputBound);
    // Bound shapes make every value's type concrete, shape sub-graphs included.
    for (const auto& node : g.nodes())
      for (const ir::Value* v : node->results) {
        INFO("value %" << v->name << " : " << v->type.str());
        CHECK(v->type.isStatic());
      }
  }
}

TEST_CASE("value names come from the ONNX tensor names", "[importer][models]") {
  auto graph = importer::importOnnxFile(modelPath("lenet5"));
  REQUIRE(graph);
  std::set<std::string> names;
  for (const auto& node : (*graph)->nodes())
    for (const ir::Value* v : node->results) names.insert(v->name);
  CHECK(names.count("/0/Conv_output_0"));
  CHECK(names.count("0.weight"));
  CHECK(names.count("7.weight"));  // the transposed dense weight keeps the initializer's name
  CHECK(names.count("y"));
}

TEST_CASE("Gemm with transB=1 and constant weights becomes dense with a K-major weight",
          "[importer][models]") {
  auto graph = importer::importOnnxFile(modelPath("logreg"));
  REQUIRE(graph);
  const ir::Node* dense = test::findOp(**graph, ir::OpKind::Dense);
  REQUIRE(dense);
  const ir::Node* w = dense->operands[1]->producer;
  REQUIRE(w);
  REQUIRE(w->op == ir::OpKind::Const);
  CHECK(w->constant->type == ir::TensorType::f32({784, 10}));
  // Compare against the ONNX weight [10,784]: w[k][n] == onnx[n][k].
  auto model = test::loadModel("logreg");
  const ::onnx::TensorProto* onnxW = nullptr;
  for (const auto& t : model.graph().initializer())
    if (t.dims_size() == 2) onnxW = &t;
  REQUIRE(onnxW);
  std::vector<float> src(size_t(10 * 784));
  REQUIRE(onnxW->raw_data().size() == src.size() * 4);
  std::memcpy(src.data(), onnxW->raw_data().data(), onnxW->raw_data().size());
  for (int k : {0, 5, 783})
    for (int n : {0, 3, 9}) CHECK(w->constant->f32[size_t(k * 10 + n)] == src[size_t(n * 784 + k)]);
}

TEST_CASE("LSTM with a symbolic batch keeps its zero-state sub-graph", "[importer][models]") {
  auto graph = importer::importOnnxFile(modelPath("lstm"));
  REQUIRE(graph);
  const ir::Node* lstm = test::findOp(**graph, ir::OpKind::Lstm);
  REQUIRE(lstm);
  CHECK(lstm->operands.size() == 6);
  CHECK(lstm->getInt("hidden_size") == 64);
  CHECK(lstm->operands[4]->producer->op == ir::OpKind::ConstantOfShape);
}

TEST_CASE("importing a missing file names it", "[importer][errors]") {
  auto graph = importer::importOnnxFile(std::string(NUTSHELL_TEST_DATA_DIR) + "/models/nope/model.onnx");
  REQUIRE_FALSE(graph);
  CHECK_THAT(graph.message(), Catch::Contains("no such file") && Catch::Contains("nope/model.onnx"));
}

TEST_CASE("bound input shapes must name an input with the right rank", "[importer][errors]") {
  importer::ImportOptions options;
  options.inputShapes["z"] = {1, 2};
  auto graph = importer::importOnnxFile(modelPath("mlp"), options);
  REQUIRE_FALSE(graph);
  CHECK_THAT(graph.message(), Catch::Contains("'z', which is not a graph input (inputs: x)"));

  options.inputShapes.clear();
  options.inputShapes["x"] = {2, 784};
  graph = importer::importOnnxFile(modelPath("mlp"), options);
  REQUIRE_FALSE(graph);
  CHECK_THAT(graph.message(), Catch::Contains("rank 2, the model declares rank 4"));

  options.inputShapes["x"] = {2, 3, 28, 28};
  graph = importer::importOnnxFile(modelPath("mlp"), options);
  REQUIRE_FALSE(graph);
  CHECK_THAT(graph.message(), Catch::Contains("dim 1 is 3 but the model fixes it to 1"));
}

TEST_CASE("every ONNX node test imports or is declined with a message", "[importer][node-tests]") {
  const std::filesystem::path dir = NUTSHELL_ONNX_NODE_TESTS_DIR;
  if (!std::filesystem::exists(dir)) {
    WARN("ONNX node tests not installed at " << dir.string());
    return;
  }
  int imported = 0, declined = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto model = entry.path() / "model.onnx";
    if (!std::filesystem::exists(model)) continue;
    auto graph = importer::importOnnxFile(model.string());
    INFO(model.string() << ": " << (graph ? std::string("ok") : graph.message()));
    if (graph) {
      ++imported;
      CHECK(ir::verifyGraph(**graph).ok());
    } else {
      ++declined;
      CHECK_FALSE(graph.message().empty());
    }
  }
  INFO(imported << " imported, " << declined << " declined");
  CHECK(imported >= 150);
}
