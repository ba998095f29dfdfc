// Elementwise ops: numpy-broadcasting binary arithmetic (f32 and i64), the
// unary activations, and fused_elementwise chains built from the same scalar
// functions so that a fused chain equals its unfused nodes exactly.
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

bool isUnaryName(const std::string& name) {
  return name == "relu" || name == "leaky_relu" || name == "sigmoid" || name == "tanh" || name == "clip" ||
         name == "exp";
}

float applyUnary(const std::string& name, float x, double p0, double p1) {
  double v = x;
  if (name == "relu") return x < 0.0f ? 0.0f : x;  // keeps NaN, like max(x, 0) in numpy
  if (name == "leaky_relu") return x < 0.0f ? float(p0 * v) : x;
  if (name == "sigmoid") return float(1.0 / (1.0 + std::exp(-v)));
  if (name == "tanh") return float(std::tanh(v));
  if (name == "clip") return x < p0 ? float(p0) : (x > p1 ? float(p1) : x);
  if (name == "exp") return float(std::exp(v));
  return x;  // "none"
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Default parameters of a unary step when none are given.
void defaultParams(const std::string& name, double& p0, double& p1) {
  p0 = name == "leaky_relu" ? 0.01 : name == "clip" ? -kInf : 0.0;
  p1 = name == "clip" ? kInf : 0.0;
}

float applyBinaryF32(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return 0.0f;
}

std::optional<BinaryOp> binaryByName(const std::string& name) {
  if (name == "add") return BinaryOp::Add;
  if (name == "sub") return BinaryOp::Sub;
  if (name == "mul") return BinaryOp::Mul;
  if (name == "div") return BinaryOp::Div;
  return std::nullopt;
}

}  // namespace

Expected<Activation> readActivation(const ir::Node& node) {
  Activation act;
  act.name = node.getString("act");
  const std::vector<double>& params = node.getFloats("act_params");
  if (act.name != "none" && !isUnaryName(act.name))
    return nodeError(node, fmt::format("unknown activation '{}' (expected none|relu|leaky_relu|sigmoid|tanh|clip)",
                                       act.name));
  defaultParams(act.name, act.p0, act.p1);
  if (act.name == "leaky_relu" && !params.empty()) {
    if (params.size() != 1)
      return nodeError(node, fmt::format("leaky_relu takes act_params [alpha], got {} values", params.size()));
    act.p0 = params[0];
  }
  if (act.name == "clip" && !params.empty()) {
    if (params.size() != 2)
      return nodeError(node, fmt::format("clip takes act_params [min,max], got {} values", params.size()));
    act.p0 = params[0];
    act.p1 = params[1];
  }
  return act;
}

Results runBinary(const ir::Node& node, const Operands& ops, BinaryOp op) {
  const Tensor& a = *ops[0];
  const Tensor& b = *ops[1];
  if (a.type() != b.type())
    return nodeError(node, fmt::format("operand dtypes differ: {} and {}", a.typeString(), b.typeString()));
  NUTSHELL_ASSIGN(std::vector<int64_t> shape, broadcastShape(node, a.shape(), b.shape()));
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
  std::string name(ir::opName(node.op));
  double p0 = 0.0, p1 = 0.0;
  defaultParams(name, p0, p1);
  if (node.op == ir::OpKind::LeakyRelu) p0 = node.getFloat("alpha");
  if (node.op == ir::OpKind::Clip) {
    p0 = node.getFloat("min");
    p1 = node.getFloat("max");
  }
  const Tensor& x = *ops[0];
  Tensor out(ElementType::F32, x.shape());
  const float* px = x.f32();
  float* po = out.f32();
  for (int64_t i = 0; i < x.numElements(); ++i) po[i] = applyUnary(name, px[i], p0, p1);
  return single(std::move(out));
}

Results runFusedElementwise(const ir::Node& node, const Operands& ops) {
  const std::vector<std::string>& steps = node.getStrings("steps");
  const std::vector<double>& params = node.getFloats("params");
  if (!params.empty() && params.size() != 2 * steps.size())
    return nodeError(node, fmt::format("params must hold 2 values per step ({} steps), got {}", steps.size(),
                                       params.size()));
  size_t binarySteps = 0;
  for (const std::string& s : steps) {
    if (binaryByName(s)) {
      ++binarySteps;
    } else if (!isUnaryName(s)) {
      return nodeError(node, fmt::format("unknown step '{}'", s));
    }
  }
  if (binarySteps != ops.size() - 1)
    return nodeError(node, fmt::format("{} binary steps need {} operands, got {}", binarySteps, binarySteps + 1,
                                       ops.size()));
  std::vector<int64_t> shape = ops[0]->shape();
  for (size_t k = 0; k < ops.size(); ++k) {
    NUTSHELL_TRY(requireF32(node, ops, k, "operand"));
    NUTSHELL_ASSIGN(shape, broadcastShape(node, shape, ops[k]->shape()));
  }
  // Per-step kinds and parameters, resolved once.
  std::vector<std::optional<BinaryOp>> binary(steps.size());
  std::vector<double> p0(steps.size()), p1(steps.size());
  for (size_t s = 0; s < steps.size(); ++s) {
    binary[s] = binaryByName(steps[s]);
    defaultParams(steps[s], p0[s], p1[s]);
    if (!params.empty()) {
      p0[s] = params[2 * s];
      p1[s] = params[2 * s + 1];
    }
  }
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
      if (binary[s]) {
        acc = applyBinaryF32(*binary[s], acc, data[next][off[next]]);
        ++next;
      } else {
        acc = applyUnary(steps[s], acc, p0[s], p1[s]);
      }
    }
    po[i] = acc;
  });
  return single(std::move(out));
}

}  // namespace nutshell::reference
