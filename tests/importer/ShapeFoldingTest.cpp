// Shape computations fold at import once the input shapes are bound: the
// chunk pattern (Shape -> Gather -> Add -> Div -> Mul -> Slice) imports as two
// plain slices, and runs on the reference interpreter and the CPU backend.
// Imports that build helper nodes (GroupNormalization's per-channel scale,
// opset-11 Softmax's flatten/reshape) are checked numerically the same way.
#include <cmath>

#include <catch2/catch.hpp>

#include "tests/cpu/CpuTestUtil.h"
#include "tests/importer/ShapeFoldingModels.h"

using namespace nutshell;

TEST_CASE("chunk(2) with bound input shapes folds to constant slices", "[importer][fold]") {
  nutshell::onnx::ImportOptions options;
  options.inputShapes["x"] = {3, 7};  // odd: the first chunk takes ceil(7 / 2) = 4 columns
  auto g = test::chunkModel().import(options);
  INFO((g ? std::string() : g.message()));
  REQUIRE(g);
  const ir::Graph& graph = **g;
  // Only the slices are left: the shape chain folded and was erased.
  CHECK(test::opCounts(graph) == std::map<std::string, int>{{"slice", 2}});
  REQUIRE(graph.outputs.size() == 2);
  CHECK(graph.outputs[0]->type == ir::TensorType::f32({3, 4}));
  CHECK(graph.outputs[1]->type == ir::TensorType::f32({3, 3}));
  CHECK(graph.outputs[1]->producer->getInts("starts") == std::vector<int64_t>{4});
  CHECK(graph.outputs[1]->producer->getInts("ends") == std::vector<int64_t>{8});

  auto rng = cputest::makeRng("chunk(2) with bound input shapes");
  TensorMap inputs{{"x", cputest::randomTensor({3, 7}, rng)}};
  const Tensor& x = inputs.at("x");
  auto reference = reference::runGraph(graph, inputs);
  INFO((reference ? std::string() : reference.message()));
  REQUIRE(reference);
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 7; ++c) {
      const Tensor& part = reference->at(c < 4 ? "y0" : "y1");
      const int64_t width = c < 4 ? 4 : 3;
      CHECK(part.f32()[r * width + (c < 4 ? c : c - 4)] == x.f32()[r * 7 + c]);
    }
  cputest::checkAgainstReference(graph, inputs);
}

TEST_CASE("a static dim folds without binding the symbolic ones", "[importer][fold]") {
  // gather(shape(x), 1) needs only dim 1 of x: a symbolic batch does not matter.
  auto model = test::chunkModel();
  auto* dims = model.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->mutable_dim(1)->set_dim_value(6);
  auto g = model.import();
  INFO((g ? std::string() : g.message()));
  REQUIRE(g);
  CHECK(test::countOp(**g, ir::OpKind::Shape) == 0);
  CHECK((*g)->outputs[0]->type.str() == "f32[N,3]");
  CHECK((*g)->outputs[1]->type.str() == "f32[N,3]");
}

TEST_CASE("GroupNormalization's per-group scale and bias repeat per channel", "[importer][fold]") {
  // Opset 18: scale and bias have one value per group; the importer repeats
  // them for the group's channels (unsqueeze, expand, reshape of constants).
  test::ModelBuilder mb(18);
  mb.input("x", {2, 6, 3}).output("y");
  mb.initF32("scale", {3}, {1.0f, 2.0f, -0.5f});
  mb.initF32("bias", {3}, {0.0f, 1.0f, 0.25f});
  auto& n = mb.node("GroupNormalization", {"x", "scale", "bias"}, {"y"});
  test::setInt(n, "num_groups", 3);
  test::setFloat(n, "epsilon", 1e-3f);
  auto g = mb.import();
  INFO((g ? std::string() : g.message()));
  REQUIRE(g);
  const ir::Graph& graph = **g;
  auto rng = cputest::makeRng("group norm per-group scale");
  TensorMap inputs{{"x", cputest::randomTensor({2, 6, 3}, rng)}};
  auto reference = reference::runGraph(graph, inputs);
  INFO((reference ? std::string() : reference.message()));
  REQUIRE(reference);
  // Each (sample, group) block is 2 channels x 3 = 6 contiguous values.
  const float* x = inputs.at("x").f32();
  const float* y = reference->at("y").f32();
  const float scale[] = {1.0f, 2.0f, -0.5f}, bias[] = {0.0f, 1.0f, 0.25f};
  for (int64_t block = 0; block < 6; ++block) {
    const float* px = x + block * 6;
    double mean = 0, var = 0;
    for (int i = 0; i < 6; ++i) mean += px[i] / 6.0;
    for (int i = 0; i < 6; ++i) var += (px[i] - mean) * (px[i] - mean) / 6.0;
    const int64_t group = block % 3;
    for (int i = 0; i < 6; ++i)
      CHECK(y[block * 6 + i] ==
            Approx((px[i] - mean) / std::sqrt(var + 1e-3) * scale[group] + bias[group]).margin(1e-5));
  }
  cputest::checkAgainstReference(graph, inputs);
}

TEST_CASE("Softmax at opset 11 over a middle axis runs on the CPU backend", "[importer][fold]") {
  // Opset < 13 coerces to 2-D at the axis: flatten, softmax(axis=1), reshape.
  for (int64_t opset : {11, 13}) {
    INFO("opset " << opset);
    test::ModelBuilder mb(opset);
    mb.input("x", {2, 3, 5}).output("y");
    test::setInt(mb.node("LogSoftmax", {"x"}, {"y"}), "axis", 1);
    auto g = mb.import();
    INFO((g ? std::string() : g.message()));
    REQUIRE(g);
    auto rng = cputest::makeRng("softmax opset " + std::to_string(opset));
    TensorMap inputs{{"x", cputest::randomTensor({2, 3, 5}, rng)}};
    auto reference = reference::runGraph(**g, inputs);
    REQUIRE(reference);
    // Opset 11 normalises each sample over its 15 values, opset 13 over the 3 of axis 1.
    const float* x = inputs.at("x").f32();
    const float* y = reference->at("y").f32();
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t k = 0; k < (opset == 11 ? 1 : 5); ++k) {
        double sum = 0;
        const int64_t count = opset == 11 ? 15 : 3, stride = opset == 11 ? 1 : 5;
        for (int64_t i = 0; i < count; ++i) sum += std::exp(x[n * 15 + k + i * stride]);
        for (int64_t i = 0; i < count; ++i)
          CHECK(y[n * 15 + k + i * stride] ==
                Approx(x[n * 15 + k + i * stride] - std::log(sum)).margin(1e-5));
      }
    cputest::checkAgainstReference(**g, inputs);
  }
}
