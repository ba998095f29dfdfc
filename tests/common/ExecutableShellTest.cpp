// The executable shell: input checks with one message per mistake, shape
// keys, and the per-shape variant cache compiling each variant once.
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "backends/common/ExecutableShell.h"
#include "ir/Parser.h"

using namespace nutshell;

namespace {

std::vector<common::TensorSpec> specsOf(const char* text) {
  auto graph = ir::parseGraph(text);
  if (!graph) FAIL(graph.message());
  return common::inputSpecs(**graph);
}

const char* kGraph = R"(graph @g(%x: f32[N,3], %k: i64[2]) -> (f32[N,3]) {
  %y = relu(%x) : f32[N,3]
  return %y
}
)";

}  // namespace

TEST_CASE("executable shell: input checks", "[common][shell]") {
  auto specs = specsOf(kGraph);
  REQUIRE(specs.size() == 2);
  CHECK(specs[0].str() == "'x' f32[N,3]");
  CHECK(specs[0].shape == std::vector<int64_t>{-1, 3});
  CHECK(specs[1].type == ElementType::I64);

  TensorMap good{{"x", Tensor(ElementType::F32, {5, 3})}, {"k", Tensor(ElementType::I64, {2})}};
  CHECK(common::checkInputs(specs, good));
  CHECK(common::shapeKey(specs, good) == "[5,3];[2];");
  CHECK(common::inputShapes(specs, common::provided(good)).at("x") == std::vector<int64_t>{5, 3});

  TensorMap unknown = good;
  unknown.emplace("image", Tensor(ElementType::F32, {1}));
  CHECK(common::checkInputs(specs, unknown).message() ==
        "'image' is not an input of the model (inputs: 'x' f32[N,3], 'k' i64[2])");
  TensorMap missing{{"x", Tensor(ElementType::F32, {5, 3})}};
  CHECK(common::checkInputs(specs, missing).message() ==
        "missing input 'k' i64[2] (inputs: 'x' f32[N,3], 'k' i64[2])");
  TensorMap dtype{{"x", Tensor(ElementType::I64, {5, 3})}, {"k", Tensor(ElementType::I64, {2})}};
  CHECK(common::checkInputs(specs, dtype).message() == "input 'x' has dtype i64, expected 'x' f32[N,3]");
  TensorMap shape{{"x", Tensor(ElementType::F32, {5, 4})}, {"k", Tensor(ElementType::I64, {2})}};
  CHECK(common::checkInputs(specs, shape).message() == "input 'x' has shape [5,4], expected 'x' f32[N,3]");
  TensorMap rank{{"x", Tensor(ElementType::F32, {15})}, {"k", Tensor(ElementType::I64, {2})}};
  CHECK(common::checkInputs(specs, rank).message() == "input 'x' has shape [15], expected 'x' f32[N,3]");
}

TEST_CASE("executable shell: a variant per shape key, compiled once", "[common][shell]") {
  common::VariantCache<int> cache;
  std::atomic<int> made{0};
  auto make = [&](int value) {
    return [&made, value]() -> Expected<std::unique_ptr<int>> {
      ++made;
      return std::make_unique<int>(value);
    };
  };
  std::vector<std::thread> threads;
  std::vector<int*> seen(8, nullptr);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      auto got = cache.get("[1,3];", make(7));
      if (got) seen[size_t(t)] = *got;
    });
  for (std::thread& t : threads) t.join();
  CHECK(made == 1);
  for (int* p : seen) CHECK(p == seen[0]);
  REQUIRE(seen[0]);
  CHECK(*seen[0] == 7);

  // A failed compile is reported and not cached.
  auto failed =
      cache.get("[2,3];", []() -> Expected<std::unique_ptr<int>> { return makeError("no such shape"); });
  CHECK(failed.message() == "no such shape");
  CHECK(cache.size() == 1);
  auto second = cache.get("[2,3];", make(9));
  REQUIRE(second);
  CHECK(**second == 9);
  CHECK(made == 2);
}
