// ONNX ops the importer lowers onto existing IR ops (Resize and Upsample):
// each is run on the reference interpreter and checked against values
// computed here directly from the ONNX definition, then on the CPU backend
// against the reference (random inputs, the seed printed on failure).
#include <cmath>

#include <catch2/catch.hpp>

#include "tests/cpu/CpuTestUtil.h"
#include "tests/importer/OnnxTestUtil.h"

using namespace nutshell;

namespace {

std::unique_ptr<ir::Graph> importOk(const test::ModelBuilder& mb) {
  auto g = mb.import();
  INFO((g ? std::string() : g.message()));
  REQUIRE(g);
  return g.take();
}

/// Reference outputs of `graph`, then the CPU backend checked against them.
TensorMap runBoth(const ir::Graph& graph, const TensorMap& inputs) {
  auto reference = reference::runGraph(graph, inputs);
  INFO((reference ? std::string() : reference.message()));
  REQUIRE(reference);
  cputest::checkAgainstReference(graph, inputs);
  return reference.take();
}

void checkClose(const Tensor& got, const std::vector<float>& want) {
  REQUIRE(got.numElements() == int64_t(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i << " (" << test::describeSeed(cputest::testSeed()) << ")");
    CHECK(std::fabs(got.f32()[i] - want[i]) <= 1e-5 + 1e-4 * std::fabs(want[i]));
  }
}

/// A Resize-13 model of x[dims] with constant scales or sizes.
test::ModelBuilder resizeModel(std::vector<int64_t> dims, const std::string& mode, const std::string& transform,
                               std::vector<float> scales, std::vector<int64_t> sizes = {}) {
  test::ModelBuilder mb(13);
  mb.input("x", dims).output("y");
  std::vector<std::string> inputs{"x", ""};
  if (!scales.empty()) {
    mb.initF32("scales", {int64_t(scales.size())}, scales);
    inputs.push_back("scales");
  } else {
    mb.initI64("sizes", {int64_t(sizes.size())}, sizes);
    inputs.push_back("");
    inputs.push_back("sizes");
  }
  auto& n = mb.node("Resize", inputs, {"y"});
  test::setString(n, "mode", mode);
  test::setString(n, "coordinate_transformation_mode", transform);
  return mb;
}

}  // namespace

TEST_CASE("Resize linear half_pixel is bilinear interpolation with edge clamping", "[importer][resize]") {
  const int64_t H = 3, W = 4, OH = 7, OW = 6;
  auto g = importOk(resizeModel({1, 2, H, W}, "linear", "half_pixel", {}, {1, 2, OH, OW}));
  // Rows then columns: two matmuls with constant interpolation matrices.
  CHECK(test::countOp(*g, ir::OpKind::MatMul) == 2);
  auto rng = cputest::makeRng("resize linear");
  TensorMap inputs{{"x", cputest::randomTensor({1, 2, H, W}, rng)}};
  TensorMap out = runBoth(*g, inputs);
  const float* x = inputs.at("x").f32();
  std::vector<float> want;
  auto source = [](int64_t i, int64_t in, int64_t outLen) {
    double s = (double(i) + 0.5) * double(in) / double(outLen) - 0.5;
    return std::clamp(s, 0.0, double(in - 1));
  };
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        double sy = source(i, H, OH), sx = source(j, W, OW);
        int64_t y0 = int64_t(std::floor(sy)), x0 = int64_t(std::floor(sx));
        int64_t y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
        double fy = sy - double(y0), fx = sx - double(x0);
        auto at = [&](int64_t y, int64_t xx) { return double(x[(c * H + y) * W + xx]); };
        want.push_back(float((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
                             fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1))));
      }
  checkClose(out.at("y"), want);
}

TEST_CASE("Resize nearest picks input indices by nearest_mode", "[importer][resize]") {
  SECTION("asymmetric floor: index floor(i / scale), a gather per resized axis") {
    test::ModelBuilder mb = resizeModel({1, 1, 2, 3}, "nearest", "asymmetric", {1.0f, 1.0f, 2.0f, 1.5f});
    test::setString(*mb.model.mutable_graph()->mutable_node(0), "nearest_mode", "floor");
    auto g = importOk(mb);
    CHECK(test::countOp(*g, ir::OpKind::Gather) == 2);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 1, 4, 4}));
    TensorMap inputs{{"x", Tensor(ElementType::F32, {1, 1, 2, 3})}};
    for (int i = 0; i < 6; ++i) inputs.at("x").f32()[i] = float(i + 1);
    TensorMap out = runBoth(*g, inputs);
    // rows 0,0,1,1; columns floor(j / 1.5) = 0,0,1,2
    checkClose(out.at("y"), {1, 1, 2, 3, 1, 1, 2, 3, 4, 4, 5, 6, 4, 4, 5, 6});
  }
  SECTION("half_pixel round_prefer_floor downsampling") {
    auto g = importOk(resizeModel({1, 1, 1, 5}, "nearest", "half_pixel", {}, {1, 1, 1, 2}));
    TensorMap inputs{{"x", Tensor(ElementType::F32, {1, 1, 1, 5})}};
    for (int i = 0; i < 5; ++i) inputs.at("x").f32()[i] = float(10 * i);
    // (j + 0.5) * 2.5 - 0.5 = 0.75, 3.25: rounds to 1 and 3
    checkClose(runBoth(*g, inputs).at("y"), {10, 30});
  }
}

TEST_CASE("Resize cubic and a resized channel axis run alike on both backends", "[importer][resize]") {
  auto rng = cputest::makeRng("resize cubic");
  for (const char* transform : {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"}) {
    INFO(transform);
    auto g = importOk(resizeModel({2, 3, 5, 4}, "cubic", transform, {1.0f, 1.0f, 1.6f, 0.75f}));
    CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3, 8, 3}));
    runBoth(*g, {{"x", cputest::randomTensor({2, 3, 5, 4}, rng)}});
  }
  // The channel axis: moved next to last, resized, moved back.
  auto g = importOk(resizeModel({2, 3, 4, 5}, "linear", "align_corners", {}, {2, 5, 4, 5}));
  CHECK(test::countOp(*g, ir::OpKind::Transpose) == 2);
  runBoth(*g, {{"x", cputest::randomTensor({2, 3, 4, 5}, rng)}});
}

TEST_CASE("Upsample-9 nearest repeats elements", "[importer][resize]") {
  test::ModelBuilder mb(9);
  mb.input("x", {1, 1, 2, 2}).output("y");
  mb.initF32("scales", {4}, {1.0f, 1.0f, 2.0f, 3.0f});
  mb.node("Upsample", {"x", "scales"}, {"y"});
  auto g = importOk(mb);
  TensorMap inputs{{"x", Tensor(ElementType::F32, {1, 1, 2, 2})}};
  for (int i = 0; i < 4; ++i) inputs.at("x").f32()[i] = float(i + 1);
  checkClose(runBoth(*g, inputs).at("y"),
             {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST_CASE("Resize rejects what it cannot lower, naming it", "[importer][resize]") {
  test::ModelBuilder mb = resizeModel({1, 1, 2, 2}, "linear", "tf_crop_and_resize", {1.0f, 1.0f, 2.0f, 2.0f});
  auto g = mb.import();
  REQUIRE_FALSE(g);
  CHECK_THAT(g.message(), Catch::Contains("tf_crop_and_resize"));
}
