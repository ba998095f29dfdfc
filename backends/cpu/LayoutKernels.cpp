// Data movement: reshape-like copies, transpose, concat, slice, pad, tile,
// expand, depth_to_space, space_to_depth. All but the copies and concat share
// one emitter driven by per-dimension offset tables computed at compile time
// (the backend-neutral plans in backends/common/LayoutPlan.h).
#include "backends/cpu/LayoutKernels.h"

#include <fmt/format.h>

namespace nutshell::cpu {

KernelInfo emitBlockCopy(KernelBuilder& kb, llvm::Value* src, llvm::Value* dst, int64_t bytes) {
  const int64_t chunk = 256 * 1024;
  llvm::IRBuilder<>& b = kb.b;
  int64_t numTasks = kb.forEachTaskItem((bytes + chunk - 1) / chunk, 1, [&](llvm::Value* item) {
    llvm::Value* offset = b.CreateMul(item, kb.i64c(chunk));
    llvm::Value* size = b.CreateSub(kb.i64c(bytes), offset);
    size = b.CreateSelect(b.CreateICmpSLT(size, kb.i64c(chunk)), size, kb.i64c(chunk));
    b.CreateMemMove(b.CreateGEP(b.getInt8Ty(), dst, offset), llvm::MaybeAlign(4),
                    b.CreateGEP(b.getInt8Ty(), src, offset), llvm::MaybeAlign(4), size);
  });
  return KernelInfo{numTasks, double(bytes), fmt::format("copy {} bytes", bytes)};
}

KernelInfo emitTableGather(KernelBuilder& kb, size_t operand, const std::vector<int64_t>& outShape,
                           const std::vector<std::vector<int64_t>>& tables, double padValue) {
  llvm::IRBuilder<>& b = kb.b;
  std::vector<int64_t> shape = outShape.empty() ? std::vector<int64_t>{1} : outShape;
  std::vector<std::vector<int64_t>> tabs = outShape.empty() ? std::vector<std::vector<int64_t>>{{0}} : tables;
  const size_t rank = shape.size();
  const int64_t inner = shape.back();
  std::vector<int64_t> rowDims(shape.begin(), shape.end() - 1);
  const int64_t rows = product(rowDims);
  const std::vector<int64_t>& last = tabs.back();
  const bool contiguous = common::isContiguousRun(last);
  const bool anyPad = common::hasPadEntries(tabs);

  ir::DType dtype = kb.resultType();
  llvm::Type* elem = kb.elemTy(dtype);
  int64_t elemBytes = int64_t(ir::elementSize(dtype));
  llvm::Value* in = kb.operand(operand);
  llvm::Value* out = kb.result();
  llvm::Value* pad = dtype == ir::DType::F32 ? static_cast<llvm::Value*>(kb.f32c(padValue))
                                             : kb.i64c(static_cast<int64_t>(padValue));
  std::vector<llvm::GlobalVariable*> globals;
  for (size_t d = 0; d < rank; ++d) globals.push_back(kb.constantGlobalI64(tabs[d], fmt::format("tab{}_", d)));
  llvm::Type* i64 = kb.i64Ty();

  int64_t perTask = std::max<int64_t>(1, 8192 / std::max<int64_t>(inner, 1));
  int64_t numTasks = kb.forEachTaskItem(rows, perTask, [&](llvm::Value* row) {
    std::vector<llvm::Value*> idx = kb.decompose(row, rowDims);
    llvm::Value* base = kb.i64c(0);
    for (size_t d = 0; d + 1 < rank; ++d) base = b.CreateAdd(base, kb.load(i64, globals[d], idx[d]));
    llvm::Value* outRow = b.CreateMul(row, kb.i64c(inner));
    auto copyRow = [&] {
      b.CreateMemCpy(kb.elemPtr(elem, out, outRow), llvm::MaybeAlign(elemBytes),
                     kb.elemPtr(elem, in, b.CreateAdd(base, kb.i64c(last[0]))), llvm::MaybeAlign(elemBytes),
                     inner * elemBytes);
    };
    auto fillRow = [&] {
      kb.loops.forLoop(0, inner, 1, [&](llvm::Value* j) { kb.store(pad, out, b.CreateAdd(outRow, j)); }, "j");
    };
    auto gatherRow = [&] {
      kb.loops.forLoop(0, inner, 1, [&](llvm::Value* j) {
        llvm::Value* at = b.CreateAdd(base, kb.load(i64, globals[rank - 1], j));
        llvm::Value* value;
        if (anyPad) {
          llvm::Value* inside = b.CreateICmpSGE(at, kb.i64c(0));
          llvm::Value* safe = b.CreateSelect(inside, at, kb.i64c(0));
          value = b.CreateSelect(inside, kb.load(elem, in, safe), pad);
        } else {
          value = kb.load(elem, in, at);
        }
        kb.store(value, out, b.CreateAdd(outRow, j));
      }, "j");
    };
    if (contiguous && rank > 1 && anyPad)
      kb.loops.ifThenElse(b.CreateICmpSGE(base, kb.i64c(0)), copyRow, fillRow);
    else if (contiguous)
      copyRow();
    else
      gatherRow();
  });
  return KernelInfo{numTasks, double(rows * inner * elemBytes),
                    fmt::format("gather rows={} inner={}{}", rows, inner, contiguous ? " (row copies)" : "")};
}

Expected<KernelInfo> emitCopy(KernelBuilder& kb) {
  int64_t bytes = kb.node.result()->type.numElements() * int64_t(ir::elementSize(kb.resultType()));
  int64_t inBytes = kb.node.operands[0]->type.numElements() * int64_t(ir::elementSize(kb.operandType(0)));
  if (bytes != inBytes || kb.operandType(0) != kb.resultType())
    return kb.error(fmt::format("cannot copy {} into {}", kb.node.operands[0]->type.str(), kb.node.result()->type.str()));
  return emitBlockCopy(kb, kb.operand(0), kb.result(), bytes);
}

Expected<KernelInfo> emitTranspose(KernelBuilder& kb) {
  Expected<common::TransposePlan> plan = common::planTranspose(kb.operandShape(0), kb.node.getInts("perm"));
  if (!plan) return kb.error(plan.message());
  if (plan->outShape != kb.resultShape()) return kb.error("result shape disagrees with perm");
  return emitTableGather(kb, 0, plan->outShape, plan->tables, 0.0);
}

Expected<KernelInfo> emitConcat(KernelBuilder& kb) {
  std::vector<std::vector<int64_t>> operandShapes;
  for (size_t k = 0; k < kb.node.operands.size(); ++k) operandShapes.push_back(kb.operandShape(k));
  Expected<common::ConcatPlan> plan =
      common::planConcat(kb.resultShape(), operandShapes, kb.node.getInt("axis"));
  if (!plan) return kb.error(plan.message());
  const int64_t outer = plan->outer, total = plan->rowElems;
  const std::vector<int64_t>& sizes = plan->pieceElems;
  int64_t elemBytes = int64_t(ir::elementSize(kb.resultType()));
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* dst = kb.result();
  std::vector<llvm::Value*> srcs;
  for (size_t k = 0; k < kb.node.operands.size(); ++k) srcs.push_back(kb.operand(k));
  int64_t numTasks = kb.forEachTaskItem(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(total, 1)), [&](llvm::Value* o) {
    int64_t offset = 0;
    for (size_t k = 0; k < srcs.size(); ++k) {
      if (sizes[k] > 0) {
        llvm::Value* to = kb.elemPtr(b.getInt8Ty(), dst, b.CreateAdd(b.CreateMul(o, kb.i64c(total * elemBytes)), kb.i64c(offset * elemBytes)));
        llvm::Value* from = kb.elemPtr(b.getInt8Ty(), srcs[k], b.CreateMul(o, kb.i64c(sizes[k] * elemBytes)));
        b.CreateMemCpy(to, llvm::MaybeAlign(elemBytes), from, llvm::MaybeAlign(elemBytes), sizes[k] * elemBytes);
      }
      offset += sizes[k];
    }
  });
  return KernelInfo{numTasks, double(outer * total * elemBytes), fmt::format("concat outer={} row={}", outer, total)};
}

