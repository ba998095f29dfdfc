// Elementwise ops: numpy-broadcasting binary arithmetic (add..div, max, min
// on f32 and i64; pow and prelu on f32), the unary activations and math (neg,
// abs, sqrt, reciprocal, erf, log, floor, ceil, round, sign, shrink), and
// fused_elementwise chains built from the
// same scalar functions so that a fused chain equals its unfused nodes
// exactly.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

float applyActivation(const ir::Activation& act, float x) {
  double v = x;
  using K = ir::OpKind;
  switch (act.op) {
    case K::Relu: return x < 0.0f ? 0.0f : x;  // keeps NaN, like max(x, 0) in numpy
    case K::LeakyRelu: return x < 0.0f ? float(act.p0 * v) : x;
    case K::Sigmoid: return float(1.0 / (1.0 + std::exp(-v)));
    case K::Tanh: return float(std::tanh(v));
    case K::Clip: return x < act.p0 ? float(act.p0) : (x > act.p1 ? float(act.p1) : x);
    case K::Exp: return float(std::exp(v));
    case K::HardSigmoid: return float(std::max(0.0, std::min(1.0, act.p0 * v + act.p1)));
    case K::HardSwish: return float(v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5)));
    case K::Elu: return x < 0.0f ? float(act.p0 * std::expm1(v)) : x;
    case K::Selu: return float(x > 0.0f ? act.p1 * v : act.p1 * act.p0 * std::expm1(v));
    // log(exp(x) + 1) without overflow: max(x, 0) + log1p(exp(-|x|)).
    case K::Softplus: return float(std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v))));
    case K::Softsign: return float(v / (1.0 + std::fabs(v)));
    case K::Neg: return -x;
    case K::Abs: return std::fabs(x);
    case K::Sqrt: return float(std::sqrt(v));
    case K::Reciprocal: return float(1.0 / v);
    case K::Erf: return float(std::erf(v));
    case K::ThresholdedRelu: return x > act.p0 ? x : 0.0f;
    case K::Celu: return float(std::max(0.0, v) + std::min(0.0, act.p0 * std::expm1(v / act.p0)));
    case K::Log: return float(std::log(v));
    case K::Floor: return std::floor(x);
    case K::Ceil: return std::ceil(x);
    case K::Round: return std::nearbyint(x);                      // the default rounding mode: half to even
    case K::Sign: return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;  // keeps 0 and NaN
    case K::Shrink: return x < -act.p0 ? float(v + act.p1) : x > act.p0 ? float(v - act.p1) : 0.0f;
    default: return x;  // none; ir::Activation holds no other op
  }
}

namespace {

float applyBinaryF32(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return float(std::pow(double(a), double(b)));
    // numpy's maximum and minimum: a NaN operand gives NaN.
    case BinaryOp::Max: return std::isnan(a) || std::isnan(b) ? a + b : (a > b ? a : b);
    case BinaryOp::Min: return std::isnan(a) || std::isnan(b) ? a + b : (a < b ? a : b);
    case BinaryOp::PRelu: return a < 0.0f ? b * a : a;
  }
  return 0.0f;
}

BinaryOp binaryOf(ir::OpKind op) {
  switch (op) {
    case ir::OpKind::Sub: return BinaryOp::Sub;
    case ir::OpKind::Mul: return BinaryOp::Mul;
    case ir::OpKind::Div: return BinaryOp::Div;
    case ir::OpKind::Pow: return BinaryOp::Pow;
    case ir::OpKind::Max: return BinaryOp::Max;
    case ir::OpKind::Min: return BinaryOp::Min;
    case ir::OpKind::PRelu: return BinaryOp::PRelu;
    default: return BinaryOp::Add;
  }
}

}  // namespace

