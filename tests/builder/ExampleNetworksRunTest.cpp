// Every example network runs through the reference interpreter on random
// inputs (a fresh seed each run, printed on failure) and gives finite
// outputs of the declared shape; softmax outputs sum to 1.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "backends/reference/ReferenceInterpreter.h"
#include "examples/Networks.h"
#include "frontend/GraphBuilder.h"
#include "ir/ShapeInference.h"
#include "tests/TestSeed.h"

using namespace nutshell;

TEST_CASE("example networks run on the reference interpreter", "[examples][reference]") {
  const unsigned seed = unsigned(test::seedFor("example networks run"));
  INFO("input " << test::describeSeed(seed));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);

  for (const auto& network : examples::allExampleNetworks()) {
    DYNAMIC_SECTION(network.name) {
      auto built = network.build(2, 1);
      REQUIRE(built.ok());
      const ir::Graph& graph = **built;
      const ir::Value& input = *graph.inputs[0];
      REQUIRE(input.type.isStatic());
      std::vector<int64_t> shape = input.type.shape();
      std::vector<float> values(size_t(input.type.numElements()));
      for (float& v : values) v = uniform(rng);

      TensorMap inputs;
      inputs.emplace(input.name, Tensor::f32(shape, values));
      auto outputs = reference::runGraph(graph, inputs);
      INFO((outputs.ok() ? std::string() : outputs.message()));
      REQUIRE(outputs.ok());
      REQUIRE(outputs->size() == 1);
      REQUIRE(outputs->count("y") == 1);
      const Tensor& y = outputs->at("y");
      CHECK(y.type() == ElementType::F32);
      CHECK(y.shape() == graph.outputs[0]->type.shape());
      bool finite = true;
      for (int64_t i = 0; i < y.numElements(); ++i) finite = finite && std::isfinite(y.f32()[i]);
      CHECK(finite);

      if (network.endsInSoftmax) {
        REQUIRE(y.rank() == 2);
        for (int64_t row = 0; row < y.shape()[0]; ++row) {
          double sum = 0;
          for (int64_t col = 0; col < y.shape()[1]; ++col) {
            float p = y.f32()[row * y.shape()[1] + col];
            CHECK(p >= 0.0f);
            sum += p;
          }
          CHECK(sum == Approx(1.0).epsilon(1e-5));
        }
      }
    }
  }
}

TEST_CASE("a graph built with a symbolic batch runs once the batch is bound", "[builder][reference]") {
  GraphBuilder b("symbolic", 3);
  auto x = b.input("x", {"N", 3, 8, 8});
  auto h = b.relu(b.conv2d(x, 4, {3, 3}, {.pads = {1, 1, 1, 1}}));
  h = b.globalAvgPool(h);
  b.output(b.softmax(b.flatten(h)), "y");
  auto built = b.finish();
  REQUIRE(built.ok());
  ir::Graph& graph = **built;
  CHECK(graph.outputs[0]->type.str() == "f32[N,4]");
  REQUIRE(ir::bindInputShapes(graph, {{"x", {3, 3, 8, 8}}}).ok());
  CHECK(graph.outputs[0]->type.str() == "f32[3,4]");

  std::vector<float> values(3 * 3 * 8 * 8);
  for (size_t i = 0; i < values.size(); ++i) values[i] = float(i % 7) - 3.0f;
  TensorMap inputs;
  inputs.emplace("x", Tensor::f32({3, 3, 8, 8}, values));
  auto outputs = reference::runGraph(graph, inputs);
  INFO((outputs.ok() ? std::string() : outputs.message()));
  REQUIRE(outputs.ok());
  const Tensor& y = outputs->at("y");
  REQUIRE(y.shape() == std::vector<int64_t>{3, 4});
  for (int64_t row = 0; row < 3; ++row) {
    double sum = 0;
    for (int64_t col = 0; col < 4; ++col) sum += y.f32()[row * 4 + col];
    CHECK(sum == Approx(1.0).epsilon(1e-5));
  }
}
