// dense, gemm, matmul and elementwise ops against hand-computed values.
#include <cmath>
#include <limits>

#include "tests/reference/RefTestUtil.h"

using namespace nutshell;
using namespace nutshell::reftest;
using ir::OpKind;

TEST_CASE("dense: w is [K,N]", "[reference][dense]") {
  Tensor x = Tensor::f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w = Tensor::f32({3, 2}, {1, 0, 0, 1, 1, -1});
  Tensor b = Tensor::f32({2}, {10, 20});
  requireClose(eval1(OpKind::Dense, {x, w, b}), {2, 2}, {14, 19, 20, 19});
  requireClose(eval1(OpKind::Dense, {x, w}), {2, 2}, {4, -1, 10, -1});
}

TEST_CASE("fused_dense applies its activation", "[reference][dense]") {
  Tensor x = Tensor::f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w = Tensor::f32({3, 2}, {1, 0, 0, 1, 1, -1});
  requireClose(eval1(OpKind::FusedDense, {x, w}, {{"act", std::string("relu")}}), {2, 2}, {4, 0, 10, 0});
  requireClose(eval1(OpKind::FusedDense, {x, w}, {{"act", std::string("leaky_relu")}, {"act_params", Floats{0.5}}}),
               {2, 2}, {4, -0.5f, 10, -0.5f});
  requireClose(eval1(OpKind::FusedDense, {x, w}, {{"act", std::string("clip")}, {"act_params", Floats{0, 5}}}),
               {2, 2}, {4, 0, 5, 0});
  auto bad = evalOp(OpKind::FusedDense, {x, w}, {{"act", std::string("gelu")}});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("node '%y' (fused_dense)") && Catch::Contains("gelu"));
}

TEST_CASE("maxout: max over consecutive dense outputs", "[reference][dense]") {
  Tensor x = Tensor::f32({1, 2}, {1, 2});
  // 4 outputs: [1, 2, -1, 3] + b, pieces 2 → [max(1,2), max(-1,3)].
  Tensor w = Tensor::f32({2, 4}, {1, 0, 1, 1, 0, 1, -1, 1});
  Tensor b = Tensor::f32({4}, {0, 0, 0, 0});
  requireClose(eval1(OpKind::Maxout, {x, w, b}, {{"pieces", int64_t(2)}}), {1, 2}, {2, 3});
  REQUIRE_FALSE(evalOp(OpKind::Maxout, {x, w, b}, {{"pieces", int64_t(3)}}));
}

TEST_CASE("gemm: transposes, alpha, beta and broadcast C", "[reference][dense]") {
  // op(A) = [[1,2,3],[4,5,6]] stored transposed; op(B) = [[1,0],[0,1],[1,1]] stored transposed.
  Tensor a = Tensor::f32({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor b = Tensor::f32({2, 3}, {1, 0, 1, 0, 1, 1});
  ir::AttrMap attrs = {{"trans_a", int64_t(1)}, {"trans_b", int64_t(1)}, {"alpha", 2.0}, {"beta", 0.5}};
  // op(A) op(B) = [[4,5],[10,11]]; *2 + 0.5*[10,20] per row.
  requireClose(eval1(OpKind::Gemm, {a, b, Tensor::f32({2}, {10, 20})}, attrs), {2, 2}, {13, 20, 25, 32});
  // C as a column [2,1] and as a scalar.
  ir::AttrMap plain = {{"trans_a", int64_t(1)}, {"trans_b", int64_t(1)}};
  requireClose(eval1(OpKind::Gemm, {a, b, Tensor::f32({2, 1}, {1, 2})}, plain), {2, 2}, {5, 6, 12, 13});
  requireClose(eval1(OpKind::Gemm, {a, b, Tensor::f32({}, {1})}, plain), {2, 2}, {5, 6, 11, 12});
  requireClose(eval1(OpKind::Gemm, {a, b}, plain), {2, 2}, {4, 5, 10, 11});
  // C that would broadcast the result beyond [M,N] is rejected.
  REQUIRE_FALSE(evalOp(OpKind::Gemm, {a, b, Tensor::f32({3, 2}, {0, 0, 0, 0, 0, 0})}, plain));
  // trans_a alone: [2,3] x [2,3] has mismatched inner dims.
  auto bad = evalOp(OpKind::Gemm, {a, b}, {{"trans_a", int64_t(1)}});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("node '%y' (gemm)") && Catch::Contains("f32[3,2]"));
}

TEST_CASE("matmul: batch broadcast and 1-D operands", "[reference][dense]") {
  Tensor a = Tensor::f32({2, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});  // I and 2I
  Tensor b = Tensor::f32({2, 2}, {1, 2, 3, 4});
  requireClose(eval1(OpKind::MatMul, {a, b}), {2, 2, 2}, {1, 2, 3, 4, 2, 4, 6, 8});
  Tensor v = Tensor::f32({2}, {1, 1});
  requireClose(eval1(OpKind::MatMul, {v, b}), {2}, {4, 6});
  requireClose(eval1(OpKind::MatMul, {b, v}), {2}, {3, 7});
  requireClose(eval1(OpKind::MatMul, {v, v}), {}, {2});
  // [2,1,1,2] x [1,3,2,1] → [2,3,1,1]; out[i][j] = A_i . B_j.
  Tensor a4 = Tensor::f32({2, 1, 1, 2}, {1, 2, 3, 4});
  Tensor b4 = Tensor::f32({1, 3, 2, 1}, {1, 0, 0, 1, 1, 1});
  requireClose(eval1(OpKind::MatMul, {a4, b4}), {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7});
  auto bad = evalOp(OpKind::MatMul, {b, Tensor::f32({3, 2}, {0, 0, 0, 0, 0, 0})});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("f32[2,2]") && Catch::Contains("f32[3,2]"));
}

