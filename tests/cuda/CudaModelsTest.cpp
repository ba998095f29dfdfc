// Every ONNX model in tests/models after the -O2 pipeline on the cuda
// backend, without a GPU: (1) its CUDA source compiles with NVRTC for sm_90
// with neither errors nor warnings; (2) the same source, compiled for the
// host and run by the emulated driver, matches the reference interpreter
// and the model's ONNX test data.
#include <sstream>

#include "backends/common/BufferAssignment.h"
#include "backends/cuda/ModelRenderer.h"
#include "backends/cuda/NvrtcCompiler.h"
#include "frontend/onnx/OnnxImporter.h"
#include "passes/PipelineOptions.h"
#include "runtime/TensorIO.h"
#include "tests/cuda/CudaTestUtil.h"

using namespace nutshell;
using namespace nutshell::cudatest;

namespace {

const char* kModels[] = {"logreg",      "mlp",         "maxout",  "lenet5",
                         "trafficsign", "inception3a", "bigconv", "lstm"};

std::string modelDir(const std::string& name) {
  return std::string(NUTSHELL_TEST_DATA_DIR) + "/models/" + name;
}

/// The model imported, bound to `shape` for its first input (or batch 1),
/// through -O2.
std::unique_ptr<ir::Graph> optimizedModel(const std::string& name, std::vector<int64_t> shape = {}) {
  auto imported = onnx::importOnnxFile(modelDir(name) + "/model.onnx");
  INFO((imported ? std::string() : imported.message()));
  REQUIRE(imported.ok());
  std::unique_ptr<ir::Graph> g = (*imported)->clone();
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const ir::Value* input : g->inputs) {
    std::vector<int64_t> s;
    for (const ir::Dim& d : input->type.dims) s.push_back(d.isStatic() ? d.size : 1);
    shapes[input->name] = input == g->inputs[0] && !shape.empty() ? shape : s;
  }
  REQUIRE(ir::bindInputShapes(*g, shapes).ok());
  passes::PipelineOptions options;
  options.optLevel = 2;
  std::ostringstream dumps;
  Status status = passes::runPipeline(*g, options, dumps);
  INFO("-O2 pipeline: " << (status ? std::string() : status.message()));
  REQUIRE(status.ok());
  return g;
}

}  // namespace

TEST_CASE("cuda: every model's CUDA source compiles with NVRTC for sm_90, no warnings",
          "[cuda-nvrtc][models]") {
  for (const char* name : kModels) {
    INFO("model " << name);
    auto graph = optimizedModel(name);
    std::unique_ptr<ir::Graph> planned;
    auto withPlan = common::withMemoryPlan(*graph, planned);
    REQUIRE(withPlan.ok());
    auto rendered = cuda::renderModel(**withPlan);
    INFO((rendered ? std::string() : rendered.message()));
    REQUIRE(rendered.ok());
    CHECK(!rendered->plan.launches.empty());
    cuda::NvrtcOptions options;
    options.fastCompile = true;  // --Ofast-compile=max: tests only
    auto compiled = cuda::compileWithNvrtc(rendered->source, std::string(name) + ".cu", options);
    INFO((compiled ? std::string() : compiled.message()));
    REQUIRE(compiled.ok());
    INFO("NVRTC log: " << compiled->log);
    CHECK(compiled->log.empty());
    CHECK(compiled->cubin.size() > 0);
  }
}

TEST_CASE("cuda: NVRTC produces PTX beside the cubin when asked", "[cuda-nvrtc]") {
  cuda::NvrtcOptions options;
  options.fastCompile = true;
  options.ptx = true;
  auto compiled = cuda::compileWithNvrtc(
      "extern \"C\" __global__ void twice(float* y, const float* x) { y[threadIdx.x] = 2.0f * "
      "x[threadIdx.x]; }\n",
      "twice.cu", options);
  INFO((compiled ? std::string() : compiled.message()));
  REQUIRE(compiled.ok());
  CHECK(compiled->ptx.find(".entry twice") != std::string::npos);
  CHECK(!compiled->cubin.empty());
}

TEST_CASE("cuda: NVRTC reports a compile error with its log", "[cuda-nvrtc]") {
  auto compiled = cuda::compileWithNvrtc("extern \"C\" __global__ void broken() { undefined_name = 1; }\n",
                                         "broken.cu", {});
  REQUIRE_FALSE(compiled.ok());
  CHECK(compiled.message().find("NVRTC could not compile broken.cu") != std::string::npos);
  CHECK(compiled.message().find("undefined_name") != std::string::npos);
}

TEST_CASE("cuda: --gpu-arch names are checked against NVRTC", "[cuda-nvrtc]") {
  CHECK(*cuda::normalizeGpuArch("90") == "sm_90");
  CHECK(*cuda::normalizeGpuArch("sm_80") == "sm_80");
  auto bad = cuda::normalizeGpuArch("sm_12");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("does not support sm_12") != std::string::npos);
  CHECK_FALSE(cuda::normalizeGpuArch("volta").ok());
}

TEST_CASE("cuda (emulated): every model matches the reference after -O2", "[cuda-emulated][models]") {
  auto rng = makeRng("cuda-models");
  for (const char* name : kModels) {
    INFO("model " << name);
    auto graph = optimizedModel(name);
    TensorMap inputs;
    for (const ir::Value* input : graph->inputs)
      inputs[input->name] = randomTensor(input->type.shape(), rng, -1.f, 1.f);
    // The cuda backend runs every convolution direct (its summary says so),
    // so it holds the direct tolerance even where -O2 chose FFT or Winograd.
    checkAgainstReference(*graph, inputs, kRtol, kAtol);
  }
}

TEST_CASE("cuda (emulated): every model reproduces its ONNX test data", "[cuda-emulated][models]") {
  for (const char* name : kModels) {
    INFO("model " << name);
    auto input = readTensorFile(modelDir(name) + "/test_data_set_0/input_0.pb");
    auto expected = readTensorFile(modelDir(name) + "/test_data_set_0/output_0.pb");
    REQUIRE(input.ok());
    REQUIRE(expected.ok());
    auto graph = optimizedModel(name, input->tensor.shape());
    auto compiled = compileEmulated(*graph);
    INFO((compiled ? std::string() : compiled.message()));
    REQUIRE(compiled.ok());
    TensorMap inputs;
    inputs[graph->inputs[0]->name] = input->tensor;
    auto outputs = compiled->executable->run(inputs);
    INFO((outputs ? std::string() : outputs.message()));
    REQUIRE(outputs.ok());
    std::string diff = compareTensors(outputs->at(graph->outputs[0]->name), expected->tensor, kRtol, kAtol);
    INFO(diff);
    CHECK(diff.empty());
  }
}