Expected<KernelInfo> emitSlice(KernelBuilder& kb) {
  auto out = kb.resultShape();
  Expected<common::OffsetTables> tables = common::planSlice(
      kb.operandShape(0), out, kb.node.getInts("starts"), kb.node.getInts("axes"), kb.node.getInts("steps"));
  if (!tables) return kb.error(tables.message());
  return emitTableGather(kb, 0, out, *tables, 0.0);
}

Expected<KernelInfo> emitPad(KernelBuilder& kb) {
  auto out = kb.resultShape();
  Expected<common::OffsetTables> tables =
      common::planPad(kb.operandShape(0), out, kb.node.getInts("pads"), kb.node.getString("mode"));
  if (!tables) return kb.error(tables.message());
  return emitTableGather(kb, 0, out, *tables, kb.node.getFloat("value"));
}

Expected<KernelInfo> emitTile(KernelBuilder& kb) {
  auto out = kb.resultShape();
  Expected<common::OffsetTables> tables = common::planTile(kb.operandShape(0), out);
  if (!tables) return kb.error(tables.message());
  return emitTableGather(kb, 0, out, *tables, 0.0);
}

Expected<KernelInfo> emitExpand(KernelBuilder& kb) {
  auto out = kb.resultShape();
  Expected<common::OffsetTables> tables = common::planExpand(kb.operandShape(0), out);
  if (!tables) return kb.error(tables.message());
  return emitTableGather(kb, 0, out, *tables, 0.0);
}

Expected<KernelInfo> emitDepthSpace(KernelBuilder& kb) {
  const int64_t b = kb.node.getInt("blocksize");
  Expected<common::OffsetTables> tables =
      kb.node.op == ir::OpKind::DepthToSpace
          ? common::planDepthToSpace(kb.operandShape(0), b, kb.node.getString("mode") == "crd")
          : common::planSpaceToDepth(kb.operandShape(0), b);
  if (!tables) return kb.error(tables.message());
  auto out = kb.resultShape();
  for (size_t d = 0; d < out.size() && d < tables->size(); ++d)
    if (int64_t((*tables)[d].size()) != out[d]) return kb.error("result shape disagrees with blocksize");
  return emitTableGather(kb, 0, out, *tables, 0.0);
}

}  // namespace nutshell::cpu
