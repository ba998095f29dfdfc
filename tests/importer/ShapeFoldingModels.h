// ONNX models for the import-time folding tests: torch's `chunk(2)` export,
// whose Slice bounds are computed from the input's shape.
#pragma once

#include "tests/importer/OnnxTestUtil.h"

namespace nutshell::test {

/// y0, y1 = x.chunk(2, dim=1) for x: f32[N, L], as torch exports it:
/// half = (Shape(x)[1] + 1) / 2; y0 = x[:, 0:half], y1 = x[:, half:2*half].
inline ModelBuilder chunkModel() {
  ModelBuilder mb(13);
  mb.input("x", {0, 0}, 1, {{0, "N"}, {1, "L"}}).output("y0").output("y1");
  mb.constI64("dim", {1}, {1}).constI64("one", {1}, {1}).constI64("two", {1}, {2}).constI64("zero", {1}, {0});
  mb.node("Shape", {"x"}, {"/Shape_output_0"}, "/Shape");
  mb.node("Gather", {"/Shape_output_0", "dim"}, {"/Gather_output_0"}, "/Gather");
  mb.node("Add", {"/Gather_output_0", "one"}, {"/Add_output_0"}, "/Add");
  mb.node("Div", {"/Add_output_0", "two"}, {"/Div_output_0"}, "/Div");
  mb.node("Mul", {"/Div_output_0", "one"}, {"/Mul_output_0"}, "/Mul");
  mb.node("Mul", {"/Div_output_0", "two"}, {"/Mul_1_output_0"}, "/Mul_1");
  mb.node("Slice", {"x", "zero", "/Mul_output_0", "dim"}, {"y0"}, "/Slice");
  mb.node("Slice", {"x", "/Mul_output_0", "/Mul_1_output_0", "dim"}, {"y1"}, "/Slice_1");
  return mb;
}

}  // namespace nutshell::test
