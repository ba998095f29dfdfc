// conv2d and pooling against hand-computed values.
#include "tests/reference/RefTestUtil.h"

using namespace nutshell;
using namespace nutshell::reftest;
using ir::OpKind;

TEST_CASE("conv2d: Sobel-x finds a vertical edge", "[reference][conv]") {
  // Every row is 0 0 0 1 1: the gradient is 4 * (x[c+2] - x[c]).
  std::vector<float> image;
  for (int r = 0; r < 4; ++r) image.insert(image.end(), {0, 0, 0, 1, 1});
  Tensor x = Tensor::f32({1, 1, 4, 5}, image);
  Tensor w = Tensor::f32({1, 1, 3, 3}, {-1, 0, 1, -2, 0, 2, -1, 0, 1});
  Tensor b = Tensor::f32({1}, {0.5f});
  requireClose(eval1(OpKind::Conv2d, {x, w, b}), {1, 1, 2, 3}, {0.5f, 4.5f, 4.5f, 0.5f, 4.5f, 4.5f});
  // Without bias, zero-padded by 1: the border columns see only part of the kernel.
  Tensor y = eval1(OpKind::Conv2d, {x, w}, {{"pads", Ints{1, 1, 1, 1}}});
  REQUIRE(y.shape() == std::vector<int64_t>{1, 1, 4, 5});
  // Rows 0 and 3 touch the zero padding and see only two kernel rows (1+2), so 3 * (x[c+1] - x[c-1]).
  requireClose(y, {1, 1, 4, 5}, {0, 0, 3, 3, -3,  //
                                 0, 0, 4, 4, -4,  //
                                 0, 0, 4, 4, -4,  //
                                 0, 0, 3, 3, -3});
}

TEST_CASE("conv2d: groups keep channels apart", "[reference][conv]") {
  Tensor x = Tensor::f32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = Tensor::f32({2, 1, 2, 2}, {1, 1, 1, 1, 1, 0, 0, -1});
  // Output 0 sees channel 0 (1+2+3+4), output 1 sees channel 1 (5-8).
  requireClose(eval1(OpKind::Conv2d, {x, w}, {{"groups", int64_t(2)}}), {1, 2, 1, 1}, {10, -3});
}

TEST_CASE("conv2d: stride 2 with asymmetric pads", "[reference][conv]") {
  Tensor x = iota({1, 1, 3, 3}, 1, 1);  // 1..9
  Tensor w = Tensor::f32({1, 1, 2, 2}, {1, 1, 1, 1});
  // pads top=1, right=1; windows at rows {-1,0},{1,2} and cols {0,1},{2,3}.
  Tensor y = eval1(OpKind::Conv2d, {x, w}, {{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 0, 1}}});
  requireClose(y, {1, 1, 2, 2}, {3, 3, 24, 15});
}

TEST_CASE("conv2d: dilation 2 reads the corners of a 3x3 window", "[reference][conv]") {
  Tensor x = iota({1, 1, 3, 3}, 1, 1);
  Tensor w = Tensor::f32({1, 1, 2, 2}, {1, 1, 1, 1});
  requireClose(eval1(OpKind::Conv2d, {x, w}, {{"dilations", Ints{2, 2}}}), {1, 1, 1, 1}, {1 + 3 + 7 + 9});
}

