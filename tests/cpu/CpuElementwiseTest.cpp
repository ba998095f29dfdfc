// Elementwise kernels (broadcasting, f32 and i64, fused chains) against the
// reference interpreter.
#include "tests/cpu/CpuTestUtil.h"

using namespace nutshell;
using namespace nutshell::cputest;
using ir::OpKind;

TEST_CASE("cpu: binary ops broadcast like numpy", "[cpu][elementwise]") {
  auto rng = makeRng("binary");
  struct Case {
    std::vector<int64_t> a, b;
  };
  std::vector<Case> cases = {{{5}, {5}},           {{2, 3, 17}, {17}},        {{2, 3, 1, 5}, {3, 4, 1}},
                             {{1}, {7, 33}},       {{4, 1}, {1, 19}},         {{2, 19, 5, 5}, {1, 19, 1, 1}},
                             {{1000}, {1}},        {{3, 4100}, {3, 1}},       {{1, 1, 1}, {1}}};
  for (OpKind kind : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max, OpKind::Min}) {
    for (const Case& c : cases) {
      INFO(ir::opName(kind) << " " << c.a.size() << "-d");
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32(c.a));
      ir::Value* y = g.addInput("y", ir::TensorType::f32(c.b));
      g.outputs.push_back(op(g, kind, {x, y}));
      TensorMap inputs;
      inputs["x"] = randomTensor(c.a, rng);
      inputs["y"] = randomTensor(c.b, rng, 0.5f, 2.f);
      checkAgainstReference(g, inputs);
    }
  }
}

TEST_CASE("cpu: unary activations", "[cpu][elementwise]") {
  auto rng = makeRng("unary");
  std::vector<std::pair<OpKind, ir::AttrMap>> ops = {
      {OpKind::Relu, {}},
      {OpKind::LeakyRelu, {{"alpha", 0.2}}},
      {OpKind::Sigmoid, {}},
      {OpKind::Tanh, {}},
      {OpKind::Clip, {{"min", -0.5}, {"max", 0.75}}},
      {OpKind::Exp, {}},
  };
  for (auto& [kind, attrs] : ops) {
    INFO(ir::opName(kind));
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({3, 37}));
    g.outputs.push_back(op(g, kind, {x}, attrs));
    TensorMap inputs;
    inputs["x"] = randomTensor({3, 37}, rng, -6.f, 6.f);
    checkAgainstReference(g, inputs);
  }
}

TEST_CASE("cpu: ONNX activations and unary math", "[cpu][elementwise]") {
  auto rng = makeRng("onnx-unary");
  struct Case {
    OpKind kind;
    ir::AttrMap attrs;
    float lo, hi;  // the input range: where the op is defined, and where its approximations are stressed
  };
  std::vector<Case> cases = {
      {OpKind::HardSigmoid, {}, -6.f, 6.f},
      {OpKind::HardSigmoid, {{"alpha", 0.3}, {"beta", 0.6}}, -6.f, 6.f},
      {OpKind::HardSwish, {}, -6.f, 6.f},
      {OpKind::Elu, {}, -6.f, 6.f},
      {OpKind::Elu, {{"alpha", 0.5}}, -1e-3f, 1e-3f},  // expm1 near 0: no cancellation
      {OpKind::Selu, {}, -6.f, 6.f},
      {OpKind::Selu, {{"alpha", 2.0}, {"gamma", 1.5}}, -1e-3f, 1e-3f},
      {OpKind::Softplus, {}, -6.f, 6.f},
      {OpKind::Softplus, {}, -90.f, 90.f},  // neither overflow nor loss of the tiny tail
      {OpKind::Softsign, {}, -6.f, 6.f},
      {OpKind::Neg, {}, -6.f, 6.f},
      {OpKind::Abs, {}, -6.f, 6.f},
      {OpKind::Sqrt, {}, 0.f, 100.f},
      {OpKind::Reciprocal, {}, 0.1f, 10.f},
      {OpKind::Reciprocal, {}, -10.f, -0.1f},
      {OpKind::Erf, {}, -5.f, 5.f},
      {OpKind::Erf, {}, -1e-2f, 1e-2f},  // erf(x) ~ 2x/sqrt(pi): relative accuracy near 0
      {OpKind::ThresholdedRelu, {}, -3.f, 3.f},
      {OpKind::ThresholdedRelu, {{"alpha", 0.5}}, -3.f, 3.f},
      {OpKind::Celu, {}, -6.f, 6.f},
      {OpKind::Celu, {{"alpha", 0.5}}, -1e-3f, 1e-3f},  // expm1 near 0
      {OpKind::Log, {}, 1e-3f, 100.f},
      {OpKind::Log, {}, 0.999f, 1.001f},  // log near 1: relative accuracy
      {OpKind::Floor, {}, -6.f, 6.f},
      {OpKind::Ceil, {}, -6.f, 6.f},
      {OpKind::Round, {}, -6.f, 6.f},
      {OpKind::Sign, {}, -6.f, 6.f},
      {OpKind::Shrink, {}, -2.f, 2.f},
      {OpKind::Shrink, {{"lambd", 1.0}, {"bias", 0.25}}, -2.f, 2.f},
  };
  for (const Case& c : cases) {
    INFO(ir::opName(c.kind) << " on [" << c.lo << ", " << c.hi << "]");
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({3, 37}));
    g.outputs.push_back(op(g, c.kind, {x}, c.attrs));
    TensorMap inputs;
    inputs["x"] = randomTensor({3, 37}, rng, c.lo, c.hi);
    checkAgainstReference(g, inputs);
  }
}

