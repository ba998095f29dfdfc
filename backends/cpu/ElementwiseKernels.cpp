// Elementwise kernels: add/sub/mul/div/max/min (numpy broadcasting; f32 and
// i64), pow and prelu (f32), the unary activations and math, and
// fused_elementwise chains. pow by a constant exponent takes the exact cheap
// form (x*x for 2, sqrt for 0.5, ...); otherwise exp(b*log|a|) with numpy's
// signs.
//
// The output is viewed as rows x inner after coalescing dimensions that every
// operand walks contiguously (or broadcasts) together (the backend-neutral
// plan, backends/common/BroadcastPlan.h), so the inner loop always reads
// each operand with stride 1 (a vector load) or 0 (a splat).
// Long rows are cut into chunks so that even a single contiguous tensor is
// spread over the threads. The tail of a row uses masked loads and stores.
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>

#include "backends/common/BroadcastPlan.h"
#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {
namespace {

/// numpy's power on f32: exp(b*log|a|), negated for a negative base with an
/// odd integral exponent, NaN for a negative base with a fractional one;
/// b = 0 or a = 1 give 1 (even for NaN).
llvm::Value* power(KernelBuilder& kb, llvm::Value* a, llvm::Value* y) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* type = a->getType();
  auto c = [&](double v) { return kb.fconst(type, v); };
  llvm::Value* magnitude = kb.exp(b.CreateFMul(y, kb.log(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, a))));
  llvm::Value* integral = b.CreateFCmpOEQ(b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, y), y);
  llvm::Value* half = b.CreateFMul(y, c(0.5));
  llvm::Value* odd =
      b.CreateAnd(integral, b.CreateFCmpONE(b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, half), half));
  llvm::Value* negativeBase = b.CreateFCmpOLT(a, c(0.0));
  llvm::Value* signed_ = b.CreateSelect(odd, b.CreateFNeg(magnitude), magnitude);
  llvm::Value* r =
      b.CreateSelect(negativeBase, b.CreateSelect(integral, signed_, c(std::nan(""))), magnitude);
  llvm::Value* one = b.CreateOr(b.CreateFCmpOEQ(y, c(0.0)), b.CreateFCmpOEQ(a, c(1.0)));
  return b.CreateSelect(one, c(1.0), r);
}

/// pow with an exponent known at compile time: the cheap exact forms where
/// one exists (x*x, sqrt, ...), else the general power.
llvm::Value* powerBy(KernelBuilder& kb, llvm::Value* a, double exponent) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* type = a->getType();
  if (exponent == 0.0) return kb.fconst(type, 1.0);
  if (exponent == 1.0) return a;
  if (exponent == 2.0) return b.CreateFMul(a, a);
  if (exponent == 3.0) return b.CreateFMul(b.CreateFMul(a, a), a);
  if (exponent == -1.0) return b.CreateFDiv(kb.fconst(type, 1.0), a);
  // sqrt differs from pow only at -0 and -inf (pow gives +0 and +inf).
  if (exponent == 0.5) return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, a);
  return power(kb, a, kb.fconst(type, exponent));
}

