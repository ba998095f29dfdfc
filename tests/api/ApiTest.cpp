// The host API: compileModel from files and graphs, clear input errors,
// symbolic batch sizes, backend choice.
#include <catch2/catch.hpp>

#include "backends/BackendRegistry.h"
#include "examples/Networks.h"
#include "ir/ShapeInference.h"
#include "nutshell/nutshell.h"

using namespace nutshell;

namespace {
std::string model(const std::string& name) { return std::string(NUTSHELL_TEST_DATA_DIR) + "/models/" + name + "/model.onnx"; }

Tensor ones(std::vector<int64_t> shape) {
  Tensor t(ElementType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i) t.f32()[i] = 0.25f;
  return t;
}
}  // namespace

TEST_CASE("api: compile an ONNX file and run it on cpu and reference", "[api]") {
  auto cpuModel = compileModel(model("lenet5"), {.backend = "cpu", .threads = 2, .inputShapes = {{"x", {1, 1, 28, 28}}}});
  INFO((cpuModel ? std::string() : cpuModel.message()));
  REQUIRE(cpuModel.ok());
  auto refModel = compileModel(model("lenet5"), {.backend = "reference", .inputShapes = {{"x", {1, 1, 28, 28}}}});
  REQUIRE(refModel.ok());
  REQUIRE((*cpuModel)->inputs().size() == 1);
  CHECK((*cpuModel)->inputs()[0].shape == std::vector<int64_t>{1, 1, 28, 28});
  auto a = (*cpuModel)->run({{"x", ones({1, 1, 28, 28})}});
  auto b = (*refModel)->run({{"x", ones({1, 1, 28, 28})}});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const Tensor& ya = a->begin()->second;
  const Tensor& yb = b->begin()->second;
  REQUIRE(ya.shape() == std::vector<int64_t>{1, 10});
  for (int i = 0; i < 10; ++i) CHECK(ya.f32()[i] == Approx(yb.f32()[i]).epsilon(1e-4).margin(1e-5));
}

TEST_CASE("api: wrong input names, shapes and dtypes are clear errors", "[api]") {
  auto m = compileModel(model("mlp"), {.inputShapes = {{"x", {2, 1, 28, 28}}}});
  REQUIRE(m.ok());
  auto wrongName = (*m)->run({{"image", ones({2, 1, 28, 28})}});
  REQUIRE_FALSE(wrongName.ok());
  CHECK_THAT(wrongName.message(), Catch::Contains("'image' is not an input") && Catch::Contains("'x' f32[2,1,28,28]"));
  auto missing = (*m)->run({});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(), Catch::Contains("missing input 'x'"));
  auto wrongShape = (*m)->run({{"x", ones({2, 28, 28})}});
  REQUIRE_FALSE(wrongShape.ok());
  CHECK_THAT(wrongShape.message(), Catch::Contains("has shape [2,28,28]") && Catch::Contains("f32[2,1,28,28]"));
  auto wrongType = (*m)->run({{"x", Tensor(ElementType::I64, {2, 1, 28, 28})}});
  REQUIRE_FALSE(wrongType.ok());
  CHECK_THAT(wrongType.message(), Catch::Contains("dtype i64"));
}

TEST_CASE("api: symbolic batch is compiled per input shape", "[api]") {
  auto m = compileModel(model("logreg"));
  REQUIRE(m.ok());
  CHECK((*m)->inputs()[0].shape[0] == -1);
  for (int64_t batch : {1, 3, 1}) {
    auto out = (*m)->run({{"x", ones({batch, 1, 28, 28})}});
    INFO((out ? std::string() : out.message()));
    REQUIRE(out.ok());
    CHECK(out->begin()->second.shape() == std::vector<int64_t>{batch, 10});
  }
}

TEST_CASE("api: compile a GraphBuilder graph; bad options are errors", "[api]") {
  auto graph = examples::trafficSign(1, 3);
  REQUIRE(graph.ok());
  auto m = compileModel(**graph, {.threads = 1});
  REQUIRE(m.ok());
  auto out = (*m)->run({{"x", ones({1, 3, 32, 32})}});
  REQUIRE(out.ok());
  CHECK(out->begin()->second.shape() == std::vector<int64_t>{1, 43});

  auto badBackend = compileModel(**graph, {.backend = "tpu"});
  REQUIRE_FALSE(badBackend.ok());
  CHECK_THAT(badBackend.message(), Catch::Contains("unknown backend 'tpu'"));
  auto noFile = compileModel("does-not-exist.onnx");
  REQUIRE_FALSE(noFile.ok());
  CHECK_THAT(noFile.message(), Catch::Contains("does-not-exist.onnx"));
  auto badCpu = compileModel(**graph, {.targetCpu = "not-a-cpu"});
  REQUIRE_FALSE(badCpu.ok());
  CHECK_THAT(badCpu.message(), Catch::Contains("not-a-cpu"));
}

