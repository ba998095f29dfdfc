// Layout, data movement and shape ops against hand-computed values.
#include <limits>

#include "tests/reference/RefTestUtil.h"

using namespace nutshell;
using namespace nutshell::reftest;
using ir::OpKind;

TEST_CASE("reshape: 0 copies, -1 infers, shape from an operand", "[reference][layout]") {
  Tensor x = iota({2, 3, 4});
  Tensor y = eval1(OpKind::Reshape, {x}, {{"shape", Ints{0, -1}}});
  REQUIRE(y.shape() == std::vector<int64_t>{2, 12});
  REQUIRE(valuesF32(y) == valuesF32(x));
  Tensor z = eval1(OpKind::Reshape, {x, Tensor::i64({3}, {4, 0, -1})});
  REQUIRE(z.shape() == std::vector<int64_t>{4, 3, 2});
  auto bad = evalOp(OpKind::Reshape, {x}, {{"shape", Ints{5, -1}}});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("node '%y' (reshape)") && Catch::Contains("[5,-1]"));
  REQUIRE_FALSE(evalOp(OpKind::Reshape, {x}, {{"shape", Ints{5, 5}}}));
  REQUIRE_FALSE(evalOp(OpKind::Reshape, {x}, {{"shape", Ints{-1, -1}}}));
}

TEST_CASE("flatten", "[reference][layout]") {
  Tensor x = iota({2, 3, 4});
  CHECK(eval1(OpKind::Flatten, {x}).shape() == std::vector<int64_t>{2, 12});
  CHECK(eval1(OpKind::Flatten, {x}, {{"axis", int64_t(0)}}).shape() == std::vector<int64_t>{1, 24});
  CHECK(eval1(OpKind::Flatten, {x}, {{"axis", int64_t(-1)}}).shape() == std::vector<int64_t>{6, 4});
}

TEST_CASE("transpose", "[reference][layout]") {
  Tensor x = iota({2, 3});  // [[0,1,2],[3,4,5]]
  requireClose(eval1(OpKind::Transpose, {x}), {3, 2}, {0, 3, 1, 4, 2, 5});
  Tensor x3 = iota({2, 2, 2});
  // perm [1,2,0]: y[j][k][i] = x[i][j][k] = 4i + 2j + k.
  requireClose(eval1(OpKind::Transpose, {x3}, {{"perm", Ints{1, 2, 0}}}), {2, 2, 2}, {0, 4, 1, 5, 2, 6, 3, 7});
  REQUIRE_FALSE(evalOp(OpKind::Transpose, {x3}, {{"perm", Ints{0, 0, 1}}}));
  Tensor i = Tensor::i64({2, 2}, {1, 2, 3, 4});
  CHECK(valuesI64(eval1(OpKind::Transpose, {i})) == std::vector<int64_t>{1, 3, 2, 4});
}

TEST_CASE("concat", "[reference][layout]") {
  Tensor a = iota({2, 1}), b = iota({2, 2}, 1, 10);  // a: [0],[1]; b: [10,11],[12,13]
  requireClose(eval1(OpKind::Concat, {a, b}, {{"axis", int64_t(1)}}), {2, 3}, {0, 10, 11, 1, 12, 13});
  requireClose(eval1(OpKind::Concat, {b, b}, {{"axis", int64_t(-2)}}), {4, 2}, {10, 11, 12, 13, 10, 11, 12, 13});
  Tensor i = Tensor::i64({1}, {7}), j = Tensor::i64({2}, {8, 9});
  CHECK(valuesI64(eval1(OpKind::Concat, {i, j}, {{"axis", int64_t(0)}})) == std::vector<int64_t>{7, 8, 9});
  auto bad = evalOp(OpKind::Concat, {a, b}, {{"axis", int64_t(0)}});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("f32[2,1]") && Catch::Contains("f32[2,2]"));
}