TEST_CASE("cpu: fused_elementwise chain of ONNX activations with params", "[cpu][elementwise]") {
  auto rng = makeRng("fused-onnx");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 8, 9}));
  ir::Value* y = g.addInput("y", ir::TensorType::f32({8, 1}));
  ir::AttrMap attrs;
  attrs["steps"] = std::vector<std::string>{"add", "hard_sigmoid", "elu", "neg", "selu", "softplus", "erf"};
  attrs["params"] = std::vector<double>{0, 0, 0.4, 0.3, 0.7, 0, 0, 0, 1.5, 1.2, 0, 0, 0, 0};
  g.outputs.push_back(op(g, OpKind::FusedElementwise, {x, y}, attrs));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 8, 9}, rng, -4.f, 4.f);
  inputs["y"] = randomTensor({8, 1}, rng);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cpu: fused_elementwise chain", "[cpu][elementwise]") {
  auto rng = makeRng("fused");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 8, 9}));
  ir::Value* y = g.addInput("y", ir::TensorType::f32({8, 1}));
  ir::Value* z = g.addInput("z", ir::TensorType::f32({9}));
  ir::AttrMap attrs;
  attrs["steps"] = std::vector<std::string>{"add", "relu", "mul", "tanh", "clip", "sigmoid"};
  attrs["params"] = std::vector<double>{0, 0, 0, 0, 0, 0, 0, 0, -0.3, 0.3, 0, 0};
  g.outputs.push_back(op(g, OpKind::FusedElementwise, {x, y, z}, attrs));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 8, 9}, rng);
  inputs["y"] = randomTensor({8, 1}, rng);
  inputs["z"] = randomTensor({9}, rng);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cpu: i64 arithmetic", "[cpu][elementwise]") {
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::i64({4}));
  ir::Value* c = g.addConstant(ir::makeI64({1}, {3}));
  ir::Value* s = op(g, OpKind::Mul, {x, c});
  g.outputs.push_back(op(g, OpKind::Div, {s, g.addConstant(ir::makeI64({1}, {2}))}));
  TensorMap inputs;
  inputs["x"] = Tensor::i64({4}, {1, -7, 20, 5});
  checkAgainstReference(g, inputs);
}