TEST_CASE("add broadcasts [2,1,3] + [4,1]", "[reference][elementwise]") {
  Tensor a(ElementType::F32, {2, 1, 3});
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 3; ++k) a.f32()[i * 3 + k] = float(100 * i + k);
  Tensor b = Tensor::f32({4, 1}, {0, 10, 20, 30});
  Tensor y = eval1(OpKind::Add, {a, b});
  REQUIRE(y.shape() == std::vector<int64_t>{2, 4, 3});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k) REQUIRE(y.f32()[(i * 4 + j) * 3 + k] == float(100 * i + 10 * j + k));
  auto bad = evalOp(OpKind::Add, {a, Tensor::f32({2}, {0, 0})});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("[2,1,3]") && Catch::Contains("[2]"));
}

TEST_CASE("sub, mul, div on f32 and i64", "[reference][elementwise]") {
  Tensor a = Tensor::f32({3}, {1, 2, 3});
  Tensor s = Tensor::f32({}, {2});
  requireClose(eval1(OpKind::Sub, {a, s}), {3}, {-1, 0, 1});
  requireClose(eval1(OpKind::Mul, {a, s}), {3}, {2, 4, 6});
  requireClose(eval1(OpKind::Div, {s, a}), {3}, {2, 1, 2.0f / 3.0f});
  Tensor ia = Tensor::i64({4}, {7, -7, 6, 9});
  Tensor ib = Tensor::i64({1}, {2});
  CHECK(valuesI64(eval1(OpKind::Div, {ia, ib})) == std::vector<int64_t>{3, -3, 3, 4});  // truncates
  CHECK(valuesI64(eval1(OpKind::Mul, {ia, ib})) == std::vector<int64_t>{14, -14, 12, 18});
  CHECK(valuesI64(eval1(OpKind::Add, {ia, ib})) == std::vector<int64_t>{9, -5, 8, 11});
  CHECK(valuesI64(eval1(OpKind::Sub, {ia, ib})) == std::vector<int64_t>{5, -9, 4, 7});
  auto byZero = evalOp(OpKind::Div, {ia, Tensor::i64({1}, {0})});
  REQUIRE_FALSE(byZero);
  CHECK_THAT(byZero.message(), Catch::Contains("division by zero"));
  auto mixed = evalOp(OpKind::Add, {a, ia});
  REQUIRE_FALSE(mixed);
  CHECK_THAT(mixed.message(), Catch::Contains("f32[3]") && Catch::Contains("i64[4]"));
}