TEST_CASE("conv2d: several output channels and batches", "[reference][conv]") {
  // 1x1 conv = per-pixel matrix product over channels.
  Tensor x = Tensor::f32({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = Tensor::f32({3, 2, 1, 1}, {1, 0, 0, 1, 1, -1});
  requireClose(eval1(OpKind::Conv2d, {x, w}), {2, 3, 1, 2}, {1, 2, 3, 4, -2, -2, 5, 6, 7, 8, -2, -2});
}

TEST_CASE("conv2d: bad shapes are errors naming the node", "[reference][conv][errors]") {
  Tensor x = iota({1, 3, 4, 4});
  auto r = evalOp(OpKind::Conv2d, {x, iota({2, 2, 3, 3})});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.message(), Catch::Contains("node '%y' (conv2d)") && Catch::Contains("f32[2,2,3,3]"));
  auto tooBig = evalOp(OpKind::Conv2d, {x, iota({2, 3, 5, 5})});
  REQUIRE_FALSE(tooBig);
  CHECK_THAT(tooBig.message(), Catch::Contains("does not fit"));
  auto badBias = evalOp(OpKind::Conv2d, {x, iota({2, 3, 3, 3}), iota({3})});
  REQUIRE_FALSE(badBias);
  CHECK_THAT(badBias.message(), Catch::Contains("bias"));
}

TEST_CASE("max_pool2d: padding counts as -inf", "[reference][pool]") {
  Tensor x = iota({1, 1, 3, 3}, -1, -1);  // -1..-9
  Tensor y = eval1(OpKind::MaxPool2d, {x}, {{"kernel", Ints{2, 2}}, {"pads", Ints{1, 1, 0, 0}}});
  requireClose(y, {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -4, -4, -5});
}

TEST_CASE("max_pool2d: stride and dilation", "[reference][pool]") {
  Tensor x = iota({1, 1, 4, 4});  // 0..15
  requireClose(eval1(OpKind::MaxPool2d, {x}, {{"kernel", Ints{2, 2}}, {"strides", Ints{2, 2}}}), {1, 1, 2, 2},
               {5, 7, 13, 15});
  // Dilation 2: the window {0,2}x{0,2} → max is at (2,2) = 10.
  requireClose(eval1(OpKind::MaxPool2d, {x}, {{"kernel", Ints{2, 2}}, {"dilations", Ints{2, 2}}}), {1, 1, 2, 2},
               {10, 11, 14, 15});
}

TEST_CASE("max_pool2d: ceil_mode", "[reference][pool]") {
  Tensor x = iota({1, 1, 5, 5}, 1, 1);  // x[i][j] = 5i + j + 1
  ir::AttrMap attrs = {{"kernel", Ints{2, 2}}, {"strides", Ints{2, 2}}};
  requireClose(eval1(OpKind::MaxPool2d, {x}, attrs), {1, 1, 2, 2}, {7, 9, 17, 19});
  attrs["ceil_mode"] = int64_t(1);
  // The third window holds only row/column 4.
  requireClose(eval1(OpKind::MaxPool2d, {x}, attrs), {1, 1, 3, 3}, {7, 9, 10, 17, 19, 20, 22, 24, 25});
  // A window that would start in the right padding is dropped: W=3, k=1,
  // s=2, right pad 1 → ceil((3+1-1)/2)+1 = 3 windows, the last at column 4.
  Tensor row = Tensor::f32({1, 1, 1, 3}, {1, 2, 3});
  Tensor y = eval1(OpKind::MaxPool2d, {row},
                   {{"kernel", Ints{1, 1}}, {"strides", Ints{1, 2}}, {"pads", Ints{0, 0, 0, 1}}, {"ceil_mode", int64_t(1)}});
  requireClose(y, {1, 1, 1, 2}, {1, 3});
}

TEST_CASE("avg_pool2d: count_include_pad both ways", "[reference][pool]") {
  Tensor x = Tensor::f32({1, 1, 2, 2}, {1, 2, 3, 4});
  ir::AttrMap attrs = {{"kernel", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}};
  requireClose(eval1(OpKind::AvgPool2d, {x}, attrs), {1, 1, 3, 3}, {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4});
  attrs["count_include_pad"] = int64_t(1);
  requireClose(eval1(OpKind::AvgPool2d, {x}, attrs), {1, 1, 3, 3},
               {0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1});
}

TEST_CASE("avg_pool2d: ceil_mode windows past the padded input", "[reference][pool]") {
  Tensor x = Tensor::f32({1, 1, 1, 3}, {1, 2, 3});
  ir::AttrMap attrs = {{"kernel", Ints{1, 2}}, {"strides", Ints{1, 2}}, {"ceil_mode", int64_t(1)}};
  requireClose(eval1(OpKind::AvgPool2d, {x}, attrs), {1, 1, 1, 2}, {1.5f, 3});
  // The part of the last window beyond the (zero) pads is not counted either.
  attrs["count_include_pad"] = int64_t(1);
  requireClose(eval1(OpKind::AvgPool2d, {x}, attrs), {1, 1, 1, 2}, {1.5f, 3});
}

TEST_CASE("global pools reduce every spatial position", "[reference][pool]") {
  Tensor x = iota({1, 2, 2, 2});  // channel 0: 0..3, channel 1: 4..7
  requireClose(eval1(OpKind::GlobalAvgPool, {x}), {1, 2, 1, 1}, {1.5f, 5.5f});
  requireClose(eval1(OpKind::GlobalMaxPool, {x}), {1, 2, 1, 1}, {3, 7});
}
