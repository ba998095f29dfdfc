// Import collects every problem of a model in one error: unsupported ops and
// operands that must be constants but are computed, each with its node.
#include <catch2/catch.hpp>

#include "tests/importer/ShapeFoldingModels.h"

using namespace nutshell;
using nutshell::test::ModelBuilder;

TEST_CASE("a computed Slice bound that depends on a symbolic dim names every Slice", "[importer][fold]") {
  auto g = test::chunkModel().import();
  REQUIRE_FALSE(g);
  CHECK(g.error().kind == ErrorKind::Unsupported);
  const std::string message = g.message();
  INFO(message);
  CHECK_THAT(message, Catch::StartsWith("2 problems: (1) node '/Slice' (Slice): unsupported: ends (input "
                                        "'/Mul_output_0') must be a constant"));
  CHECK_THAT(message, Catch::Contains("; (2) node '/Slice_1' (Slice): unsupported: starts (input "
                                      "'/Mul_output_0') must be a constant"));
  CHECK_THAT(message, Catch::Contains("from the shape of 'x' (f32[N,L]), which is not static: bind the input "
                                      "shapes to fold it"));
}

TEST_CASE("unsupported ops and a computed operand are reported together", "[importer][fold]") {
  ModelBuilder mb(13);
  mb.input("x", {4, 10}).input("starts", {1}, 7).output("a").output("b").output("c");
  mb.constI64("ends", {1}, {3});
  mb.node("FancyOp", {"x"}, {"a"}, "fancy");
  mb.node("OtherOp", {"x"}, {"b"}, "other");
  mb.node("Slice", {"x", "starts", "ends"}, {"c"}, "slice");
  // Nodes fed by an unsupported op are skipped, not reported: their inputs do not exist.
  mb.node("Slice", {"a", "starts", "ends"}, {"d"}, "after_fancy");
  auto g = mb.import();
  REQUIRE_FALSE(g);
  CHECK(g.error().kind == ErrorKind::Unsupported);
  const std::string message = g.message();
  INFO(message);
  CHECK(
      message ==
      "2 problems: (1) unsupported ONNX ops (2 nodes): FancyOp (opset 13) x1: node 'fancy'; OtherOp (opset "
      "13) x1: node 'other'; (2) node 'slice' (Slice): unsupported: starts (input 'starts') must be a "
      "constant (an initializer or a Constant output); it is computed at run time: it is a graph input; fix "
      "its value at compile time (nutshell-run --bind starts=FILE, or CompileOptions::bindings)");
}

TEST_CASE("a broken node stops the import after the problems found so far", "[importer][fold]") {
  ModelBuilder mb(13);
  mb.input("x", {4, 10}).input("starts", {1}, 7).output("c").output("t");
  mb.constI64("ends", {1}, {3});
  mb.node("Slice", {"x", "starts", "ends"}, {"c"}, "slice");
  mb.node("Transpose", {"x", "x"}, {"t"}, "two_inputs");
  auto g = mb.import();
  REQUIRE_FALSE(g);
  CHECK(g.error().kind == ErrorKind::Invalid);
  CHECK_THAT(g.message(), Catch::StartsWith("2 problems: (1) node 'slice' (Slice): unsupported: starts"));
  CHECK_THAT(g.message(), Catch::EndsWith("; (2) node 'two_inputs' (Transpose): has 2 inputs, expected 1"));
}

TEST_CASE("unsupported ops come first, before an error found while setting up the import",
          "[importer][fold]") {
  ModelBuilder mb(13);
  mb.input("x", {4, 10}).output("a");
  mb.node("FancyOp", {"x"}, {"a"}, "fancy");
  mb.model.mutable_opset_import(0)->set_version(99);
  auto g = mb.import();
  REQUIRE_FALSE(g);
  CHECK(g.error().kind == ErrorKind::Unsupported);
  CHECK(
      g.message() ==
      "2 problems: (1) unsupported ONNX ops (1 node): FancyOp (opset 99) x1: node 'fancy'; (2) ONNX opset 99 "
      "is not supported: nutshell imports opsets 1 to 18");
}