llvm::Value* applyBinary(KernelBuilder& kb, ir::OpKind op, llvm::Value* x, llvm::Value* y, bool isFloat,
                         bool isUnsigned) {
  llvm::IRBuilder<>& b = kb.b;
  using K = ir::OpKind;
  if (isFloat) {
    switch (op) {
      case K::Add: return b.CreateFAdd(x, y);
      case K::Sub: return b.CreateFSub(x, y);
      case K::Mul: return b.CreateFMul(x, y);
      case K::Pow: return power(kb, x, y);
      // numpy's maximum/minimum: x + y is NaN when either is.
      case K::Max:
        return b.CreateSelect(b.CreateFCmpUNO(x, y), b.CreateFAdd(x, y),
                              b.CreateSelect(b.CreateFCmpOGT(x, y), x, y));
      case K::Min:
        return b.CreateSelect(b.CreateFCmpUNO(x, y), b.CreateFAdd(x, y),
                              b.CreateSelect(b.CreateFCmpOLT(x, y), x, y));
      case K::PRelu:
        return b.CreateSelect(b.CreateFCmpOLT(x, kb.fconst(x->getType(), 0.0)), b.CreateFMul(y, x), x);
      default: return b.CreateFDiv(x, y);
    }
  }
  if (op == K::Add) return b.CreateAdd(x, y);
  if (op == K::Sub) return b.CreateSub(x, y);
  if (op == K::Mul) return b.CreateMul(x, y);
  if (op == K::Max) return b.CreateSelect(isUnsigned ? b.CreateICmpUGT(x, y) : b.CreateICmpSGT(x, y), x, y);
  if (op == K::Min) return b.CreateSelect(isUnsigned ? b.CreateICmpULT(x, y) : b.CreateICmpSLT(x, y), x, y);
  // Integer division truncates like C++; a zero divisor gives 0 instead of a trap.
  llvm::Value* zero = llvm::Constant::getNullValue(y->getType());
  llvm::Value* isZero = b.CreateICmpEQ(y, zero);
  llvm::Value* safe = b.CreateSelect(isZero, llvm::ConstantInt::get(y->getType(), 1), y);
  return b.CreateSelect(isZero, zero, isUnsigned ? b.CreateUDiv(x, safe) : b.CreateSDiv(x, safe));
}

/// The one value of operand k when it is a constant holding a single value
/// repeated (pow's exponent 2 or 0.5), else nullopt.
std::optional<double> uniformConstant(const KernelBuilder& kb, size_t k) {
  const ir::TensorData* data = kb.constantOperand(k);
  if (!data || data->type.dtype != ir::DType::F32 || data->f32.empty()) return std::nullopt;
  for (float v : data->f32)
    if (!(v == data->f32[0])) return std::nullopt;
  return data->f32[0];
}

}  // namespace

