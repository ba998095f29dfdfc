// Running on device buffers (backends/Backend.h): the backend under test and
// the reference backend (the seam's default path through host maps) give the
// results run() gives, into the caller's buffers, and refuse wrong buffers.
#include "tests/cpu/CpuTestUtil.h"

using namespace nutshell;
using namespace nutshell::cputest;
using ir::OpKind;

namespace {

/// relu(x) + bias and the sigmoid of it; symbolic batch.
std::unique_ptr<ir::Graph> smallGraph(std::mt19937_64& rng) {
  auto g = std::make_unique<ir::Graph>();
  ir::Value* x = g->addInput("x", ir::TensorType(ir::DType::F32, {ir::Dim::symbolic("N"), ir::Dim(5)}));
  ir::Value* y = op(*g, OpKind::Add, {op(*g, OpKind::Relu, {x}), g->addConstant(randomData({5}, rng))});
  g->outputs.push_back(y);
  g->outputs.push_back(op(*g, OpKind::Sigmoid, {y}));
  return g;
}

}  // namespace

TEST_CASE("device buffers: runBuffers writes run()'s results into the caller's buffers", "[cpu][buffers]") {
  auto rng = makeRng("device-buffers");
  auto graph = smallGraph(rng);
  for (std::string backendName : {backendUnderTestName(), std::string("reference")}) {
    INFO("backend " << backendName);
    auto backend = createBackend(backendName);
    REQUIRE(backend.ok());
    auto compiled = (*backend)->compile(*graph, {});
    INFO((compiled ? std::string() : compiled.message()));
    REQUIRE(compiled.ok());
    Executable& exe = *compiled->executable;
    for (int64_t batch : {3, 7}) {
      Tensor x = randomTensor({batch, 5}, rng);
      auto expected = exe.run({{"x", x}});
      REQUIRE(expected.ok());

      auto in = exe.allocateBuffer(ElementType::F32, {batch, 5});
      auto out0 = exe.allocateBuffer(ElementType::F32, {batch, 5});
      auto out1 = exe.allocateBuffer(ElementType::F32, {batch, 5});
      REQUIRE((in.ok() && out0.ok() && out1.ok()));
      REQUIRE((*in)->upload(x).ok());
      std::string names[2] = {graph->outputs[0]->name, graph->outputs[1]->name};
      BufferMap outputs{{names[0], out0->get()}, {names[1], out1->get()}};
      Status ran = exe.runBuffers({{"x", in->get()}}, outputs);
      INFO(ran.message());
      REQUIRE(ran.ok());
      for (int j = 0; j < 2; ++j) {
        auto got = outputs.at(names[j])->download();
        REQUIRE(got.ok());
        CHECK(bitwiseEqual(*got, expected->at(names[j])));
      }
      if (auto* host = dynamic_cast<HostBuffer*>(out0->get()))  // written in place, not replaced
        CHECK(host->tensor().shape() == std::vector<int64_t>{batch, 5});

      // Wrong buffers are errors that name them.
      auto small = exe.allocateBuffer(ElementType::F32, {batch, 4});
      REQUIRE(small.ok());
      CHECK_THAT(
          exe.runBuffers({{"x", in->get()}}, {{names[0], small->get()}, {names[1], out1->get()}}).message(),
          Catch::Contains("output buffer '" + names[0] + "' is f32[" + std::to_string(batch) + ",4]"));
      CHECK_THAT(exe.runBuffers({{"x", in->get()}}, {{names[0], out0->get()}}).message(),
                 Catch::Contains("missing output buffer '" + names[1] + "'"));
      CHECK_THAT(
          exe.runBuffers({{"x", in->get()}}, {{names[0], in->get()}, {names[1], out1->get()}}).message(),
          Catch::Contains("is also given as another input or output"));
      CHECK_THAT(exe.runBuffers({{"q", in->get()}}, outputs).message(),
                 Catch::Contains("'q' is not an input of the model"));
    }
  }
}