TEST_CASE("slice: ONNX starts/ends, clamping, negative steps", "[reference][layout]") {
  Tensor x = Tensor::f32({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  // ONNX example: starts [1,0], ends [2,3], steps [1,2] → [[5,7]].
  requireClose(eval1(OpKind::Slice, {x}, {{"starts", Ints{1, 0}}, {"ends", Ints{2, 3}}, {"steps", Ints{1, 2}}}),
               {1, 2}, {5, 7});
  // Ends past the dim clamp; negative starts count from the end.
  requireClose(eval1(OpKind::Slice, {x}, {{"starts", Ints{-3}}, {"ends", Ints{1000}}, {"axes", Ints{1}}}), {2, 3},
               {2, 3, 4, 6, 7, 8});
  // Reverse a whole axis: start -1, end INT64_MIN, step -1.
  const int64_t lowest = std::numeric_limits<int64_t>::min();
  requireClose(
      eval1(OpKind::Slice, {x}, {{"starts", Ints{-1}}, {"ends", Ints{lowest}}, {"axes", Ints{-1}}, {"steps", Ints{-1}}}),
      {2, 4}, {4, 3, 2, 1, 8, 7, 6, 5});
  // Step -2 from 3 down to (not including) 0: indices 3, 1.
  requireClose(eval1(OpKind::Slice, {x}, {{"starts", Ints{3}}, {"ends", Ints{0}}, {"axes", Ints{1}}, {"steps", Ints{-2}}}),
               {2, 2}, {4, 2, 8, 6});
  // Empty slices are fine.
  CHECK(eval1(OpKind::Slice, {x}, {{"starts", Ints{3}}, {"ends", Ints{1}}, {"axes", Ints{1}}}).shape() ==
        std::vector<int64_t>{2, 0});
  REQUIRE_FALSE(evalOp(OpKind::Slice, {x}, {{"starts", Ints{0}}, {"ends", Ints{1}}, {"steps", Ints{0}}}));
  Tensor s = Tensor::i64({4}, {1, 3, 224, 224});
  CHECK(valuesI64(eval1(OpKind::Slice, {s}, {{"starts", Ints{2}}, {"ends", Ints{4}}})) ==
        std::vector<int64_t>{224, 224});
}

TEST_CASE("pad: constant, reflect, edge, negative pads", "[reference][layout]") {
  // ONNX's reflect example: pads [0,2,0,0] on a 3x2 tensor.
  Tensor x = Tensor::f32({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  requireClose(eval1(OpKind::Pad, {x}, {{"pads", Ints{0, 2, 0, 0}}, {"mode", std::string("reflect")}}), {3, 4},
               {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f});
  requireClose(eval1(OpKind::Pad, {x}, {{"pads", Ints{0, 2, 0, 0}}, {"mode", std::string("edge")}}), {3, 4},
               {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f});
  requireClose(eval1(OpKind::Pad, {x}, {{"pads", Ints{1, 0, 0, 1}}, {"value", 9.0}}), {4, 3},
               {9, 9, 9, 1.0f, 1.2f, 9, 2.3f, 3.4f, 9, 4.5f, 5.7f, 9});
  // Negative pads crop: drop the first row, add one column of zeros at the end.
  requireClose(eval1(OpKind::Pad, {x}, {{"pads", Ints{-1, 0, 0, 1}}}), {2, 3}, {2.3f, 3.4f, 0, 4.5f, 5.7f, 0});
  // Reflect of [1,2,3] by 2 on both sides: 3 2 | 1 2 3 | 2 1.
  Tensor r = Tensor::f32({3}, {1, 2, 3});
  requireClose(eval1(OpKind::Pad, {r}, {{"pads", Ints{2, 2}}, {"mode", std::string("reflect")}}), {7},
               {3, 2, 1, 2, 3, 2, 1});
  REQUIRE_FALSE(evalOp(OpKind::Pad, {r}, {{"pads", Ints{1}}}));
  REQUIRE_FALSE(evalOp(OpKind::Pad, {r}, {{"pads", Ints{-2, -2}}}));
}

TEST_CASE("shape, gather, unsqueeze, squeeze", "[reference][shape]") {
  Tensor x = iota({2, 3, 4, 5});
  CHECK(valuesI64(eval1(OpKind::Shape, {x})) == std::vector<int64_t>{2, 3, 4, 5});
  CHECK(valuesI64(eval1(OpKind::Shape, {x}, {{"start", int64_t(1)}, {"end", int64_t(-1)}})) ==
        std::vector<int64_t>{3, 4});
  CHECK(eval1(OpKind::Shape, {x}, {{"start", int64_t(3)}, {"end", int64_t(1)}}).numElements() == 0);

  Tensor data = iota({3, 2});  // [[0,1],[2,3],[4,5]]
  requireClose(eval1(OpKind::Gather, {data, Tensor::i64({2}, {2, -3})}), {2, 2}, {4, 5, 0, 1});
  requireClose(eval1(OpKind::Gather, {data, Tensor::i64({2, 1}, {1, 0})}, {{"axis", int64_t(1)}}), {3, 2, 1},
               {1, 0, 3, 2, 5, 4});
  CHECK(valuesI64(eval1(OpKind::Gather, {Tensor::i64({4}, {1, 3, 224, 224}), Tensor::i64({}, {0})})) ==
        std::vector<int64_t>{1});
  CHECK(eval1(OpKind::Gather, {Tensor::i64({4}, {1, 3, 224, 224}), Tensor::i64({}, {0})}).rank() == 0);
  auto outOfRange = evalOp(OpKind::Gather, {data, Tensor::i64({1}, {3})});
  REQUIRE_FALSE(outOfRange);
  CHECK_THAT(outOfRange.message(), Catch::Contains("index 3"));

  CHECK(eval1(OpKind::Unsqueeze, {data}, {{"axes", Ints{0, -1}}}).shape() == std::vector<int64_t>{1, 3, 2, 1});
  Tensor ones = iota({1, 3, 1});
  CHECK(eval1(OpKind::Squeeze, {ones}).shape() == std::vector<int64_t>{3});
  CHECK(eval1(OpKind::Squeeze, {ones}, {{"axes", Ints{-1}}}).shape() == std::vector<int64_t>{1, 3});
  REQUIRE_FALSE(evalOp(OpKind::Squeeze, {ones}, {{"axes", Ints{1}}}));
}

TEST_CASE("constant_of_shape, cast, identity", "[reference][shape]") {
  requireClose(eval1(OpKind::ConstantOfShape, {Tensor::i64({2}, {2, 3})}, {{"value", 1.5}}), {2, 3},
               {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f});
  Tensor i = eval1(OpKind::ConstantOfShape, {Tensor::i64({1}, {2})}, {{"value", 7.0}, {"dtype", std::string("i64")}});
  CHECK(valuesI64(i) == std::vector<int64_t>{7, 7});
  REQUIRE_FALSE(evalOp(OpKind::ConstantOfShape, {Tensor::i64({1}, {-2})}));

  Tensor f = Tensor::f32({4}, {1.7f, -1.7f, 3.0f, -0.2f});
  CHECK(valuesI64(eval1(OpKind::Cast, {f}, {{"to", std::string("i64")}})) == std::vector<int64_t>{1, -1, 3, 0});
  requireClose(eval1(OpKind::Cast, {Tensor::i64({2}, {3, -4})}, {{"to", std::string("f32")}}), {2}, {3, -4});
  requireClose(eval1(OpKind::Identity, {f}), {4}, {1.7f, -1.7f, 3.0f, -0.2f});
}

TEST_CASE("tile and expand", "[reference][layout]") {
  Tensor x = Tensor::f32({2, 2}, {1, 2, 3, 4});
  requireClose(eval1(OpKind::Tile, {x}, {{"repeats", Ints{1, 2}}}), {2, 4}, {1, 2, 1, 2, 3, 4, 3, 4});
  requireClose(eval1(OpKind::Tile, {x}, {{"repeats", Ints{2, 1}}}), {4, 2}, {1, 2, 3, 4, 1, 2, 3, 4});
  CHECK(eval1(OpKind::Tile, {x}, {{"repeats", Ints{0, 3}}}).shape() == std::vector<int64_t>{0, 6});
  REQUIRE_FALSE(evalOp(OpKind::Tile, {x}, {{"repeats", Ints{2}}}));
  // expand: numpy broadcasting of x and the shape (a 1 keeps x's dim).
  Tensor column = Tensor::f32({2, 1}, {1, 2});
  requireClose(eval1(OpKind::Expand, {column}, {{"shape", Ints{2, 3}}}), {2, 3}, {1, 1, 1, 2, 2, 2});
  requireClose(eval1(OpKind::Expand, {column}, {{"shape", Ints{2, 1, 2}}}), {2, 2, 2},
               {1, 1, 2, 2, 1, 1, 2, 2});
  requireClose(eval1(OpKind::Expand, {x}, {{"shape", Ints{1, 1}}}), {2, 2}, {1, 2, 3, 4});
  CHECK(valuesI64(eval1(OpKind::Expand, {Tensor::i64({1}, {7})}, {{"shape", Ints{3}}})) ==
        std::vector<int64_t>{7, 7, 7});
  REQUIRE_FALSE(evalOp(OpKind::Expand, {x}, {{"shape", Ints{3, 2}}}));
}

TEST_CASE("depth_to_space (dcr and crd) and space_to_depth", "[reference][layout]") {
  Tensor x = iota({1, 8, 1, 1});  // channels 0..7, blocksize 2: 2 output channels of 2x2
  // dcr: output channel c at block (i, j) reads channel (i*2 + j)*2 + c.
  requireClose(eval1(OpKind::DepthToSpace, {x}, {{"blocksize", int64_t(2)}}), {1, 2, 2, 2},
               {0, 2, 4, 6, 1, 3, 5, 7});
  // crd: channel c*4 + i*2 + j.
  requireClose(eval1(OpKind::DepthToSpace, {x}, {{"blocksize", int64_t(2)}, {"mode", std::string("crd")}}),
               {1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  // space_to_depth undoes dcr.
  Tensor wide = pseudoRandom({2, 3, 4, 6}, 7);
  Tensor deep = eval1(OpKind::SpaceToDepth, {wide}, {{"blocksize", int64_t(2)}});
  REQUIRE(deep.shape() == std::vector<int64_t>{2, 12, 2, 3});
  requireSame(eval1(OpKind::DepthToSpace, {deep}, {{"blocksize", int64_t(2)}}), wide);
  REQUIRE_FALSE(evalOp(OpKind::DepthToSpace, {x}, {{"blocksize", int64_t(3)}}));
  REQUIRE_FALSE(evalOp(OpKind::SpaceToDepth, {wide}, {{"blocksize", int64_t(4)}}));
}
