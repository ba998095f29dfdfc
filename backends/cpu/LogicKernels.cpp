// Comparisons (equal, less, greater, less_equal, greater_equal -> bool), not,
// and, or, xor (bool) and where. One scalar loop over the broadcast plan
// (backends/common/BroadcastPlan.h): rows over the threads, the inner
// dimension read with stride 1 or 0 per operand. bool is one byte, 0 or 1.
#include <fmt/format.h>

#include "backends/common/BroadcastPlan.h"
#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {
namespace {

/// result[i] = combine(operand values at i) over the broadcast of every
/// operand's shape; `combine` gets the loaded elements of each operand.
template <class Combine>
Expected<KernelInfo> emitBroadcastMap(KernelBuilder& kb, Combine&& combine) {
  const size_t numOperands = kb.node.operands.size();
  std::vector<std::vector<int64_t>> operandShapes;
  for (size_t k = 0; k < numOperands; ++k) operandShapes.push_back(kb.operandShape(k));
  Expected<common::BroadcastPlan> plan = common::planBroadcast(kb.resultShape(), operandShapes);
  if (!plan) return kb.error(plan.message());
  const std::vector<std::vector<int64_t>>& strides = plan->strides;
  const int64_t inner = plan->inner();
  const std::vector<int64_t> rowDims = plan->rowDims();
  llvm::IRBuilder<>& b = kb.b;
  std::vector<llvm::Value*> inputs;
  for (size_t k = 0; k < numOperands; ++k) inputs.push_back(kb.operand(k));
  llvm::Value* out = kb.result();
  int64_t perTask = std::max<int64_t>(1, 16384 / std::max<int64_t>(inner, 1));
  int64_t numTasks = kb.forEachTaskItem(plan->rows(), perTask, [&](llvm::Value* row) {
    std::vector<llvm::Value*> index = kb.decompose(row, rowDims);
    std::vector<llvm::Value*> bases;
    for (size_t k = 0; k < numOperands; ++k) {
      llvm::Value* base = kb.i64c(0);
      for (size_t d = 0; d < rowDims.size(); ++d)
        if (strides[k][d] != 0) base = b.CreateAdd(base, b.CreateMul(index[d], kb.i64c(strides[k][d])));
      bases.push_back(base);
    }
    llvm::Value* outBase = b.CreateMul(row, kb.i64c(inner));
    kb.loops.forLoop(
        0, inner, 1,
        [&](llvm::Value* j) {
          std::vector<llvm::Value*> values;
          for (size_t k = 0; k < numOperands; ++k) {
            llvm::Value* at = strides[k].back() == 0 ? bases[k] : b.CreateAdd(bases[k], j);
            values.push_back(kb.load(kb.elemTy(kb.operandType(k)), inputs[k], at));
          }
          kb.store(combine(values), out, b.CreateAdd(outBase, j));
        },
        "j");
  });
  return KernelInfo{numTasks, double(plan->rows()) * double(inner),
                    fmt::format("rows={} inner={}", plan->rows(), inner)};
}

llvm::Value* compareValues(KernelBuilder& kb, ir::OpKind op, ir::DType dtype, llvm::Value* x,
                           llvm::Value* y) {
  llvm::IRBuilder<>& b = kb.b;
  using K = ir::OpKind;
  if (ir::isFloatType(dtype)) {  // ordered: a NaN compares false
    switch (op) {
      case K::Equal: return b.CreateFCmpOEQ(x, y);
      case K::Less: return b.CreateFCmpOLT(x, y);
      case K::Greater: return b.CreateFCmpOGT(x, y);
      case K::LessEqual: return b.CreateFCmpOLE(x, y);
      default: return b.CreateFCmpOGE(x, y);
    }
  }
  const bool isUnsigned = dtype == ir::DType::U8 || dtype == ir::DType::Bool;
  switch (op) {
    case K::Equal: return b.CreateICmpEQ(x, y);
    case K::Less: return isUnsigned ? b.CreateICmpULT(x, y) : b.CreateICmpSLT(x, y);
    case K::Greater: return isUnsigned ? b.CreateICmpUGT(x, y) : b.CreateICmpSGT(x, y);
    case K::LessEqual: return isUnsigned ? b.CreateICmpULE(x, y) : b.CreateICmpSLE(x, y);
    default: return isUnsigned ? b.CreateICmpUGE(x, y) : b.CreateICmpSGE(x, y);
  }
}

}  // namespace

Expected<KernelInfo> emitCompare(KernelBuilder& kb) {
  const ir::DType dtype = kb.operandType(0);
  if (kb.operandType(1) != dtype || kb.resultType() != ir::DType::Bool)
    return kb.error("operands must share one type and the result must be bool");
  const ir::OpKind op = kb.node.op;
  return emitBroadcastMap(kb, [&](const std::vector<llvm::Value*>& v) {
    return kb.b.CreateZExt(compareValues(kb, op, dtype, v[0], v[1]), kb.elemTy(ir::DType::Bool));
  });
}

Expected<KernelInfo> emitLogical(KernelBuilder& kb) {
  for (size_t k = 0; k < kb.node.operands.size(); ++k)
    if (kb.operandType(k) != ir::DType::Bool) return kb.error("operands must be bool");
  const ir::OpKind op = kb.node.op;
  llvm::IRBuilder<>& b = kb.b;
  return emitBroadcastMap(kb, [&](const std::vector<llvm::Value*>& v) -> llvm::Value* {
    llvm::Value* one = llvm::ConstantInt::get(v[0]->getType(), 1);
    switch (op) {
      case ir::OpKind::Not: return b.CreateXor(v[0], one);
      case ir::OpKind::And: return b.CreateAnd(v[0], v[1]);
      case ir::OpKind::Or: return b.CreateOr(v[0], v[1]);
      default: return b.CreateXor(v[0], v[1]);
    }
  });
}

Expected<KernelInfo> emitWhere(KernelBuilder& kb) {
  if (kb.operandType(0) != ir::DType::Bool) return kb.error("cond must be bool");
  if (kb.operandType(1) != kb.resultType() || kb.operandType(2) != kb.resultType())
    return kb.error("x, y and the result must share one type");
  llvm::IRBuilder<>& b = kb.b;
  return emitBroadcastMap(kb, [&](const std::vector<llvm::Value*>& v) {
    llvm::Value* cond = b.CreateICmpNE(v[0], llvm::ConstantInt::get(v[0]->getType(), 0));
    return b.CreateSelect(cond, v[1], v[2]);
  });
}

}  // namespace nutshell::cpu
