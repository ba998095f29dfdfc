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
  if (kb.operandType(1) != ir::DType::I64) return kb.error("indices must be i64");
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
    llvm::Value* index = kb.load(kb.i64Ty(), idx, i);
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
  llvm::Value* fill = kb.resultType() == ir::DType::F32 ? static_cast<llvm::Value*>(kb.f32c(value))
                                                        : kb.i64c(static_cast<int64_t>(value));
  llvm::Value* out = kb.result();
  int64_t numTasks = kb.forEachTaskItem(total, 16384, [&](llvm::Value* i) { kb.store(fill, out, i); });
  return KernelInfo{numTasks, double(total), "fill"};
}

Expected<KernelInfo> emitCast(KernelBuilder& kb) {
  ir::DType from = kb.operandType(0);
  ir::DType to = kb.resultType();
  int64_t total = kb.node.result()->type.numElements();
  if (from == to) return emitBlockCopy(kb, kb.operand(0), kb.result(), total * int64_t(ir::elementSize(to)));
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  int64_t numTasks = kb.forEachTaskItem(total, 16384, [&](llvm::Value* i) {
    llvm::Value* v = kb.load(kb.elemTy(from), in, i);
    // f32 -> i64 truncates toward zero (C++ and ONNX Cast).
    v = to == ir::DType::I64 ? b.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {kb.i64Ty(), kb.f32Ty()}, {v})
                             : b.CreateSIToFP(v, kb.f32Ty());
    kb.store(v, out, i);
  });
  return KernelInfo{numTasks, double(total), "cast"};
}

}  // namespace nutshell::cpu