TEST_CASE("api: optLevel is the tools' -O: 0 runs the minimal pipeline, others are errors", "[api]") {
  auto o0 =
      compileModel(model("lenet5"), {.threads = 1, .inputShapes = {{"x", {1, 1, 28, 28}}}, .optLevel = 0});
  INFO((o0 ? std::string() : o0.message()));
  REQUIRE(o0.ok());
  auto o2 =
      compileModel(model("lenet5"), {.threads = 1, .inputShapes = {{"x", {1, 1, 28, 28}}}, .optLevel = 2});
  REQUIRE(o2.ok());
  auto a = (*o0)->run({{"x", ones({1, 1, 28, 28})}});
  auto b = (*o2)->run({{"x", ones({1, 1, 28, 28})}});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  for (int i = 0; i < 10; ++i)
    CHECK(a->begin()->second.f32()[i] == Approx(b->begin()->second.f32()[i]).epsilon(1e-4).margin(1e-5));
  auto o1 = compileModel(model("lenet5"), {.inputShapes = {{"x", {1, 1, 28, 28}}}, .optLevel = 1});
  REQUIRE_FALSE(o1.ok());
  CHECK_THAT(o1.message(), Catch::Contains("-O1"));
}

TEST_CASE("api: backends describe their target for the cost model", "[api][target]") {
  auto reference = createBackend("reference");
  REQUIRE(reference.ok());
  Expected<TargetDescription> defaults = (*reference)->targetDescription({});
  REQUIRE(defaults.ok());
  CHECK(defaults->cores == 1);  // the reference machine's description
#ifdef NUTSHELL_HAVE_CPU_BACKEND
  auto cpu = createBackend("cpu");
  REQUIRE(cpu.ok());
  BackendOptions options;
  options.threads = 3;
  Expected<TargetDescription> host = (*cpu)->targetDescription(options);
  REQUIRE(host.ok());
  CHECK(host->cores == 3);  // priced for the threads that will run the code
  CHECK(host->l2Bytes > 0);
  options.settings["no-such-setting"] = "1";
  CHECK_FALSE((*cpu)->targetDescription(options).ok());
#endif
}

TEST_CASE("api: ahead-of-time code comes from the backend's emit entry", "[api][emit]") {
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 3}));
  ir::Node* relu = g.addNode(ir::OpKind::Relu, {x}, {ir::TensorType::f32({2, 3})});
  relu->results[0]->name = "y";
  g.outputs.push_back(relu->result());
  auto reference = createBackend("reference");
  REQUIRE(reference.ok());
  CHECK_THAT((*reference)->emit(g, {}, {}).message(),
             Catch::Contains("backend 'reference' does not compile ahead of time"));
#ifdef NUTSHELL_HAVE_CPU_BACKEND
  auto cpu = createBackend("cpu");
  REQUIRE(cpu.ok());
  EmitRequest request;
  request.prefix = "tiny";
  request.format = EmitFormat::IrText;
  // Uncached, so that the phases are those of a compile whatever the cache holds.
  Expected<EmitResult> emitted =
      (*cpu)->emit(g, {.cache = false}, request);  // unplanned: the backend plans it
  INFO((emitted ? std::string() : emitted.message()));
  REQUIRE(emitted.ok());
  CHECK_THAT(emitted->code, Catch::Contains("@tiny_run("));
  CHECK(emitted->entry.prefix == "tiny");
  CHECK(emitted->entry.signature == "(%x: f32[2,3]) -> (%y: f32[2,3])");
  REQUIRE(emitted->entry.outputs.size() == 1);
  CHECK(emitted->entry.outputs[0].shape == std::vector<int64_t>{2, 3});
  CHECK(emitted->kernels.size() == 1);
  for (const char* phase : {"codegen", "optimize", "emit"}) CHECK(emitted->phaseMs(phase) > 0);
  BackendOptions typo;
  typo.settings["target-cpus"] = "znver4";
  CHECK_THAT((*cpu)->emit(g, typo, request).message(), Catch::Contains("has no setting 'target-cpus'"));
#endif
}

TEST_CASE("api: bindings fix an input's value at compile time", "[api][bind]") {
  // reshape(x, shape) with the target shape a graph input, as ONNX node tests
  // feed it: bound, it folds and the input leaves the model.
  ir::Graph g;
  g.name = "reshape_by_input";
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 3}));
  ir::Value* shape = g.addInput("shape", ir::TensorType::i64({2}));
  ir::Node* reshape = g.addNode(ir::OpKind::Reshape, {x, shape}, {ir::TensorType()}, {}, {"y"});
  auto types = ir::inferResultTypes(*reshape);
  REQUIRE(types.ok());
  reshape->results[0]->type = (*types)[0];
  g.outputs.push_back(reshape->result());
  for (const char* backend : {"cpu", "reference"}) {
    INFO(backend);
    auto m = compileModel(
        g, {.backend = backend, .threads = 1, .bindings = {{"shape", Tensor::i64({2}, {3, 2})}}});
    INFO((m ? std::string() : m.message()));
    REQUIRE(m.ok());
    REQUIRE((*m)->inputs().size() == 1);
    CHECK((*m)->inputs()[0].name == "x");
    auto out = (*m)->run({{"x", Tensor::f32({2, 3}, {1, 2, 3, 4, 5, 6})}});
    INFO((out ? std::string() : out.message()));
    REQUIRE(out.ok());
    CHECK(out->at("y").shape() == std::vector<int64_t>{3, 2});
  }
  auto unknown = compileModel(g, {.bindings = {{"nonesuch", Tensor::i64({2}, {3, 2})}}});
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.message(), Catch::Contains("no input named 'nonesuch'"));
  auto wrongType = compileModel(g, {.bindings = {{"shape", Tensor::f32({2}, {3, 2})}}});
  REQUIRE_FALSE(wrongType.ok());
  CHECK_THAT(wrongType.message(),
             Catch::Contains("input 'shape' has type i64[2] but the value bound is f32[2]"));
}
