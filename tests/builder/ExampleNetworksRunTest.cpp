// Every example network runs through the reference interpreter on random
// inputs (a fresh seed each run, printed on failure) and gives finite
// outputs of the declared shape; softmax outputs sum to 1.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "backends/reference/ReferenceInterpreter.h"
#include "examples/Networks.h"

using namespace nutshell;

TEST_CASE("example networks run on the reference interpreter", "[examples][reference]") {
  const unsigned seed = std::random_device{}();
  INFO("input seed " << seed);
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
