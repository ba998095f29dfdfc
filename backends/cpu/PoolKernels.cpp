// max_pool2d, avg_pool2d (vectorized over output columns) and the global
// pools (vectorized over the plane, fixed-order horizontal reduction).
#include "backends/cpu/PoolKernels.h"

#include <limits>

#include <fmt/format.h>

namespace nutshell::cpu {

void emitPoolRow(KernelBuilder& kb, const PoolSpec& s, llvm::Value* in,
                 const std::function<llvm::Value*(llvm::Value* r, llvm::Value* ih)>& rowBase, llvm::Value* oh,
                 llvm::Value* out, llvm::Value* outBase) {
  llvm::IRBuilder<>& b = kb.b;
  const int W = kb.W;
  llvm::VectorType* vec = kb.vecTy();
  std::vector<llvm::Constant*> laneIds;
  for (int i = 0; i < W; ++i) laneIds.push_back(b.getInt64(i));
  llvm::Value* lanes = llvm::ConstantVector::get(laneIds);
  auto vsplat = [&](int64_t v) { return b.CreateVectorSplat(W, kb.i64c(v)); };
  llvm::AllocaInst* acc = kb.entryAlloca(vec, 1, "pool.acc");
  llvm::AllocaInst* count = kb.entryAlloca(vec, 1, "pool.count");
  const double init = s.isMax ? -std::numeric_limits<double>::infinity() : 0.0;

  kb.loops.forLoop(0, s.outW, W, [&](llvm::Value* ow0) {
    llvm::Value* ow = b.CreateAdd(b.CreateVectorSplat(W, ow0), lanes);
    llvm::Value* laneValid = b.CreateICmpSLT(ow, vsplat(s.outW));
    b.CreateStore(kb.fconst(vec, init), acc);
    b.CreateStore(kb.fconst(vec, 0.0), count);
    kb.loops.forLoop(0, s.kernelH, 1, [&](llvm::Value* r) {
      llvm::Value* ih = b.CreateAdd(b.CreateSub(b.CreateMul(oh, kb.i64c(s.strideH)), kb.i64c(s.padTop)),
                                    b.CreateMul(r, kb.i64c(s.dilationH)));
      llvm::Value* rowValid = b.CreateAnd(b.CreateICmpSGE(ih, kb.i64c(0)), b.CreateICmpSLT(ih, kb.i64c(s.inH)));
      llvm::Value* rowInPad =
          b.CreateAnd(b.CreateICmpSGE(ih, kb.i64c(-s.padTop)), b.CreateICmpSLT(ih, kb.i64c(s.inH + s.padBottom)));
      llvm::Value* base = rowBase(r, ih);
      kb.loops.forLoop(0, s.kernelW, 1, [&](llvm::Value* c) {
        llvm::Value* shift = b.CreateSub(b.CreateMul(c, kb.i64c(s.dilationW)), kb.i64c(s.padLeft));
        llvm::Value* iw = b.CreateAdd(b.CreateMul(ow, vsplat(s.strideW)), b.CreateVectorSplat(W, shift));
        llvm::Value* inside = b.CreateAnd(b.CreateICmpSGE(iw, vsplat(0)), b.CreateICmpSLT(iw, vsplat(s.inW)));
        llvm::Value* valid = b.CreateAnd(b.CreateAnd(inside, laneValid), b.CreateVectorSplat(W, rowValid));
        llvm::Value* start = b.CreateAdd(base, b.CreateAdd(b.CreateMul(ow0, kb.i64c(s.strideW)), shift));
        llvm::Value* v = kb.loadStrided(in, start, s.strideW, valid);
        llvm::Value* a = b.CreateLoad(vec, acc);
        if (s.isMax) {
          b.CreateStore(b.CreateSelect(valid, kb.fmax(a, v), a), acc);
        } else {
          b.CreateStore(b.CreateFAdd(a, v), acc);
          llvm::Value* counted = valid;
          if (s.countIncludePad) {
            llvm::Value* inPad = b.CreateAnd(b.CreateICmpSGE(iw, vsplat(-s.padLeft)),
                                             b.CreateICmpSLT(iw, vsplat(s.inW + s.padRight)));
            counted = b.CreateAnd(b.CreateAnd(inPad, laneValid), b.CreateVectorSplat(W, rowInPad));
          }
          llvm::Value* one = b.CreateSelect(counted, kb.fconst(vec, 1.0), kb.fconst(vec, 0.0));
          b.CreateStore(b.CreateFAdd(b.CreateLoad(vec, count), one), count);
        }
      }, "pw");
    }, "ph");
    llvm::Value* result = b.CreateLoad(vec, acc);
    if (!s.isMax) {
      llvm::Value* n = b.CreateLoad(vec, count);
      llvm::Value* none = b.CreateFCmpOEQ(n, kb.fconst(vec, 0.0));
      result = b.CreateSelect(none, kb.fconst(vec, 0.0), b.CreateFDiv(result, n));
    }
    kb.storeVec(result, out, b.CreateAdd(outBase, ow0), laneValid);
  }, "ow");
}

Expected<KernelInfo> emitPool2d(KernelBuilder& kb) {
  const ir::Node& node = kb.node;
  bool isMax = node.op == ir::OpKind::MaxPool2d;
  auto x = kb.operandShape(0);
  auto y = kb.resultShape();
  if (x.size() != 4 || kb.operandType(0) != ir::DType::F32)
    return kb.error(fmt::format("input must be f32[N,C,H,W], got {}", node.operands[0]->type.str()));
  PoolSpec s;
  NUTSHELL_ASSIGN(static_cast<ir::PoolGeometry&>(s), ir::poolGeometry(node));
  s.inH = x[2];
  s.inW = x[3];
  s.outW = y[3];
  const int64_t planes = x[0] * x[1];
  const int64_t OH = y[2];
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  int64_t perTask = std::max<int64_t>(1, 2048 / std::max<int64_t>(1, s.outW * s.kernelH * s.kernelW));
  int64_t numTasks = kb.forEachTaskItem(planes * OH, perTask, [&](llvm::Value* item) {
    llvm::Value* plane = b.CreateUDiv(item, kb.i64c(OH));
    llvm::Value* oh = b.CreateURem(item, kb.i64c(OH));
    llvm::Value* planeBase = b.CreateMul(plane, kb.i64c(s.inH * s.inW));
    emitPoolRow(kb, s, in, [&](llvm::Value*, llvm::Value* ih) { return b.CreateAdd(planeBase, b.CreateMul(ih, kb.i64c(s.inW))); },
                oh, out, b.CreateMul(item, kb.i64c(s.outW)));
  });
  KernelInfo info;
  info.numTasks = numTasks;
  info.work = double(planes * OH * s.outW * s.kernelH * s.kernelW);
  info.summary = fmt::format("{} pool {}x{} s{}x{}", isMax ? "max" : "avg", s.kernelH, s.kernelW, s.strideH, s.strideW);
  return info;
}

Expected<KernelInfo> emitGlobalPool(KernelBuilder& kb) {
  bool isMax = kb.node.op == ir::OpKind::GlobalMaxPool;
  auto x = kb.operandShape(0);
  if (x.size() < 3 || kb.operandType(0) != ir::DType::F32)
    return kb.error(fmt::format("input must be f32[N,C,...], got {}", kb.node.operands[0]->type.str()));
  const int64_t planes = x[0] * x[1];
  const int64_t size = product(x, 2);
  const int W = kb.W;
  llvm::IRBuilder<>& b = kb.b;
  llvm::VectorType* vec = kb.vecTy();
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  llvm::AllocaInst* acc = kb.entryAlloca(vec, 1, "acc");
  const double init = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  int64_t numTasks = kb.forEachTaskItem(planes, std::max<int64_t>(1, 8192 / std::max<int64_t>(size, 1)), [&](llvm::Value* p) {
    llvm::Value* base = b.CreateMul(p, kb.i64c(size));
    b.CreateStore(kb.fconst(vec, init), acc);
    auto step = [&](llvm::Value* i, llvm::Value* mask) {
      llvm::Value* v = kb.loadVec(in, b.CreateAdd(base, i), mask);
      llvm::Value* a = b.CreateLoad(vec, acc);
      if (isMax) {
        llvm::Value* m = kb.fmax(a, v);
        b.CreateStore(mask ? b.CreateSelect(mask, m, a) : m, acc);
      } else {
        b.CreateStore(b.CreateFAdd(a, v), acc);
      }
    };
    int64_t full = size / W * W;
    kb.loops.forLoop(0, full, W, [&](llvm::Value* i) { step(i, nullptr); }, "i");
    if (full < size) step(kb.i64c(full), kb.laneMask(kb.i64c(size - full)));
    llvm::Value* a = b.CreateLoad(vec, acc);
    llvm::Value* r = isMax ? kb.hmax(a) : b.CreateFDiv(kb.hsum(a), kb.f32c(double(size)));
    kb.store(r, out, p);
  });
  return KernelInfo{numTasks, double(planes * size), fmt::format("global {} over {}", isMax ? "max" : "avg", size)};
}

}  // namespace nutshell::cpu
