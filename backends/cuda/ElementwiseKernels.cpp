// Elementwise kernels: one thread per output element over the broadcast plan
// (backends/common/BroadcastPlan.h), each operand's offset from its strides;
// a plain unary or binary node is a one-step chain, so one emitter serves
// them all and fused_elementwise equals its unfused nodes. Also batch_norm
// (per channel) and the copies of reshape-like ops.
#include <string>

#include "backends/common/BroadcastPlan.h"
#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

namespace {

Status requireF32(const ir::Node& node) {
  for (const ir::Value* v : node.operands)
    if (v->type.dtype != ir::DType::F32) return noKernel(node, "i64 operands");
  for (const ir::Value* v : node.results)
    if (v->type.dtype != ir::DType::F32) return noKernel(node, "i64 results");
  return Status::success();
}

}  // namespace

namespace {

/// i64 shape arithmetic as the reference does it: wrap-around (in
/// unsigned), division truncating toward zero; a division by zero, which the
/// reference rejects, gives 0 on the device.
Expected<std::string> binaryI64Expr(const ir::Node& node, const std::string& a, const std::string& b) {
  using K = ir::OpKind;
  auto wrap = [&](const char* op) {
    return "(long long)((unsigned long long)" + a + " " + op + " (unsigned long long)" + b + ")";
  };
  switch (node.op) {
    case K::Add: return wrap("+");
    case K::Sub: return wrap("-");
    case K::Mul: return wrap("*");
    case K::Max: return "(" + a + " > " + b + " ? " + a + " : " + b + ")";
    case K::Min: return "(" + a + " < " + b + " ? " + a + " : " + b + ")";
    case K::Div:
      return "(" + b + " == 0 ? 0LL : (" + b + " == -1 ? (long long)(0ULL - (unsigned long long)" + a +
             ") : " + a + " / " + b + "))";
    default: return noKernel(node, "i64 operands");
  }
}

}  // namespace

Expected<KernelSource> emitElementwise(const ir::Node& node) {
  const bool isI64 = node.results[0]->type.dtype == ir::DType::I64;
  if (!isI64) NUTSHELL_TRY(requireF32(node));
  for (const ir::Value* v : node.operands)
    if (isI64 && v->type.dtype != ir::DType::I64) return noKernel(node, "mixed dtypes");
  NUTSHELL_ASSIGN(std::vector<ir::ChainStep> steps, ir::chainSteps(node));
  if (isI64 && (steps.size() != 1 || !steps[0].isBinary())) return noKernel(node, "i64 operands");
  std::vector<std::vector<int64_t>> shapes;
  for (const ir::Value* v : node.operands) shapes.push_back(v->type.shape());
  const std::vector<int64_t> outShape = node.results[0]->type.shape();
  NUTSHELL_ASSIGN(common::BroadcastPlan plan, common::planBroadcast(outShape, shapes));
  const int64_t total = node.results[0]->type.numElements();
  KernelSource k;
  std::string body = "  " + gridStrideLoop("i", total) + " {\n    long long r = i;\n";
  for (size_t op = 0; op < shapes.size(); ++op) body += "    long long o" + std::to_string(op) + " = 0;\n";
  for (size_t d = plan.dims.size(); d-- > 0;) {
    body += "    { long long c = r % " + std::to_string(plan.dims[d]) +
            "LL; r /= " + std::to_string(plan.dims[d]) + "LL;";
    for (size_t op = 0; op < shapes.size(); ++op)
      if (plan.strides[op][d] != 0)
        body += " o" + std::to_string(op) + " += c * " + std::to_string(plan.strides[op][d]) + "LL;";
    body += " }\n";
  }
  body += std::string("    ") + (isI64 ? "long long" : "float") + " acc = x0[o0];\n";
  size_t next = 1;
  for (const ir::ChainStep& step : steps) {
    if (step.isBinary()) {
      std::string b = "x" + std::to_string(next) + "[o" + std::to_string(next) + "]";
      ++next;
      Expected<std::string> e = isI64 ? binaryI64Expr(node, "acc", b) : binaryExpr(step.op, "acc", b);
      if (!e) return e.error();
      body += "    acc = " + *e + ";\n";
    } else {
      body += "    acc = " + activationExpr(step.act, "acc") + ";\n";
    }
  }
  body += "    y0[i] = acc;\n  }\n";
  k.body = body;
  launchElementwise(k, total);
  k.summary = std::string(isI64 ? "i64 " : "") + "elementwise, " + std::to_string(steps.size()) +
              " step(s), " + std::to_string(plan.dims.size()) + "-d broadcast";
  return k;
}

Expected<KernelSource> emitBatchNorm(const ir::Node& node) {
  NUTSHELL_TRY(requireF32(node));
  const std::vector<int64_t> shape = node.operands[0]->type.shape();
  if (shape.size() < 2) return noKernel(node, "rank below 2");
  int64_t inner = 1;
  for (size_t d = 2; d < shape.size(); ++d) inner *= shape[d];
  const int64_t total = node.results[0]->type.numElements();
  KernelSource k;
  k.body = "  " + gridStrideLoop("i", total) + " {\n    long long c = (i / " + std::to_string(inner) +
           "LL) % " + std::to_string(shape[1]) + "LL;\n    y0[i] = (x0[i] - x3[c]) / sqrtf(x4[c] + " +
           floatLiteral(node.getFloat("epsilon")) + ") * x1[c] + x2[c];\n  }\n";
  launchElementwise(k, total);
  k.summary = "batch_norm per channel";
  return k;
}

Expected<KernelSource> emitCopy(const ir::Node& node) {
  const int64_t total = node.results[0]->type.numElements();
  KernelSource k;
  k.body = "  " + gridStrideLoop("i", total) + " y0[i] = x0[i];\n";
  launchElementwise(k, total);
  k.summary = "copy";
  return k;
}

}  // namespace nutshell::cuda
