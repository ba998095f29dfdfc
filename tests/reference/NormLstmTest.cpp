// softmax, reductions, batch_norm, lrn and lstm against hand-computed values.
#include <cmath>
#include <limits>

#include "tests/reference/RefTestUtil.h"

using namespace nutshell;
using namespace nutshell::reftest;
using ir::OpKind;

TEST_CASE("softmax and log_softmax along one axis", "[reference][norm]") {
  Tensor x = Tensor::f32({2, 3}, {1, 2, 3, 0, 0, 0});
  Tensor y = eval1(OpKind::Softmax, {x});
  const double sum = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  requireClose(y, {2, 3},
               {float(std::exp(1.0) / sum), float(std::exp(2.0) / sum), float(std::exp(3.0) / sum), 1.0f / 3,
                1.0f / 3, 1.0f / 3});
  for (int r = 0; r < 2; ++r) CHECK(y.f32()[r * 3] + y.f32()[r * 3 + 1] + y.f32()[r * 3 + 2] == Approx(1.0));
  Tensor logY = eval1(OpKind::LogSoftmax, {x});
  for (int i = 0; i < 6; ++i) CHECK(logY.f32()[i] == Approx(std::log(y.f32()[i])));
  // axis 0 normalises columns: softmax([1,0]) = [e/(e+1), 1/(e+1)].
  Tensor c = eval1(OpKind::Softmax, {x}, {{"axis", int64_t(0)}});
  const float e = float(std::exp(1.0) / (std::exp(1.0) + 1.0));
  CHECK(c.f32()[0] == Approx(e));
  CHECK(c.f32()[3] == Approx(1 - e));
  // Large inputs do not overflow.
  Tensor big = eval1(OpKind::Softmax, {Tensor::f32({2}, {1000, 1000})});
  requireClose(big, {2}, {0.5f, 0.5f});
  REQUIRE_FALSE(evalOp(OpKind::Softmax, {x}, {{"axis", int64_t(2)}}));
}

TEST_CASE("reduce_max, reduce_mean, reduce_sum", "[reference][norm]") {
  Tensor x = iota({2, 3});  // [[0,1,2],[3,4,5]]
  requireClose(eval1(OpKind::ReduceSum, {x}), {1, 1}, {15});
  requireClose(eval1(OpKind::ReduceSum, {x}, {{"keepdims", int64_t(0)}}), {}, {15});
  requireClose(eval1(OpKind::ReduceMean, {x}, {{"axes", Ints{1}}}), {2, 1}, {1, 4});
  requireClose(eval1(OpKind::ReduceMax, {x}, {{"axes", Ints{0}}, {"keepdims", int64_t(0)}}), {3}, {3, 4, 5});
  requireClose(eval1(OpKind::ReduceMax, {x}, {{"axes", Ints{-1}}}), {2, 1}, {2, 5});
  Tensor x3 = iota({2, 2, 2});
  requireClose(eval1(OpKind::ReduceSum, {x3}, {{"axes", Ints{0, 2}}, {"keepdims", int64_t(0)}}), {2},
               {0 + 1 + 4 + 5, 2 + 3 + 6 + 7});
  CHECK(valuesI64(eval1(OpKind::ReduceSum, {Tensor::i64({3}, {1, 2, 3})})) == std::vector<int64_t>{6});
  REQUIRE_FALSE(evalOp(OpKind::ReduceSum, {x}, {{"axes", Ints{1, -1}}}));
}