TEST_CASE("unary activations", "[reference][elementwise]") {
  Tensor x = Tensor::f32({4}, {-2, -0.5f, 0, 3});
  requireClose(eval1(OpKind::Relu, {x}), {4}, {0, 0, 0, 3});
  requireClose(eval1(OpKind::LeakyRelu, {x}), {4}, {-0.02f, -0.005f, 0, 3});
  requireClose(eval1(OpKind::LeakyRelu, {x}, {{"alpha", 0.5}}), {4}, {-1, -0.25f, 0, 3});
  requireClose(eval1(OpKind::Sigmoid, {x}), {4},
               {float(1 / (1 + std::exp(2.0))), float(1 / (1 + std::exp(0.5))), 0.5f, float(1 / (1 + std::exp(-3.0)))});
  requireClose(eval1(OpKind::Tanh, {x}), {4}, {std::tanh(-2.0f), std::tanh(-0.5f), 0, std::tanh(3.0f)});
  requireClose(eval1(OpKind::Clip, {x}, {{"min", -1.0}, {"max", 1.0}}), {4}, {-1, -0.5f, 0, 1});
  requireClose(eval1(OpKind::Clip, {x}), {4}, {-2, -0.5f, 0, 3});  // default: unbounded
  requireClose(eval1(OpKind::Exp, {x}), {4}, {std::exp(-2.0f), std::exp(-0.5f), 1, std::exp(3.0f)});
  REQUIRE_FALSE(evalOp(OpKind::Relu, {Tensor::i64({1}, {1})}));
}

TEST_CASE("ONNX activations and unary math, with ONNX's defaults", "[reference][elementwise]") {
  Tensor x = Tensor::f32({4}, {-2, -0.5f, 0, 3});
  // hard_sigmoid: max(0, min(1, alpha*x + beta)), alpha 0.2, beta 0.5.
  requireClose(eval1(OpKind::HardSigmoid, {x}), {4}, {0.1f, 0.4f, 0.5f, 1});
  requireClose(eval1(OpKind::HardSigmoid, {x}, {{"alpha", 0.5}, {"beta", 0.25}}), {4}, {0, 0, 0.25f, 1});
  // hard_swish: x * hard_sigmoid(x) with alpha 1/6, beta 0.5.
  requireClose(eval1(OpKind::HardSwish, {x}), {4}, {-2.0f / 6, -0.5f * (0.5f - 0.5f / 6), 0, 3});
  const double em2 = std::expm1(-2.0), em05 = std::expm1(-0.5);
  requireClose(eval1(OpKind::Elu, {x}), {4}, {float(em2), float(em05), 0, 3});
  requireClose(eval1(OpKind::Elu, {x}, {{"alpha", 2.0}}), {4}, {float(2 * em2), float(2 * em05), 0, 3});
  // selu: ONNX's defaults alpha 1.67326319..., gamma 1.05070102...
  const double alpha = 1.67326319217681884765625, gamma = 1.05070102214813232421875;
  requireClose(eval1(OpKind::Selu, {x}), {4},
               {float(gamma * alpha * em2), float(gamma * alpha * em05), 0, float(gamma * 3)});
  requireClose(eval1(OpKind::Selu, {x}, {{"alpha", 2.0}, {"gamma", 3.0}}), {4},
               {float(6 * em2), float(6 * em05), 0, 9});
  requireClose(eval1(OpKind::Softplus, {x}), {4},
               {float(std::log1p(std::exp(-2.0))), float(std::log1p(std::exp(-0.5))), float(std::log(2.0)),
                float(std::log1p(std::exp(3.0)))});
  // Stable at both ends: no overflow for large x, no 0 for very negative x.
  Tensor far = Tensor::f32({2}, {100, -100});
  requireClose(eval1(OpKind::Softplus, {far}), {2}, {100, float(std::exp(-100.0))});
  CHECK(eval1(OpKind::Softplus, {far}).f32()[1] > 0.0f);
  requireClose(eval1(OpKind::Softsign, {x}), {4}, {-2.0f / 3, -1.0f / 3, 0, 0.75f});
  requireClose(eval1(OpKind::Neg, {x}), {4}, {2, 0.5f, 0, -3});
  requireClose(eval1(OpKind::Abs, {x}), {4}, {2, 0.5f, 0, 3});
  requireClose(eval1(OpKind::Erf, {x}), {4},
               {float(std::erf(-2.0)), float(std::erf(-0.5)), 0, float(std::erf(3.0))});
  Tensor positive = Tensor::f32({4}, {0, 0.25f, 4, 9});
  requireClose(eval1(OpKind::Sqrt, {positive}), {4}, {0, 0.5f, 2, 3});
  CHECK(std::isnan(eval1(OpKind::Sqrt, {Tensor::f32({1}, {-1})}).f32()[0]));
  Tensor nonzero = Tensor::f32({4}, {-2, -0.5f, 4, 0.25f});
  requireClose(eval1(OpKind::Reciprocal, {nonzero}), {4}, {-0.5f, -2, 0.25f, 4});
  CHECK(std::isinf(eval1(OpKind::Reciprocal, {Tensor::f32({1}, {0})}).f32()[0]));
  // f32 only: the unary shape rule and kernels take no i64.
  REQUIRE_FALSE(evalOp(OpKind::Neg, {Tensor::i64({1}, {1})}));
  REQUIRE_FALSE(evalOp(OpKind::Abs, {Tensor::i64({1}, {-1})}));
}

