// Elementwise kernels: add/sub/mul/div (numpy broadcasting), the unary
// activations, exp, and fused_elementwise chains; f32 and i64.
//
// The output is viewed as rows x inner after coalescing dimensions that every
// operand walks contiguously (or broadcasts) together (the backend-neutral
// plan, backends/common/BroadcastPlan.h), so the inner loop always reads
// each operand with stride 1 (a vector load) or 0 (a splat).
// Long rows are cut into chunks so that even a single contiguous tensor is
// spread over the threads. The tail of a row uses masked loads and stores.
#include <fmt/format.h>

#include "backends/common/BroadcastPlan.h"
#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {
namespace {

llvm::Value* applyBinary(KernelBuilder& kb, ir::OpKind op, llvm::Value* x, llvm::Value* y, bool isFloat) {
  llvm::IRBuilder<>& b = kb.b;
  using K = ir::OpKind;
  if (isFloat) {
    if (op == K::Add) return b.CreateFAdd(x, y);
    if (op == K::Sub) return b.CreateFSub(x, y);
    if (op == K::Mul) return b.CreateFMul(x, y);
    return b.CreateFDiv(x, y);
  }
  if (op == K::Add) return b.CreateAdd(x, y);
  if (op == K::Sub) return b.CreateSub(x, y);
  if (op == K::Mul) return b.CreateMul(x, y);
  // Integer division truncates like C++; a zero divisor gives 0 instead of a trap.
  llvm::Value* zero = llvm::Constant::getNullValue(y->getType());
  llvm::Value* isZero = b.CreateICmpEQ(y, zero);
  llvm::Value* safe = b.CreateSelect(isZero, llvm::ConstantInt::get(y->getType(), 1), y);
  return b.CreateSelect(isZero, zero, b.CreateSDiv(x, safe));
}

}  // namespace

Expected<KernelInfo> emitElementwise(KernelBuilder& kb) {
  NUTSHELL_ASSIGN(std::vector<ir::ChainStep> steps, ir::chainSteps(kb.node));
  const ir::Node& node = kb.node;
  bool isFloat = kb.resultType() == ir::DType::F32;
  for (size_t k = 0; k < node.operands.size(); ++k)
    if (kb.operandType(k) != kb.resultType())
      return kb.error(fmt::format("operand {} is {} but the result is {}", k, node.operands[k]->type.str(),
                                  node.result()->type.str()));
  if (!isFloat)
    for (const ir::ChainStep& s : steps)
      if (!s.isBinary() && s.op != ir::OpKind::Relu)
        return kb.error(fmt::format("'{}' on i64 values is not supported", ir::opName(s.op)));

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
        if (s.isBinary())
          acc = applyBinary(kb, s.op, acc, values[next++], isFloat);
        else if (isFloat)
          acc = kb.activation(s.act, acc);
        else  // i64 relu
          acc = b.CreateSelect(b.CreateICmpSGT(acc, llvm::Constant::getNullValue(acc->getType())), acc,
                               llvm::Constant::getNullValue(acc->getType()));
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
