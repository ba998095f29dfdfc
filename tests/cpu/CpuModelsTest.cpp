// Whole networks on the CPU backend: every example network (GraphBuilder)
// and every ONNX model in tests/models, unoptimized and after the -O2
// pipeline, against the reference interpreter (fresh random inputs) and
// against the models' ONNX test data.
#include <filesystem>
#include <sstream>

#include "examples/Networks.h"
#include "frontend/onnx/OnnxImporter.h"
#include "passes/PipelineOptions.h"
#include "runtime/TensorIO.h"
#include "tests/cpu/CpuTestUtil.h"

using namespace nutshell;
using namespace nutshell::cputest;

namespace {

std::unique_ptr<ir::Graph> optimized(const ir::Graph& graph) {
  std::unique_ptr<ir::Graph> g = graph.clone();
  passes::PipelineOptions options;
  options.optLevel = 2;
  // NUTSHELL_TEST_CONV_ALGO=direct|im2col|fft|winograd forces one algorithm.
  if (const char* algo = std::getenv("NUTSHELL_TEST_CONV_ALGO")) options.convAlgo = algo;
  std::ostringstream dumps;
  Status status = passes::runPipeline(*g, options, dumps);
  INFO("-O2 pipeline: " << (status ? std::string() : status.message()));
  REQUIRE(status.ok());
  return g;
}

/// The comparison tolerance for a compiled graph: rtol 1e-4, atol 1e-5
/// (kRtol, kAtol) when every convolution runs direct or im2col (the same
/// products, summed in another order); rtol 1e-3 when any fused_conv2d runs
/// FFT or Winograd, whose transforms round differently from the direct sum.
/// atol is scaled by the same factor 10 (1e-4): their rounding error is
/// relative to the magnitude of the transformed tiles, not of the output, so
/// it does not vanish for outputs near zero.
struct ModelTolerance {
  double rtol = kRtol;
  double atol = kAtol;
};

ModelTolerance toleranceFor(const ir::Graph& graph) {
  for (const auto& node : graph.nodes()) {
    if (node->op != ir::OpKind::FusedConv2d) continue;
    std::string algo = node->getString("algo");
    if (algo == "fft" || algo == "winograd") return {1e-3, 1e-4};
  }
  return {};
}

/// Binds every symbolic dim of every input to `batch`.
std::unique_ptr<ir::Graph> withBatch(const ir::Graph& graph, int64_t batch) {
  std::unique_ptr<ir::Graph> g = graph.clone();
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const ir::Value* input : g->inputs) {
    std::vector<int64_t> shape;
    for (const ir::Dim& d : input->type.dims) shape.push_back(d.isStatic() ? d.size : batch);
    shapes[input->name] = shape;
  }
  Status status = ir::bindInputShapes(*g, shapes);
  INFO(status.message());
  REQUIRE(status.ok());
  return g;
}

TensorMap randomInputs(const ir::Graph& g, std::mt19937_64& rng) {
  TensorMap inputs;
  for (const ir::Value* input : g.inputs) inputs[input->name] = randomTensor(input->type.shape(), rng, -1.f, 1.f);
  return inputs;
}

const char* kModels[] = {"logreg", "mlp", "maxout", "lenet5", "trafficsign", "inception3a", "bigconv", "lstm"};

std::string modelDir(const std::string& name) { return std::string(NUTSHELL_TEST_DATA_DIR) + "/models/" + name; }

}  // namespace

TEST_CASE("cpu: example networks match the reference, with and without -O2", "[cpu][models]") {
  auto rng = makeRng("examples");
  for (const examples::ExampleNetwork& net : examples::allExampleNetworks()) {
    for (int64_t batch : {1, 3}) {
      INFO("network " << net.name << " batch " << batch);
      auto built = net.build(batch, 7);
      INFO((built ? std::string() : built.message()));
      REQUIRE(built.ok());
      TensorMap inputs = randomInputs(**built, rng);
      {
        INFO("unoptimized");
        checkAgainstReference(**built, inputs);
      }
      INFO("after -O2");
      auto opt = optimized(**built);
      ModelTolerance tol = toleranceFor(*opt);
      INFO("rtol " << tol.rtol << " atol " << tol.atol);
      checkAgainstReference(*opt, inputs, tol.rtol, tol.atol);
    }
  }
}

TEST_CASE("cpu: ONNX models match the reference, with and without -O2", "[cpu][models][onnx]") {
  auto rng = makeRng("onnx");
  for (const char* name : kModels) {
    INFO("model " << name);
    auto imported = onnx::importOnnxFile(modelDir(name) + "/model.onnx");
    INFO((imported ? std::string() : imported.message()));
    REQUIRE(imported.ok());
    auto graph = withBatch(**imported, 1);
    TensorMap inputs = randomInputs(*graph, rng);
    {
      INFO("unoptimized");
      checkAgainstReference(*graph, inputs);
    }
    INFO("after -O2");
    auto opt = optimized(*graph);
    ModelTolerance tol = toleranceFor(*opt);
    INFO("rtol " << tol.rtol << " atol " << tol.atol);
    checkAgainstReference(*opt, inputs, tol.rtol, tol.atol);
  }
}

TEST_CASE("cpu: ONNX models reproduce their test data (batch 2, -O2)", "[cpu][models][onnx]") {
  for (const char* name : kModels) {
    INFO("model " << name);
    auto imported = onnx::importOnnxFile(modelDir(name) + "/model.onnx");
    REQUIRE(imported.ok());
    auto input = readTensorFile(modelDir(name) + "/test_data_set_0/input_0.pb");
    auto expected = readTensorFile(modelDir(name) + "/test_data_set_0/output_0.pb");
    REQUIRE(input.ok());
    REQUIRE(expected.ok());
    std::map<std::string, std::vector<int64_t>> shapes{{(*imported)->inputs[0]->name, input->tensor.shape()}};
    std::unique_ptr<ir::Graph> graph = (*imported)->clone();
    REQUIRE(ir::bindInputShapes(*graph, shapes).ok());
    for (bool optimize : {false, true}) {
      auto g = optimize ? optimized(*graph) : graph->clone();
      TensorMap inputs;
      inputs[g->inputs[0]->name] = input->tensor;
      auto outputs = runCpu(*g, inputs, 2);
      INFO("optimize " << optimize << ": " << (outputs ? std::string() : outputs.message()));
      REQUIRE(outputs.ok());
      ModelTolerance tol = toleranceFor(*g);
      std::string diff = compareTensors(outputs->at(g->outputs[0]->name), expected->tensor, tol.rtol, tol.atol);
      INFO("rtol " << tol.rtol << " atol " << tol.atol);
      INFO(diff);
      CHECK(diff.empty());
    }
  }
}
