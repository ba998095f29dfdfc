// Shape ops from ONNX import (shape, gather, constant_of_shape, cast). They
// normally fold away once shapes are bound; these simple loops run them when
// the graph was not optimized.
#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>

#include "backends/cpu/LayoutKernels.h"

namespace nutshell::cpu {

Expected<KernelInfo> emitShape(KernelBuilder& kb) {
  // The input's shape is static here: the result is a constant.
  auto in = kb.operandShape(0);
  int64_t rank = int64_t(in.size());
  int64_t start = kb.node.getInt("start");
  int64_t end = kb.node.getInt("end");
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  if (kb.node.result()->type.numElements() != end - start) return kb.error("result size disagrees with start/end");
  llvm::Value* out = kb.result();
  for (int64_t i = start; i < end; ++i) kb.store(kb.i64c(in[size_t(i)]), out, kb.i64c(i - start));
  return KernelInfo{1, 1.0, fmt::format("shape {}", shapeText(in))};
}

Expected<KernelInfo> emitGather(KernelBuilder& kb) {
  auto data = kb.operandShape(0);
  auto indices = kb.operandShape(1);
  const ir::DType indexType = kb.operandType(1);
  if (indexType != ir::DType::I64 && indexType != ir::DType::I32)
    return kb.error("indices must be i64 or i32");
  int64_t rank = int64_t(data.size());
  int64_t axis = kb.node.getInt("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return kb.error(fmt::format("axis {} out of range for rank {}", axis, rank));
  int64_t outer = product(data, 0, size_t(axis));
  int64_t dim = data[size_t(axis)];
  int64_t inner = product(data, size_t(axis) + 1);
  int64_t count = product(indices);
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* elem = kb.elemTy(kb.resultType());
  int64_t elemBytes = int64_t(ir::elementSize(kb.resultType()));
  llvm::Value* in = kb.operand(0);
  llvm::Value* idx = kb.operand(1);
  llvm::Value* out = kb.result();
  int64_t numTasks = kb.forEachTaskItem(outer * count, std::max<int64_t>(1, 4096 / std::max<int64_t>(inner, 1)),
                                        [&](llvm::Value* item) {
    llvm::Value* o = b.CreateUDiv(item, kb.i64c(count));
    llvm::Value* i = b.CreateURem(item, kb.i64c(count));
    llvm::Value* index = kb.load(kb.elemTy(indexType), idx, i);
    if (indexType != ir::DType::I64) index = b.CreateSExt(index, kb.i64Ty());
    // Negative indices count from the end; out-of-range ones are clamped
    // (the verifier and importer reject them where they are constant).
    index = b.CreateSelect(b.CreateICmpSLT(index, kb.i64c(0)), b.CreateAdd(index, kb.i64c(dim)), index);
    index = b.CreateSelect(b.CreateICmpSLT(index, kb.i64c(0)), kb.i64c(0), index);
    index = b.CreateSelect(b.CreateICmpSGE(index, kb.i64c(dim)), kb.i64c(dim - 1), index);
    llvm::Value* from = b.CreateMul(b.CreateAdd(b.CreateMul(o, kb.i64c(dim)), index), kb.i64c(inner));
    b.CreateMemCpy(kb.elemPtr(elem, out, b.CreateMul(item, kb.i64c(inner))), llvm::MaybeAlign(elemBytes),
                   kb.elemPtr(elem, in, from), llvm::MaybeAlign(elemBytes), inner * elemBytes);
  });
  return KernelInfo{numTasks, double(outer * count * inner), fmt::format("gather outer={} count={} inner={}", outer, count, inner)};
}

Expected<KernelInfo> emitConstantOfShape(KernelBuilder& kb) {
  int64_t total = kb.node.result()->type.numElements();
  double value = kb.node.getFloat("value");
  const ir::DType to = kb.resultType();
  llvm::Type* elem = kb.elemTy(to);
  llvm::Value* fill =
      ir::isFloatType(to) ? static_cast<llvm::Value*>(kb.fconst(elem, value))
      : to == ir::DType::Bool
          ? llvm::ConstantInt::get(elem, value != 0.0 ? 1 : 0)
          : llvm::ConstantInt::get(elem, uint64_t(static_cast<int64_t>(value)), /*IsSigned=*/true);
  llvm::Value* out = kb.result();
  int64_t numTasks = kb.forEachTaskItem(total, 16384, [&](llvm::Value* i) { kb.store(fill, out, i); });
  return KernelInfo{numTasks, double(total), "fill"};
}

/// One element from type `from` to type `to` by ONNX Cast's rules (see
/// Tensor::convertedTo): float to integer truncates toward zero and
/// saturates (NaN gives 0), integers wrap or extend by their signedness, to
/// bool is != 0, bool reads as 0 or 1.
llvm::Value* castElement(KernelBuilder& kb, llvm::Value* v, ir::DType from, ir::DType to) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* target = kb.elemTy(to);
  const bool fromFloat = ir::isFloatType(from);
  if (to == ir::DType::Bool) {
    llvm::Value* nonzero = fromFloat ? b.CreateFCmpUNE(v, llvm::ConstantFP::get(v->getType(), 0.0))
                                     : b.CreateICmpNE(v, llvm::ConstantInt::get(v->getType(), 0));
    return b.CreateZExt(nonzero, target);
  }
  if (ir::isFloatType(to)) {
    if (fromFloat) return b.CreateFPCast(v, target);
    return from == ir::DType::U8 || from == ir::DType::Bool ? b.CreateUIToFP(v, target)
                                                            : b.CreateSIToFP(v, target);
  }
  if (fromFloat)
    return b.CreateIntrinsic(to == ir::DType::U8 ? llvm::Intrinsic::fptoui_sat : llvm::Intrinsic::fptosi_sat,
                             {target, v->getType()}, {v});
  const bool unsignedSource = from == ir::DType::U8 || from == ir::DType::Bool;
  return unsignedSource ? b.CreateZExtOrTrunc(v, target) : b.CreateSExtOrTrunc(v, target);
}

Expected<KernelInfo> emitCast(KernelBuilder& kb) {
  ir::DType from = kb.operandType(0);
  ir::DType to = kb.resultType();
  int64_t total = kb.node.result()->type.numElements();
  if (from == to) return emitBlockCopy(kb, kb.operand(0), kb.result(), total * int64_t(ir::elementSize(to)));
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  int64_t numTasks = kb.forEachTaskItem(total, 16384, [&](llvm::Value* i) {
    kb.store(castElement(kb, kb.load(kb.elemTy(from), in, i), from, to), out, i);
  });
  return KernelInfo{numTasks, double(total), "cast"};
}

}  // namespace nutshell::cpu