Results runBinary(const ir::Node& node, const Operands& ops, BinaryOp op) {
  const Tensor& a = *ops[0];
  const Tensor& b = *ops[1];
  if (a.type() != b.type())
    return nodeError(node, fmt::format("operand dtypes differ: {} and {}", a.typeString(), b.typeString()));
  NUTSHELL_ASSIGN(std::vector<int64_t> shape, broadcastShape(node, a.shape(), b.shape()));
  if (op == BinaryOp::PRelu && shape != a.shape())
    return nodeError(node,
                     fmt::format("slope {} does not broadcast to x {}", b.typeString(), a.typeString()));
  if ((op == BinaryOp::Pow || op == BinaryOp::PRelu) && a.type() != ElementType::F32)
    return nodeError(node, fmt::format("takes f32 operands, got {}", a.typeString()));
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, a.type(), shape));
  std::vector<std::vector<int64_t>> strides = {broadcastStrides(a.shape(), shape), broadcastStrides(b.shape(), shape)};
  if (a.type() == ElementType::F32) {
    const float* pa = a.f32();
    const float* pb = b.f32();
    float* po = out.f32();
    forEachBroadcast(shape, strides,
                     [&](int64_t i, const int64_t* off) { po[i] = applyBinaryF32(op, pa[off[0]], pb[off[1]]); });
    return single(std::move(out));
  }
  // i64: shape arithmetic. Wrap-around on overflow (done in unsigned to stay
  // defined); division truncates toward zero and rejects division by zero.
  const int64_t* pa = a.i64();
  const int64_t* pb = b.i64();
  int64_t* po = out.i64();
  bool divByZero = false;
  forEachBroadcast(shape, strides, [&](int64_t i, const int64_t* off) {
    int64_t x = pa[off[0]];
    int64_t y = pb[off[1]];
    uint64_t ux = uint64_t(x), uy = uint64_t(y);
    switch (op) {
      case BinaryOp::Add: po[i] = int64_t(ux + uy); break;
      case BinaryOp::Sub: po[i] = int64_t(ux - uy); break;
      case BinaryOp::Mul: po[i] = int64_t(ux * uy); break;
      case BinaryOp::Max: po[i] = std::max(x, y); break;
      case BinaryOp::Min: po[i] = std::min(x, y); break;
      case BinaryOp::Pow:
      case BinaryOp::PRelu: break;  // f32 only, rejected above
      case BinaryOp::Div:
        if (y == 0) {
          divByZero = true;
          po[i] = 0;
        } else if (y == -1) {
          po[i] = int64_t(0 - ux);  // INT64_MIN / -1 wraps instead of trapping
        } else {
          po[i] = x / y;
        }
        break;
    }
  });
  if (divByZero) return nodeError(node, "integer division by zero");
  return single(std::move(out));
}

Results runUnary(const ir::Node& node, const Operands& ops) {
  NUTSHELL_TRY(requireF32(node, ops, 0, "input"));
  const ir::Activation act = *ir::activationOf(node);  // the dispatch sends unary ops only
  const Tensor& x = *ops[0];
  Tensor out(ElementType::F32, x.shape());
  const float* px = x.f32();
  float* po = out.f32();
  for (int64_t i = 0; i < x.numElements(); ++i) po[i] = applyActivation(act, px[i]);
  return single(std::move(out));
}

Results runFusedElementwise(const ir::Node& node, const Operands& ops) {
  NUTSHELL_ASSIGN(std::vector<ir::ChainStep> steps, ir::chainSteps(node));
  std::vector<int64_t> shape = ops[0]->shape();
  for (size_t k = 0; k < ops.size(); ++k) {
    NUTSHELL_TRY(requireF32(node, ops, k, "operand"));
    NUTSHELL_ASSIGN(shape, broadcastShape(node, shape, ops[k]->shape()));
  }
  std::vector<BinaryOp> binary;
  for (const ir::ChainStep& step : steps) binary.push_back(binaryOf(step.op));
  std::vector<std::vector<int64_t>> strides;
  std::vector<const float*> data;
  for (const Tensor* t : ops) {
    strides.push_back(broadcastStrides(t->shape(), shape));
    data.push_back(t->f32());
  }
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::F32, shape));
  float* po = out.f32();
  forEachBroadcast(shape, strides, [&](int64_t i, const int64_t* off) {
    float acc = data[0][off[0]];
    size_t next = 1;
    for (size_t s = 0; s < steps.size(); ++s) {
      if (steps[s].isBinary()) {
        acc = applyBinaryF32(binary[s], acc, data[next][off[next]]);
        ++next;
      } else {
        acc = applyActivation(steps[s].act, acc);
      }
    }
    po[i] = acc;
  });
  return single(std::move(out));
}

}  // namespace nutshell::reference
