// [cuda]: the cuda backend on a real GPU. Where the driver cannot be opened
// (no GPU, no driver, the toolkit's stub) each case says so and skips:
// CI stays green, and a run on a GPU machine shows these as real checks.
#include "runtime/CudaDriver.h"
#include "tests/cuda/CudaTestUtil.h"

using namespace nutshell;
using namespace nutshell::cudatest;
using ir::OpKind;
using Ints = std::vector<int64_t>;

namespace {

/// True when a real driver is present; otherwise warns that the case skips.
bool haveGpu() {
  auto driver = cuda::CudaDriver::load();
  if (!driver) WARN("skipped (needs a GPU): " << driver.message());
  return driver.ok();
}

}  // namespace

TEST_CASE("cuda (device): a conv, dense and softmax graph matches the reference on the GPU", "[cuda]") {
  if (!haveGpu()) return;
  auto rng = makeRng("cuda-device");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 3, 12, 12}));
  ir::Value* conv = op(g, OpKind::FusedConv2d,
                       {x, constant(g, randomData({8, 3, 3, 3}, rng)), constant(g, randomData({8}, rng))},
                       {{"pads", Ints{1, 1, 1, 1}},
                        {"act", std::string("relu")},
                        {"pool", std::string("max")},
                        {"pool_kernel", Ints{2, 2}},
                        {"pool_strides", Ints{2, 2}}});
  ir::Value* flat = op(g, OpKind::Flatten, {conv});
  ir::Value* dense =
      op(g, OpKind::Dense,
         {flat, constant(g, randomData({8 * 6 * 6, 10}, rng)), constant(g, randomData({10}, rng))});
  g.outputs.push_back(op(g, OpKind::Softmax, {dense}));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 3, 12, 12}, rng);
  auto expected = reference::runGraph(g, inputs);
  REQUIRE(expected.ok());
  auto backend = createBackend("cuda");
  REQUIRE(backend.ok());
  auto compiled = (*backend)->compile(g, BackendOptions{});
  INFO((compiled ? std::string() : compiled.message()));
  REQUIRE(compiled.ok());
  for (int run = 0; run < 3; ++run) {  // eager, then CUDA graph replays
    auto outputs = compiled->executable->run(inputs);
    INFO("run " << run << ": " << (outputs ? std::string() : outputs.message()));
    REQUIRE(outputs.ok());
    for (const auto& [name, want] : *expected) {
      std::string diff = compareTensors(outputs->at(name), want);
      INFO(diff);
      CHECK(diff.empty());
    }
  }
}