Expected<KernelInfo> emitElementwise(KernelBuilder& kb) {
  NUTSHELL_ASSIGN(std::vector<ir::ChainStep> steps, ir::chainSteps(kb.node));
  const ir::Node& node = kb.node;
  bool isFloat = kb.resultType() == ir::DType::F32;
  bool isUnsigned = kb.resultType() == ir::DType::U8;
  for (size_t k = 0; k < node.operands.size(); ++k)
    if (kb.operandType(k) != kb.resultType())
      return kb.error(fmt::format("operand {} is {} but the result is {}", k, node.operands[k]->type.str(),
                                  node.result()->type.str()));
  if (!isFloat)
    for (const ir::ChainStep& s : steps)
      if ((!s.isBinary() && s.op != ir::OpKind::Relu) || s.op == ir::OpKind::Pow || s.op == ir::OpKind::PRelu)
        return kb.error(fmt::format("'{}' on {} values is not supported", ir::opName(s.op),
                                    ir::dtypeName(kb.resultType())));
  // A pow step whose exponent is one constant value: x*x, sqrt, ... (powerBy).
  std::vector<std::optional<double>> exponents;
  for (size_t i = 0, next = 1; i < steps.size(); ++i) {
    if (!steps[i].isBinary()) continue;
    exponents.push_back(steps[i].op == ir::OpKind::Pow ? uniformConstant(kb, next) : std::nullopt);
    ++next;
  }

  // Rows x inner over coalesced dims, with per-operand strides (BroadcastPlan.h).
  size_t numOperands = node.operands.size();
  std::vector<std::vector<int64_t>> operandShapes;
  for (size_t k = 0; k < numOperands; ++k) operandShapes.push_back(kb.operandShape(k));
  Expected<common::BroadcastPlan> plan = common::planBroadcast(kb.resultShape(), operandShapes);
  if (!plan) return kb.error(plan.message());
  const std::vector<std::vector<int64_t>>& coalesced = plan->strides;
  const int64_t inner = plan->inner();
  const std::vector<int64_t> rowDims = plan->rowDims();
  const int64_t rows = plan->rows();
  const int W = kb.W;
  const int64_t maxChunk = 4096;
  const int64_t chunk = inner <= maxChunk ? inner : maxChunk;  // a multiple of W when split
  const int64_t numChunks = (inner + chunk - 1) / chunk;
  const int64_t items = rows * numChunks;
  const int64_t perTask = std::max<int64_t>(1, 16384 / std::max<int64_t>(chunk, 1));

  llvm::Type* elem = kb.elemTy(kb.resultType());
  llvm::IRBuilder<>& b = kb.b;
  std::vector<llvm::Value*> inputs;
  for (size_t k = 0; k < numOperands; ++k) inputs.push_back(kb.operand(k));
  llvm::Value* out = kb.result();

  int64_t numTasks = kb.forEachTaskItem(items, perTask, [&](llvm::Value* item) {
    llvm::Value* row = numChunks == 1 ? item : b.CreateUDiv(item, kb.i64c(numChunks));
    llvm::Value* part = numChunks == 1 ? kb.i64c(0) : b.CreateURem(item, kb.i64c(numChunks));
    std::vector<llvm::Value*> index = kb.decompose(row, rowDims);
    std::vector<llvm::Value*> bases;
    for (size_t k = 0; k < numOperands; ++k) {
      llvm::Value* base = kb.i64c(0);
      for (size_t d = 0; d < rowDims.size(); ++d)
        if (coalesced[k][d] != 0) base = b.CreateAdd(base, b.CreateMul(index[d], kb.i64c(coalesced[k][d])));
      bases.push_back(base);
    }
    llvm::Value* outBase = b.CreateMul(row, kb.i64c(inner));
    llvm::Value* start = b.CreateMul(part, kb.i64c(chunk));
    llvm::Value* stop = b.CreateAdd(start, kb.i64c(chunk));
    if (inner % chunk != 0) stop = b.CreateSelect(b.CreateICmpSLT(stop, kb.i64c(inner)), stop, kb.i64c(inner));
    llvm::Value* fullEnd = b.CreateAdd(start, b.CreateMul(b.CreateUDiv(b.CreateSub(stop, start), kb.i64c(W)), kb.i64c(W)));

    auto body = [&](llvm::Value* j, llvm::Value* mask) {
      std::vector<llvm::Value*> values;
      for (size_t k = 0; k < numOperands; ++k) {
        llvm::Value* at = b.CreateAdd(bases[k], j);
        if (coalesced[k].back() == 0)
          values.push_back(b.CreateVectorSplat(W, kb.load(elem, inputs[k], bases[k])));
        else
          values.push_back(kb.loadVec(inputs[k], at, mask, elem));
      }
      llvm::Value* acc = values[0];
      size_t next = 1;
      for (const ir::ChainStep& s : steps) {
        if (s.isBinary()) {
          const std::optional<double>& exponent = exponents[next - 1];
          acc = exponent ? powerBy(kb, acc, *exponent)
                         : applyBinary(kb, s.op, acc, values[next], isFloat, isUnsigned);
          ++next;
        } else if (isFloat) {
          acc = kb.activation(s.act, acc);
        } else {  // i64 relu
          acc = b.CreateSelect(b.CreateICmpSGT(acc, llvm::Constant::getNullValue(acc->getType())), acc,
                               llvm::Constant::getNullValue(acc->getType()));
        }
      }
      kb.storeVec(acc, out, b.CreateAdd(outBase, j), mask);
    };
    kb.loops.forLoop(start, fullEnd, W, [&](llvm::Value* j) { body(j, nullptr); }, "j");
    if (inner % W != 0)
      kb.loops.ifThen(b.CreateICmpSLT(fullEnd, stop), [&] { body(fullEnd, kb.laneMask(b.CreateSub(stop, fullEnd))); });
  });
  KernelInfo info;
  info.numTasks = numTasks;
  info.work = double(rows) * double(inner) * double(steps.size() + 1) * (steps.size() > 1 ? 4 : 1);
  info.summary = fmt::format("rows={} inner={} chunk={}", rows, inner, chunk);
  return info;
}

}  // namespace nutshell::cpu