TEST_CASE("the ONNX activations as a fused_conv2d epilogue equal conv then the op",
          "[reference][elementwise]") {
  Tensor x = Tensor::f32({1, 1, 2, 2}, {-3, -1, 0.5f, 4});
  Tensor w = Tensor::f32({1, 1, 1, 1}, {1});
  Tensor b = Tensor::f32({1}, {0});
  for (const char* act : {"hard_sigmoid", "hard_swish", "elu", "selu", "softplus", "softsign"}) {
    INFO(act);
    OpKind kind = *ir::lookupOp(act);
    requireSame(eval1(kind, {x}), eval1(OpKind::FusedConv2d, {x, w, b}, {{"act", std::string(act)}}));
  }
  requireSame(eval1(OpKind::HardSigmoid, {x}, {{"alpha", 0.3}, {"beta", 0.6}}),
              eval1(OpKind::FusedConv2d, {x, w, b},
                    {{"act", std::string("hard_sigmoid")}, {"act_params", Floats{0.3, 0.6}}}));
}

TEST_CASE("fused_elementwise: a chain with params", "[reference][elementwise]") {
  Tensor x = Tensor::f32({2, 2}, {-3, -1, 1, 3});
  Tensor y = Tensor::f32({2}, {1, 2});
  Tensor z = Tensor::f32({2, 1}, {2, -1});
  // ((x + y) -> leaky_relu(0.5)) * z -> clip(-2, 4)
  ir::AttrMap attrs = {{"steps", std::vector<std::string>{"add", "leaky_relu", "mul", "clip"}},
                       {"params", Floats{0, 0, 0.5, 0, 0, 0, -2, 4}}};
  // x+y = [-2,1,2,5]; leaky = [-1,1,2,5]; * z rows (2,-1) = [-2,2,-2,-5]; clip = [-2,2,-2,-2]
  requireClose(eval1(OpKind::FusedElementwise, {x, y, z}, attrs), {2, 2}, {-2, 2, -2, -2});
  // Without params each step takes its defaults.
  requireClose(eval1(OpKind::FusedElementwise, {x}, {{"steps", std::vector<std::string>{"relu", "exp"}}}), {2, 2},
               {1, 1, std::exp(1.0f), std::exp(3.0f)});
  REQUIRE_FALSE(evalOp(OpKind::FusedElementwise, {x}, {{"steps", std::vector<std::string>{"add"}}}));
  REQUIRE_FALSE(evalOp(OpKind::FusedElementwise, {x}, {{"steps", std::vector<std::string>{"gelu"}}}));
}

TEST_CASE("pow: numpy's power, signs and broadcasting", "[reference][elementwise]") {
  Tensor a = Tensor::f32({5}, {2, -2, -8, 4, 0});
  Tensor b = Tensor::f32({5}, {3, 3, 1.0f / 3, 0.5f, 0});
  Tensor y = eval1(OpKind::Pow, {a, b});
  CHECK(y.f32()[0] == Approx(8));
  CHECK(y.f32()[1] == Approx(-8));  // a negative base with an odd integral exponent
  CHECK(std::isnan(y.f32()[2]));    // ... and with a fractional one
  CHECK(y.f32()[3] == Approx(2));
  CHECK(y.f32()[4] == 1.0f);  // 0^0
  requireClose(eval1(OpKind::Pow, {Tensor::f32({2, 2}, {1, 2, 3, 4}), Tensor::f32({}, {2})}), {2, 2},
               {1, 4, 9, 16});
  REQUIRE_FALSE(evalOp(OpKind::Pow, {Tensor::i64({1}, {2}), Tensor::i64({1}, {3})}));
}