TEST_CASE("batch_norm", "[reference][norm]") {
  Tensor x = Tensor::f32({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = Tensor::f32({2}, {2, 1}), bias = Tensor::f32({2}, {0, 1});
  Tensor mean = Tensor::f32({2}, {1, 3}), var = Tensor::f32({2}, {4, 1});
  // channel 0: (x-1)/2*2 + 0; channel 1: (x-3)/1*1 + 1 (epsilon 0).
  requireClose(eval1(OpKind::BatchNorm, {x, scale, bias, mean, var}, {{"epsilon", 0.0}}), {1, 2, 1, 2}, {0, 1, 1, 2});
  REQUIRE_FALSE(evalOp(OpKind::BatchNorm, {x, scale, bias, mean, Tensor::f32({3}, {1, 1, 1})}));
}

TEST_CASE("lrn: the ONNX channel window", "[reference][norm]") {
  Tensor x = Tensor::f32({1, 3, 1, 1}, {1, 2, 3});
  // size 3: channels c-1..c+1; alpha/size = 1, bias 1, beta 1.
  requireClose(eval1(OpKind::Lrn, {x}, {{"size", int64_t(3)}, {"alpha", 3.0}, {"beta", 1.0}, {"bias", 1.0}}),
               {1, 3, 1, 1}, {1.0f / 6, 2.0f / 15, 3.0f / 14});
  // size 2: floor(1/2)=0 before, ceil(1/2)=1 after: sums 1+4, 4+9, 9.
  requireClose(eval1(OpKind::Lrn, {x}, {{"size", int64_t(2)}, {"alpha", 2.0}, {"beta", 1.0}, {"bias", 1.0}}),
               {1, 3, 1, 1}, {1.0f / 6, 2.0f / 14, 3.0f / 10});
  // beta 0.75 with the default alpha and bias: x / (1 + 1e-4/3 * sum)^0.75.
  Tensor y = eval1(OpKind::Lrn, {x}, {{"size", int64_t(3)}});
  CHECK(y.f32()[1] == Approx(2.0 / std::pow(1.0 + 1e-4 / 3 * 14, 0.75)));
}

namespace {

// One LSTM step, H = 1, I = 1, x = 1, h0 = 1, c0 = 2.
// Gate rows (i, o, f, c): W = [1, -1, 2, 0.5], R = [0.5, 0, -1, 0.5], Wb_f = 1.
//   i = sigmoid(1 + 0.5) = sigmoid(1.5)      o = sigmoid(-1)
//   f = sigmoid(2 - 1 + 1) = sigmoid(2)      g = tanh(0.5 + 0.5) = tanh(1)
//   c1 = 2 f + i g = 2.384254099083439       h1 = o tanh(c1) = 0.2644116322063732
std::vector<Tensor> lstmOperands(int64_t directions, int64_t steps) {
  auto repeat = [&](std::vector<float> v) {
    std::vector<float> out;
    for (int64_t d = 0; d < directions; ++d) out.insert(out.end(), v.begin(), v.end());
    return out;
  };
  return {Tensor::f32({steps, 1, 1}, std::vector<float>(size_t(steps), 1.0f)),
          Tensor::f32({directions, 4, 1}, repeat({1, -1, 2, 0.5f})),
          Tensor::f32({directions, 4, 1}, repeat({0.5f, 0, -1, 0.5f})),
          Tensor::f32({directions, 8}, repeat({0, 0, 1, 0, 0, 0, 0, 0})),
          Tensor::f32({directions, 1, 1}, repeat({1})),
          Tensor::f32({directions, 1, 1}, repeat({2}))};
}

}  // namespace

TEST_CASE("lstm: one step with hand-derived numbers", "[reference][lstm]") {
  auto r = evalOp(OpKind::Lstm, lstmOperands(1, 1), {{"hidden_size", int64_t(1)}});
  if (!r) FAIL(r.message());
  requireClose((*r)[0], {1, 1, 1, 1}, {0.2644116322063732f});
  requireClose((*r)[1], {1, 1, 1}, {0.2644116322063732f});
  requireClose((*r)[2], {1, 1, 1}, {2.384254099083439f});
}

TEST_CASE("lstm: peepholes", "[reference][lstm]") {
  // P = (pi, po, pf) = (0.1, 0.2, 0.3): i = sigmoid(1.5 + 0.2), f = sigmoid(2 + 0.6),
  // c1 = 2 f + i tanh(1) = 2.5056774720832933, o = sigmoid(-1 + 0.2 c1), h1 = o tanh(c1).
  std::vector<Tensor> ops = lstmOperands(1, 1);
  ops.push_back(Tensor::f32({1, 3}, {0.1f, 0.2f, 0.3f}));
  auto r = evalOp(OpKind::Lstm, ops, {{"hidden_size", int64_t(1)}});
  if (!r) FAIL(r.message());
  requireClose((*r)[2], {1, 1, 1}, {2.5056774720832933f});
  requireClose((*r)[1], {1, 1, 1}, {0.37280705381926477f});
}

TEST_CASE("lstm: clip and input_forget", "[reference][lstm]") {
  // clip 0.5 bounds every pre-activation: i = sigmoid(0.5), o = sigmoid(-0.5),
  // f = sigmoid(0.5), g = tanh(0.5).
  auto r = evalOp(OpKind::Lstm, lstmOperands(1, 1), {{"hidden_size", int64_t(1)}, {"clip", 0.5}});
  if (!r) FAIL(r.message());
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  const double c1 = 2 * sig(0.5) + sig(0.5) * std::tanh(0.5);
  requireClose((*r)[2], {1, 1, 1}, {float(c1)});
  requireClose((*r)[1], {1, 1, 1}, {float(sig(-0.5) * std::tanh(c1))});
  // input_forget: f = 1 - i.
  auto q = evalOp(OpKind::Lstm, lstmOperands(1, 1), {{"hidden_size", int64_t(1)}, {"input_forget", int64_t(1)}});
  if (!q) FAIL(q.message());
  requireClose((*q)[2], {1, 1, 1}, {float(2 * (1 - sig(1.5)) + sig(1.5) * std::tanh(1.0))});
}

TEST_CASE("lstm: bidirectional runs the second direction backwards", "[reference][lstm]") {
  // Same weights both ways and x[0] == x[1]: the reverse direction's Y at t=1
  // is its first step, equal to the forward direction's Y at t=0.
  auto r = evalOp(OpKind::Lstm, lstmOperands(2, 2),
                  {{"hidden_size", int64_t(1)}, {"direction", std::string("bidirectional")}});
  if (!r) FAIL(r.message());
  const Tensor& y = (*r)[0];  // [T=2, D=2, B=1, H=1]
  REQUIRE(y.shape() == std::vector<int64_t>{2, 2, 1, 1});
  CHECK(y.f32()[0] == Approx(0.2644116322063732));  // forward, t=0
  CHECK(y.f32()[3] == Approx(0.2644116322063732));  // reverse, t=1
  CHECK(y.f32()[1] == y.f32()[2]);                  // second steps agree
  CHECK(y.f32()[1] != y.f32()[0]);
  CHECK((*r)[1].f32()[0] == y.f32()[2]);  // Y_h forward = Y[t=1]
  CHECK((*r)[1].f32()[1] == y.f32()[1]);  // Y_h reverse = Y[t=0]
  auto bad = evalOp(OpKind::Lstm, lstmOperands(1, 1), {{"hidden_size", int64_t(2)}});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("node '%y' (lstm)") && Catch::Contains("hidden_size=2"));
}

TEST_CASE("reduce_min, reduce_prod, reduce_l1, reduce_l2, reduce_sum_square, reduce_log_sum_exp",
          "[reference][norm]") {
  Tensor x = Tensor::f32({2, 3}, {1, -2, 3, -4, 5, -6});
  const Ints rows{1};
  requireClose(eval1(OpKind::ReduceMin, {x}, {{"axes", rows}}), {2, 1}, {-2, -6});
  requireClose(eval1(OpKind::ReduceProd, {x}, {{"axes", rows}}), {2, 1}, {-6, 120});
  requireClose(eval1(OpKind::ReduceL1, {x}, {{"axes", rows}}), {2, 1}, {6, 15});
  requireClose(eval1(OpKind::ReduceL2, {x}, {{"axes", rows}}), {2, 1},
               {float(std::sqrt(14.0)), float(std::sqrt(77.0))});
  requireClose(eval1(OpKind::ReduceSumSquare, {x}, {{"axes", rows}, {"keepdims", int64_t(0)}}), {2},
               {14, 77});
  requireClose(eval1(OpKind::ReduceLogSumExp, {x}, {{"axes", rows}}), {2, 1},
               {float(std::log(std::exp(1.0) + std::exp(-2.0) + std::exp(3.0))),
                float(std::log(std::exp(-4.0) + std::exp(5.0) + std::exp(-6.0)))});
  requireClose(eval1(OpKind::ReduceMin, {x}, {{"keepdims", int64_t(0)}}), {}, {-6});
  // log_sum_exp shifts by the maximum: no overflow, and -inf inputs add nothing.
  const float inf = std::numeric_limits<float>::infinity();
  requireClose(eval1(OpKind::ReduceLogSumExp, {Tensor::f32({3}, {1000, 1000, -inf})}), {1},
               {float(1000 + std::log(2.0))});
  CHECK(eval1(OpKind::ReduceLogSumExp, {Tensor::f32({2}, {-inf, -inf})}).f32()[0] == -inf);
  // Empty reductions give the identity of the operation.
  Tensor empty(ElementType::F32, {2, 0});
  requireClose(eval1(OpKind::ReduceProd, {empty}, {{"axes", rows}}), {2, 1}, {1, 1});
  CHECK(eval1(OpKind::ReduceMin, {empty}, {{"axes", rows}}).f32()[0] == inf);
  REQUIRE_FALSE(evalOp(OpKind::ReduceProd, {Tensor::i64({2}, {1, 2})}));
}

TEST_CASE("layer_norm: normalise the trailing axes, with the mean and 1/stddev", "[reference][norm]") {
  Tensor x = Tensor::f32({2, 2}, {1, 3, 2, 2});
  Tensor scale = Tensor::f32({2}, {1, 2});
  Tensor bias = Tensor::f32({2}, {0.5f, 0});
  auto r = evalOp(OpKind::LayerNorm, {x, scale, bias});
  REQUIRE(r);
  // Row 0: mean 2, variance 1; row 1: mean 2, variance 0 (1/sqrt(epsilon)).
  const float inv0 = float(1 / std::sqrt(1 + 1e-5)), inv1 = float(1 / std::sqrt(1e-5));
  requireClose((*r)[0], {2, 2}, {0.5f - inv0, 2 * inv0, 0.5f, 0});
  requireClose((*r)[1], {2, 1}, {2, 2});
  requireClose((*r)[2], {2, 1}, {inv0, inv1}, 1e-5);
  // axis 0 normalises everything; without a bias.
  Tensor all = Tensor::f32({2, 2}, {1, 1, 1, 1});
  auto whole = evalOp(OpKind::LayerNorm, {iota({2, 2}), all}, {{"axis", int64_t(0)}, {"epsilon", 0.0}});
  REQUIRE(whole);
  const float s = float(1 / std::sqrt(1.25));  // mean 1.5, variance 1.25
  requireClose((*whole)[0], {2, 2}, {-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s});
  requireClose((*whole)[1], {1, 1}, {1.5f});
  REQUIRE_FALSE(evalOp(OpKind::LayerNorm, {x, Tensor::f32({3}, {1, 1, 1})}));
}

TEST_CASE("group_norm: groups of channels; instance norm is one group per channel", "[reference][norm]") {
  Tensor x = Tensor::f32({1, 2, 2}, {1, 3, 5, 7});
  Tensor scale = Tensor::f32({2}, {1, 2});
  Tensor bias = Tensor::f32({2}, {0, 1});
  // One group: mean 4, variance 5.
  const float g = float(1 / std::sqrt(5 + 1e-5));
  requireClose(eval1(OpKind::GroupNorm, {x, scale, bias}, {{"num_groups", int64_t(1)}}), {1, 2, 2},
               {-3 * g, -g, 2 * g + 1, 6 * g + 1}, 1e-5);
  // Two groups (instance norm): each channel has mean 2 or 6 and variance 1.
  const float i = float(1 / std::sqrt(1 + 1e-5));
  requireClose(eval1(OpKind::GroupNorm, {x, scale, bias}, {{"num_groups", int64_t(2)}}), {1, 2, 2},
               {-i, i, 1 - 2 * i, 1 + 2 * i}, 1e-5);
  REQUIRE_FALSE(evalOp(OpKind::GroupNorm, {x, scale, bias}, {{"num_groups", int64_t(3)}}));
}

TEST_CASE("arg_max, arg_min: first or last index, NaN wins, keepdims", "[reference][norm]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::f32({2, 4}, {1, 3, 3, 0, 2, nan, 5, nan});
  CHECK(valuesI64(eval1(OpKind::ArgMax, {x}, {{"axis", int64_t(1)}})) == Ints{1, 1});
  CHECK(valuesI64(eval1(OpKind::ArgMax, {x}, {{"axis", int64_t(1)}, {"select_last_index", int64_t(1)}})) ==
        Ints{2, 3});
  CHECK(valuesI64(eval1(OpKind::ArgMin, {x}, {{"axis", int64_t(-1)}})) == Ints{3, 1});
  Tensor y = eval1(OpKind::ArgMin, {x}, {{"axis", int64_t(0)}, {"keepdims", int64_t(0)}});
  CHECK(y.shape() == std::vector<int64_t>{4});
  CHECK(valuesI64(y) == Ints{0, 1, 0, 1});
  CHECK(eval1(OpKind::ArgMax, {x}, {{"axis", int64_t(1)}}).shape() == std::vector<int64_t>{2, 1});
  REQUIRE_FALSE(evalOp(OpKind::ArgMax, {Tensor(ElementType::F32, {2, 0})}, {{"axis", int64_t(1)}}));
}