TEST_CASE("cpu: pow (general and by constant exponents), prelu, i64 max/min", "[cpu][elementwise]") {
  auto rng = makeRng("pow");
  auto run = [&](ir::Graph& g, TensorMap& inputs) { checkAgainstReference(g, inputs); };
  {
    INFO("pow: positive bases, any exponent, broadcast");
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({3, 37}));
    ir::Value* y = g.addInput("y", ir::TensorType::f32({37}));
    g.outputs.push_back(op(g, OpKind::Pow, {x, y}));
    TensorMap inputs{{"x", randomTensor({3, 37}, rng, 0.05f, 5.f)},
                     {"y", randomTensor({37}, rng, -3.f, 3.f)}};
    run(g, inputs);
  }
  {
    INFO("pow: negative bases with integral exponents (odd ones keep the sign)");
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({4, 9}));
    ir::Value* y = g.addInput("y", ir::TensorType::f32({4, 9}));
    g.outputs.push_back(op(g, OpKind::Pow, {x, y}));
    Tensor exponents(ElementType::F32, {4, 9});
    for (int64_t i = 0; i < exponents.numElements(); ++i) exponents.f32()[i] = float(i % 7 - 3);
    TensorMap inputs{{"x", randomTensor({4, 9}, rng, -3.f, 3.f)}, {"y", exponents}};
    run(g, inputs);
  }
  for (double exponent : {2.0, 0.5, 3.0, -1.0, 1.0, 0.0, 1.7}) {
    INFO("pow by the constant " << exponent);
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({5, 13}));
    ir::Value* e = g.addConstant(ir::makeF32({}, {float(exponent)}));
    g.outputs.push_back(op(g, OpKind::Pow, {x, e}));
    TensorMap inputs{{"x", randomTensor({5, 13}, rng, 0.01f, 4.f)}};
    run(g, inputs);
  }
  for (std::vector<int64_t> slope : {std::vector<int64_t>{5, 1, 1}, {1}, {3, 3}}) {
    INFO("prelu with a slope of rank " << slope.size());
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 5, 3, 3}));
    ir::Value* s = g.addConstant(randomData(slope, rng, 0.f, 0.5f));
    g.outputs.push_back(op(g, OpKind::PRelu, {x, s}));
    TensorMap inputs{{"x", randomTensor({2, 5, 3, 3}, rng)}};
    run(g, inputs);
  }
  for (OpKind kind : {OpKind::Max, OpKind::Min}) {
    INFO(ir::opName(kind) << " on i64");
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::i64({3, 7}));
    ir::Value* y = g.addInput("y", ir::TensorType::i64({7}));
    g.outputs.push_back(op(g, kind, {x, y}));
    Tensor a(ElementType::I64, {3, 7}), b(ElementType::I64, {7});
    for (int64_t i = 0; i < 21; ++i) a.i64()[i] = int64_t(rng() % 100) - 50;
    for (int64_t i = 0; i < 7; ++i) b.i64()[i] = int64_t(rng() % 100) - 50;
    TensorMap inputs{{"x", a}, {"y", b}};
    run(g, inputs);
  }
}

TEST_CASE("cpu: fused_elementwise with prelu, max, min and pow steps", "[cpu][elementwise]") {
  auto rng = makeRng("fused-binary");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 8, 9}));
  ir::Value* slope = g.addConstant(randomData({8, 1}, rng, 0.f, 0.5f));
  ir::Value* floor = g.addInput("floor", ir::TensorType::f32({9}));
  ir::Value* two = g.addConstant(ir::makeF32({}, {2.0f}));
  ir::Value* cap = g.addInput("cap", ir::TensorType::f32({2, 1, 1}));
  ir::AttrMap attrs{{"steps", std::vector<std::string>{"prelu", "max", "pow", "min"}}};
  g.outputs.push_back(op(g, OpKind::FusedElementwise, {x, slope, floor, two, cap}, attrs));
  TensorMap inputs{{"x", randomTensor({2, 8, 9}, rng)},
                   {"floor", randomTensor({9}, rng, -1.f, 0.f)},
                   {"cap", randomTensor({2, 1, 1}, rng, 0.5f, 3.f)}};
  checkAgainstReference(g, inputs);
}