TEST_CASE("max, min: numpy's maximum and minimum; prelu broadcasts its slope", "[reference][elementwise]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor a = Tensor::f32({3}, {1, nan, 3});
  Tensor b = Tensor::f32({3}, {2, 0, -1});
  Tensor mx = eval1(OpKind::Max, {a, b}), mn = eval1(OpKind::Min, {a, b});
  CHECK(mx.f32()[0] == 2);
  CHECK(std::isnan(mx.f32()[1]));
  CHECK(mx.f32()[2] == 3);
  CHECK(mn.f32()[0] == 1);
  CHECK(std::isnan(mn.f32()[1]));
  CHECK(mn.f32()[2] == -1);
  CHECK(std::isnan(eval1(OpKind::Max, {b, a}).f32()[1]));  // either side
  requireClose(eval1(OpKind::Max, {Tensor::f32({2, 1}, {0, 5}), Tensor::f32({3}, {1, 2, 6})}), {2, 3},
               {1, 2, 6, 5, 5, 6});
  CHECK(valuesI64(eval1(OpKind::Max, {Tensor::i64({2}, {1, 5}), Tensor::i64({}, {3})})) ==
        std::vector<int64_t>{3, 5});
  CHECK(valuesI64(eval1(OpKind::Min, {Tensor::i64({2}, {1, 5}), Tensor::i64({}, {3})})) ==
        std::vector<int64_t>{1, 3});
  Tensor x = Tensor::f32({2, 2}, {-1, 2, -3, 4});
  requireClose(eval1(OpKind::PRelu, {x, Tensor::f32({2}, {0.5f, 0.25f})}), {2, 2}, {-0.5f, 2, -1.5f, 4});
  requireClose(eval1(OpKind::PRelu, {x, Tensor::f32({2, 1}, {0.5f, 0.25f})}), {2, 2}, {-0.5f, 2, -0.75f, 4});
  // Unidirectional: the slope may not make the result larger than x.
  REQUIRE_FALSE(evalOp(OpKind::PRelu, {Tensor::f32({2}, {-1, 1}), Tensor::f32({3, 2}, {1, 1, 1, 1, 1, 1})}));
}

TEST_CASE("fused_elementwise: pow, max, min and prelu steps", "[reference][elementwise]") {
  Tensor x = Tensor::f32({2, 2}, {-3, -1, 1, 3});
  Tensor y = Tensor::f32({2}, {2, 0.5f});
  Tensor two = Tensor::f32({}, {2});
  ir::AttrMap attrs = {{"steps", std::vector<std::string>{"prelu", "max", "pow"}}};
  // prelu(x, y) = [-6, -0.5, 1, 3]; max with y = [2, 0.5, 2, 3]; ^2 = [4, 0.25, 4, 9].
  requireClose(eval1(OpKind::FusedElementwise, {x, y, y, two}, attrs), {2, 2}, {4, 0.25f, 4, 9});
}

TEST_CASE("thresholded_relu, celu, log, floor, ceil, round, sign, shrink", "[reference][elementwise]") {
  Tensor x = Tensor::f32({6}, {-2.5f, -0.5f, 0, 0.5f, 1.5f, 2.5f});
  requireClose(eval1(OpKind::ThresholdedRelu, {x}), {6}, {0, 0, 0, 0, 1.5f, 2.5f});
  requireClose(eval1(OpKind::ThresholdedRelu, {x}, {{"alpha", -1.0}}), {6}, {0, -0.5f, 0, 0.5f, 1.5f, 2.5f});
  requireClose(eval1(OpKind::Celu, {x}, {{"alpha", 2.0}}), {6},
               {float(2 * std::expm1(-1.25)), float(2 * std::expm1(-0.25)), 0, 0.5f, 1.5f, 2.5f});
  requireClose(eval1(OpKind::Floor, {x}), {6}, {-3, -1, 0, 0, 1, 2});
  requireClose(eval1(OpKind::Ceil, {x}), {6}, {-2, -0.0f, 0, 1, 2, 3});
  requireClose(eval1(OpKind::Round, {x}), {6}, {-2, -0.0f, 0, 0, 2, 2});  // half to even
  requireClose(eval1(OpKind::Sign, {x}), {6}, {-1, -1, 0, 1, 1, 1});
  CHECK(std::isnan(eval1(OpKind::Sign, {Tensor::f32({1}, {std::nanf("")})}).f32()[0]));
  // shrink: lambd 0.5 and bias 0 by default; [lambd, bias] in table order.
  requireClose(eval1(OpKind::Shrink, {x}), {6}, {-2.5f, 0, 0, 0, 1.5f, 2.5f});
  requireClose(eval1(OpKind::Shrink, {x}, {{"lambd", 1.0}, {"bias", 0.5}}), {6}, {-2, 0, 0, 0, 1, 2});
  requireClose(eval1(OpKind::Log, {Tensor::f32({3}, {1, float(std::exp(2.0)), 0.5f})}), {3},
               {0, 2, float(std::log(0.5))});
  CHECK(eval1(OpKind::Log, {Tensor::f32({1}, {0})}).f32()[0] == -std::numeric_limits<float>::infinity());
}
