// Shape computations fold at import once the input shapes are bound: the
// chunk pattern (Shape -> Gather -> Add -> Div -> Mul -> Slice) imports as two
// plain slices, and runs on the reference interpreter and the CPU backend.
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
