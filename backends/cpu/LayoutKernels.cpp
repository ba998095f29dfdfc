// Data movement: reshape-like copies, transpose, concat, slice, pad.
// Transpose, slice and pad share one emitter driven by per-dimension offset
// tables computed at compile time (LayoutKernels.h).
#include "backends/cpu/LayoutKernels.h"

#include <fmt/format.h>

namespace nutshell::cpu {

static std::vector<int64_t> stridesOf(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

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
  bool contiguous = true;
  for (int64_t j = 0; j < inner && contiguous; ++j) contiguous = last[j] != kPadEntry && last[j] == last[0] + j;
  bool anyPad = false;
  for (const auto& t : tabs)
    for (int64_t v : t) anyPad = anyPad || v == kPadEntry;

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
  auto in = kb.operandShape(0);
  std::vector<int64_t> perm = kb.node.getInts("perm");
  if (perm.empty())
    for (size_t d = in.size(); d-- > 0;) perm.push_back(int64_t(d));
  if (perm.size() != in.size()) return kb.error(fmt::format("perm has {} entries for rank {}", perm.size(), in.size()));
  auto strides = stridesOf(in);
  std::vector<int64_t> outShape;
  std::vector<std::vector<int64_t>> tables;
  for (int64_t axis : perm) {
    if (axis < 0 || axis >= int64_t(in.size())) return kb.error(fmt::format("perm entry {} out of range", axis));
    outShape.push_back(in[axis]);
    std::vector<int64_t> t(in[axis]);
    for (int64_t i = 0; i < in[axis]; ++i) t[i] = i * strides[axis];
    tables.push_back(t);
  }
  if (outShape != kb.resultShape()) return kb.error("result shape disagrees with perm");
  return emitTableGather(kb, 0, outShape, tables, 0.0);
}

Expected<KernelInfo> emitConcat(KernelBuilder& kb) {
  auto out = kb.resultShape();
  int64_t axis = kb.node.getInt("axis");
  int64_t rank = int64_t(out.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return kb.error(fmt::format("axis {} out of range for rank {}", axis, rank));
  int64_t outer = product(out, 0, size_t(axis));
  int64_t inner = product(out, size_t(axis) + 1);
  int64_t elemBytes = int64_t(ir::elementSize(kb.resultType()));
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* dst = kb.result();
  std::vector<llvm::Value*> srcs;
  std::vector<int64_t> sizes;
  for (size_t k = 0; k < kb.node.operands.size(); ++k) {
    srcs.push_back(kb.operand(k));
    sizes.push_back(kb.operandShape(k)[size_t(axis)] * inner);
  }
  int64_t total = out[size_t(axis)] * inner;
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
  auto in = kb.operandShape(0);
  auto out = kb.resultShape();
  int64_t rank = int64_t(in.size());
  const auto& starts = kb.node.getInts("starts");
  std::vector<int64_t> axes = kb.node.getInts("axes");
  std::vector<int64_t> steps = kb.node.getInts("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return kb.error("starts, axes and steps must have the same length");
  std::vector<int64_t> start(size_t(rank), 0), step(size_t(rank), 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank) return kb.error(fmt::format("axis {} out of range", axes[i]));
    int64_t dim = in[size_t(axis)];
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    if (steps[i] == 0) return kb.error("slice step 0");
    s = steps[i] > 0 ? std::clamp<int64_t>(s, 0, dim) : std::clamp<int64_t>(s, 0, std::max<int64_t>(dim - 1, 0));
    start[size_t(axis)] = s;
    step[size_t(axis)] = steps[i];
  }
  auto strides = stridesOf(in);
  std::vector<std::vector<int64_t>> tables;
  for (int64_t d = 0; d < rank; ++d) {
    std::vector<int64_t> t(size_t(out[size_t(d)]));
    for (int64_t i = 0; i < out[size_t(d)]; ++i) {
      int64_t src = start[size_t(d)] + i * step[size_t(d)];
      if (src < 0 || src >= in[size_t(d)]) return kb.error("slice reads outside its input");
      t[size_t(i)] = src * strides[size_t(d)];
    }
    tables.push_back(t);
  }
  return emitTableGather(kb, 0, out, tables, 0.0);
}

Expected<KernelInfo> emitPad(KernelBuilder& kb) {
  auto in = kb.operandShape(0);
  auto out = kb.resultShape();
  size_t rank = in.size();
  const auto& pads = kb.node.getInts("pads");
  const std::string& mode = kb.node.getString("mode");
  if (pads.size() != 2 * rank) return kb.error(fmt::format("pads has {} entries for rank {}", pads.size(), rank));
  if (mode != "constant" && mode != "reflect" && mode != "edge") return kb.error(fmt::format("unknown mode '{}'", mode));
  auto strides = stridesOf(in);
  std::vector<std::vector<int64_t>> tables;
  for (size_t d = 0; d < rank; ++d) {
    int64_t dim = in[d];
    if (out[d] != dim + pads[d] + pads[d + rank]) return kb.error("result shape disagrees with pads");
    std::vector<int64_t> t(size_t(out[d]));
    for (int64_t i = 0; i < out[d]; ++i) {
      int64_t src = i - pads[d];
      if (src < 0 || src >= dim) {
        if (mode == "constant" || dim == 0) {
          t[size_t(i)] = kPadEntry;
          continue;
        }
        if (mode == "edge") {
          src = std::clamp<int64_t>(src, 0, dim - 1);
        } else if (dim == 1) {
          src = 0;
        } else {
          int64_t period = 2 * (dim - 1);
          src = ((src % period) + period) % period;
          if (src >= dim) src = period - src;
        }
      }
      t[size_t(i)] = src * strides[d];
    }
    tables.push_back(t);
  }
  return emitTableGather(kb, 0, out, tables, kb.node.getFloat("value"));
}

}  // namespace nutshell::cpu
