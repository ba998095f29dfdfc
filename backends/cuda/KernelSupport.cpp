// The pieces of kernel text every family uses: literals, the activation and
// binary-op expressions (the reference interpreter's formulas, in f32), grid
// stride loops and offset tables.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

Error noKernel(const ir::Node& node, const std::string& why) {
  return makeUnsupported(std::string(node.info().name) + " %" + node.name() +
                         (why.empty() ? "" : " (" + why + ")"));
}

std::string floatLiteral(double value) {
  if (std::isnan(value)) return "__int_as_float(0x7fc00000)";
  if (std::isinf(value)) return value > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(0xff800000)";
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", float(value));
  std::string s = text;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return "(" + s + "f)";
}

std::string activationExpr(const ir::Activation& act, const std::string& v) {
  using K = ir::OpKind;
  const std::string p0 = floatLiteral(act.p0), p1 = floatLiteral(act.p1);
  switch (act.op) {
    case K::Relu: return "(" + v + " < 0.0f ? 0.0f : " + v + ")";
    case K::LeakyRelu: return "(" + v + " < 0.0f ? " + p0 + " * " + v + " : " + v + ")";
    case K::Sigmoid: return "(1.0f / (1.0f + expf(-" + v + ")))";
    case K::Tanh: return "tanhf(" + v + ")";
    case K::Clip:
      return "(" + v + " < " + p0 + " ? " + p0 + " : (" + v + " > " + p1 + " ? " + p1 + " : " + v + "))";
    case K::Exp: return "expf(" + v + ")";
    case K::HardSigmoid: return "fmaxf(0.0f, fminf(1.0f, " + p0 + " * " + v + " + " + p1 + "))";
    case K::HardSwish: return "(" + v + " * fmaxf(0.0f, fminf(1.0f, " + v + " / 6.0f + 0.5f)))";
    case K::Elu: return "(" + v + " < 0.0f ? " + p0 + " * expm1f(" + v + ") : " + v + ")";
    case K::Selu:
      return "(" + v + " > 0.0f ? " + p1 + " * " + v + " : " + p1 + " * " + p0 + " * expm1f(" + v + "))";
    case K::Softplus: return "(fmaxf(" + v + ", 0.0f) + log1pf(expf(-fabsf(" + v + "))))";
    case K::Softsign: return "(" + v + " / (1.0f + fabsf(" + v + ")))";
    case K::Neg: return "(-" + v + ")";
    case K::Abs: return "fabsf(" + v + ")";
    case K::Sqrt: return "sqrtf(" + v + ")";
    case K::Reciprocal: return "(1.0f / " + v + ")";
    case K::Erf: return "erff(" + v + ")";
    case K::ThresholdedRelu: return "(" + v + " > " + p0 + " ? " + v + " : 0.0f)";
    case K::Celu:
      return "(fmaxf(0.0f, " + v + ") + fminf(0.0f, " + p0 + " * expm1f(" + v + " / " + p0 + ")))";
    case K::Log: return "logf(" + v + ")";
    case K::Floor: return "floorf(" + v + ")";
    case K::Ceil: return "ceilf(" + v + ")";
    case K::Round: return "rintf(" + v + ")";
    case K::Sign: return "(" + v + " > 0.0f ? 1.0f : (" + v + " < 0.0f ? -1.0f : " + v + "))";
    case K::Shrink:
      return "(" + v + " < -" + p0 + " ? " + v + " + " + p1 + " : (" + v + " > " + p0 + " ? " + v + " - " +
             p1 + " : 0.0f))";
    default: return v;  // none: ir::Activation holds no other op
  }
}

Expected<std::string> binaryExpr(ir::OpKind op, const std::string& a, const std::string& b) {
  using K = ir::OpKind;
  switch (op) {
    case K::Add: return "(" + a + " + " + b + ")";
    case K::Sub: return "(" + a + " - " + b + ")";
    case K::Mul: return "(" + a + " * " + b + ")";
    case K::Div: return "(" + a + " / " + b + ")";
    case K::Pow: return "powf(" + a + ", " + b + ")";
    // numpy's maximum / minimum: a NaN operand gives NaN.
    case K::Max:
      return "((" + a + " != " + a + " || " + b + " != " + b + ") ? " + a + " + " + b + " : fmaxf(" + a +
             ", " + b + "))";
    case K::Min:
      return "((" + a + " != " + a + " || " + b + " != " + b + ") ? " + a + " + " + b + " : fminf(" + a +
             ", " + b + "))";
    case K::PRelu: return "(" + a + " < 0.0f ? " + b + " * " + a + " : " + a + ")";
    default: return makeError("no binary expression for " + std::string(ir::opInfo(op).name));
  }
}

std::string gridStrideLoop(const std::string& index, int64_t total) {
  return "for (long long " + index + " = (long long)blockIdx.x * blockDim.x + threadIdx.x; " + index + " < " +
         std::to_string(total) + "LL; " + index + " += (long long)gridDim.x * blockDim.x)";
}

void launchElementwise(KernelSource& kernel, int64_t total) {
  constexpr int64_t kThreads = 256, kMaxBlocks = 65535;
  kernel.block[0] = unsigned(kThreads);
  kernel.grid[0] =
      unsigned(std::max<int64_t>(1, std::min<int64_t>((total + kThreads - 1) / kThreads, kMaxBlocks)));
}

std::string deviceTable(const std::string& name, const std::vector<int64_t>& values) {
  std::string text = "__device__ const long long $K_" + name + "[] = {";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + std::to_string(values[i]) + "LL";
  if (values.empty()) text += "0LL";
  return text + "};\n";
}

}  // namespace nutshell::cuda
