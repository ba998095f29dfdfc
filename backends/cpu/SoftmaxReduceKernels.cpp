// softmax / log_softmax, reduce_max/mean/sum/min/prod/l1/l2/sum_square/
// log_sum_exp, batch_norm, lrn.
//
// Softmax over a contiguous axis vectorizes along the row (vector partial
// max and sum, then a fixed-order horizontal combine); over a strided axis it
// vectorizes across the inner dimension instead. Reductions accumulate sums
// and products in double, in index order, like the reference; log_sum_exp
// finds the maximum first and sums exp(x - max).
#include <limits>

#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>

#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {
namespace {

Expected<int64_t> normalizeAxis(KernelBuilder& kb, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return kb.error(fmt::format("axis {} out of range for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

}  // namespace

Expected<KernelInfo> emitSoftmax(KernelBuilder& kb) {
  bool isLog = kb.node.op == ir::OpKind::LogSoftmax;
  auto shape = kb.operandShape(0);
  if (kb.operandType(0) != ir::DType::F32) return kb.error("input must be f32");
  if (shape.empty()) shape.push_back(1);
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(kb, kb.node.getInt("axis"), int64_t(shape.size())));
  const int64_t outer = product(shape, 0, size_t(axis));
  const int64_t L = shape[size_t(axis)];
  const int64_t inner = product(shape, size_t(axis) + 1);
  const int W = kb.W;
  llvm::IRBuilder<>& b = kb.b;
  llvm::VectorType* vec = kb.vecTy();
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  const double negInf = -std::numeric_limits<double>::infinity();
  llvm::AllocaInst* maxAcc = kb.entryAlloca(vec, 1, "max");
  llvm::AllocaInst* sumAcc = kb.entryAlloca(vec, 1, "sum");

  if (inner == 1) {
    // Contiguous rows of length L.
    const int64_t full = L / W * W;
    auto forRow = [&](llvm::Value* base, const std::function<void(llvm::Value* at, llvm::Value* mask)>& fn) {
      kb.loops.forLoop(0, full, W, [&](llvm::Value* j) { fn(b.CreateAdd(base, j), nullptr); }, "j");
      if (full < L) fn(b.CreateAdd(base, kb.i64c(full)), kb.laneMask(kb.i64c(L - full)));
    };
    int64_t numTasks = kb.forEachTaskItem(outer, std::max<int64_t>(1, 4096 / std::max<int64_t>(L, 1)), [&](llvm::Value* row) {
      llvm::Value* base = b.CreateMul(row, kb.i64c(L));
      b.CreateStore(kb.fconst(vec, negInf), maxAcc);
      forRow(base, [&](llvm::Value* at, llvm::Value* mask) {
        llvm::Value* v = kb.loadVec(in, at, mask);
        llvm::Value* m = kb.fmax(b.CreateLoad(vec, maxAcc), v);
        if (mask) m = b.CreateSelect(mask, m, b.CreateLoad(vec, maxAcc));
        b.CreateStore(m, maxAcc);
      });
      llvm::Value* maxScalar = kb.hmax(b.CreateLoad(vec, maxAcc));
      llvm::Value* maxValue = kb.splat(maxScalar);
      b.CreateStore(kb.fconst(vec, 0.0), sumAcc);
      forRow(base, [&](llvm::Value* at, llvm::Value* mask) {
        llvm::Value* e = kb.exp(b.CreateFSub(kb.loadVec(in, at, mask), maxValue));
        if (mask) e = b.CreateSelect(mask, e, kb.fconst(vec, 0.0));
        if (!isLog) kb.storeVec(e, out, at, mask);
        b.CreateStore(b.CreateFAdd(b.CreateLoad(vec, sumAcc), e), sumAcc);
      });
      llvm::Value* sum = kb.hsum(b.CreateLoad(vec, sumAcc));
      if (isLog) {
        // (x - max) - log(sum), not x - (max + log(sum)): with a large max
        // (1e4) the sum max + log(sum) rounds to max's ulp (~1e-3).
        llvm::Value* logSum = kb.splat(kb.log(sum));
        forRow(base, [&](llvm::Value* at, llvm::Value* mask) {
          kb.storeVec(b.CreateFSub(b.CreateFSub(kb.loadVec(in, at, mask), maxValue), logSum), out, at, mask);
        });
      } else {
        llvm::Value* total = kb.splat(sum);
        forRow(base, [&](llvm::Value* at, llvm::Value* mask) {
          kb.storeVec(b.CreateFDiv(kb.loadVec(out, at, mask), total), out, at, mask);
        });
      }
    });
    return KernelInfo{numTasks, double(outer * L * 20), fmt::format("softmax rows={} length={}", outer, L)};
  }

  // Strided axis: vectorize across `inner`.
  const int64_t blocks = (inner + W - 1) / W;
  int64_t numTasks = kb.forEachTaskItem(outer * blocks, 1, [&](llvm::Value* item) {
    llvm::Value* o = b.CreateUDiv(item, kb.i64c(blocks));
    llvm::Value* j0 = b.CreateMul(b.CreateURem(item, kb.i64c(blocks)), kb.i64c(W));
    llvm::Value* mask = inner % W == 0 ? nullptr : kb.laneMask(b.CreateSub(kb.i64c(inner), j0));
    llvm::Value* base = b.CreateAdd(b.CreateMul(o, kb.i64c(L * inner)), j0);
    auto at = [&](llvm::Value* l) { return b.CreateAdd(base, b.CreateMul(l, kb.i64c(inner))); };
    b.CreateStore(kb.fconst(vec, negInf), maxAcc);
    kb.loops.forLoop(0, L, 1, [&](llvm::Value* l) {
      b.CreateStore(kb.fmax(b.CreateLoad(vec, maxAcc), kb.loadVec(in, at(l), mask)), maxAcc);
    }, "l");
    llvm::Value* maxValue = b.CreateLoad(vec, maxAcc);
    b.CreateStore(kb.fconst(vec, 0.0), sumAcc);
    kb.loops.forLoop(0, L, 1, [&](llvm::Value* l) {
      llvm::Value* e = kb.exp(b.CreateFSub(kb.loadVec(in, at(l), mask), maxValue));
      if (!isLog) kb.storeVec(e, out, at(l), mask);
      b.CreateStore(b.CreateFAdd(b.CreateLoad(vec, sumAcc), e), sumAcc);
    }, "l");
    llvm::Value* sum = b.CreateLoad(vec, sumAcc);
    // log_softmax as (x - max) - log(sum): see the contiguous case.
    llvm::Value* logSum = isLog ? kb.log(sum) : nullptr;
    kb.loops.forLoop(0, L, 1, [&](llvm::Value* l) {
      llvm::Value* v = isLog ? b.CreateFSub(b.CreateFSub(kb.loadVec(in, at(l), mask), maxValue), logSum)
                             : b.CreateFDiv(kb.loadVec(out, at(l), mask), sum);
      kb.storeVec(v, out, at(l), mask);
    }, "l");
  });
  return KernelInfo{numTasks, double(outer * L * inner * 20), fmt::format("softmax outer={} axis={} inner={}", outer, L, inner)};
}

Expected<KernelInfo> emitReduce(KernelBuilder& kb) {
  using K = ir::OpKind;
  auto shape = kb.operandShape(0);
  const int64_t rank = int64_t(shape.size());
  std::vector<bool> reduced(size_t(rank), false);
  const auto& axes = kb.node.getInts("axes");
  if (axes.empty()) reduced.assign(size_t(rank), true);
  for (int64_t a : axes) {
    NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(kb, a, rank));
    reduced[size_t(axis)] = true;
  }
  std::vector<int64_t> strides(size_t(rank), 1);
  for (int64_t d = rank - 1; d > 0; --d) strides[size_t(d - 1)] = strides[size_t(d)] * shape[size_t(d)];
  std::vector<int64_t> keptDims, keptStrides, redDims, redStrides;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[size_t(d)]) {
      redDims.push_back(shape[size_t(d)]);
      redStrides.push_back(strides[size_t(d)]);
    } else {
      keptDims.push_back(shape[size_t(d)]);
      keptStrides.push_back(strides[size_t(d)]);
    }
  }
  const int64_t outCount = product(keptDims);
  const int64_t count = product(redDims);
  if (kb.node.result()->type.numElements() != outCount) return kb.error("result size disagrees with axes");
  const K op = kb.node.op;
  const bool isMax = op == K::ReduceMax, isMin = op == K::ReduceMin;
  const bool isFloat = kb.operandType(0) == ir::DType::F32;
  if (!isFloat && op != K::ReduceMax && op != K::ReduceMean && op != K::ReduceSum)
    return kb.error("takes an f32 input");
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* elem = kb.elemTy(kb.operandType(0));
  // Sums and products in double (or i64); max and min in the element type.
  llvm::Type* accType = isMax || isMin ? elem : (isFloat ? b.getDoubleTy() : kb.i64Ty());
  llvm::AllocaInst* acc = kb.entryAlloca(accType, 1, "acc");
  // log_sum_exp: the maximum first, so that exp(v - max) cannot overflow.
  llvm::AllocaInst* shift = op == K::ReduceLogSumExp ? kb.entryAlloca(elem, 1, "shift") : nullptr;
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  const double inf = std::numeric_limits<double>::infinity();
  auto initial = [&]() -> llvm::Value* {
    if (!isFloat) return kb.i64c(isMax ? std::numeric_limits<int64_t>::min() : 0);
    if (isMax || isMin) return kb.f32c(isMax ? -inf : inf);
    return llvm::ConstantFP::get(accType, op == K::ReduceProd ? 1.0 : 0.0);
  };
  // acc OP v for one input element v.
  auto update = [&](llvm::Value* a, llvm::Value* v) -> llvm::Value* {
    auto wide = [&](llvm::Value* x) { return b.CreateFPExt(x, accType); };
    switch (op) {
      case K::ReduceMax: return isFloat ? kb.fmax(a, v) : b.CreateSelect(b.CreateICmpSGT(v, a), v, a);
      case K::ReduceMin: return kb.fmin(a, v);
      case K::ReduceProd: return b.CreateFMul(a, wide(v));
      case K::ReduceL1: return b.CreateFAdd(a, wide(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, v)));
      case K::ReduceL2:
      case K::ReduceSumSquare: return b.CreateFAdd(a, b.CreateFMul(wide(v), wide(v)));
      case K::ReduceLogSumExp:
        return b.CreateFAdd(a, wide(kb.exp(b.CreateFSub(v, b.CreateLoad(elem, shift)))));
      default: return isFloat ? b.CreateFAdd(a, wide(v)) : b.CreateAdd(a, v);  // sum, mean
    }
  };
  int64_t numTasks = kb.forEachTaskItem(outCount, std::max<int64_t>(1, 8192 / std::max<int64_t>(count, 1)), [&](llvm::Value* o) {
    std::vector<llvm::Value*> idx = kb.decompose(o, keptDims);
    llvm::Value* base = kb.i64c(0);
    for (size_t d = 0; d < keptDims.size(); ++d) base = b.CreateAdd(base, b.CreateMul(idx[d], kb.i64c(keptStrides[d])));
    // Visits every reduced element of this output, in index order.
    std::function<void(size_t, llvm::Value*, const std::function<void(llvm::Value*)>&)> nest =
        [&](size_t d, llvm::Value* offset, const std::function<void(llvm::Value*)>& visit) {
          if (d == redDims.size()) {
            visit(kb.load(elem, in, offset));
            return;
          }
          kb.loops.forLoop(
              0, redDims[d], 1,
              [&](llvm::Value* i) {
                nest(d + 1, b.CreateAdd(offset, b.CreateMul(i, kb.i64c(redStrides[d]))), visit);
              },
              "r");
        };
    if (shift) {
      b.CreateStore(kb.f32c(-inf), shift);
      nest(0, base, [&](llvm::Value* v) { b.CreateStore(kb.fmax(b.CreateLoad(elem, shift), v), shift); });
    }
    b.CreateStore(initial(), acc);
    nest(0, base, [&](llvm::Value* v) { b.CreateStore(update(b.CreateLoad(accType, acc), v), acc); });
    llvm::Value* r = b.CreateLoad(accType, acc);
    if (op == K::ReduceMean)
      r = isFloat ? b.CreateFDiv(r, llvm::ConstantFP::get(accType, double(count)))
                  : b.CreateSDiv(r, kb.i64c(std::max<int64_t>(count, 1)));
    if (op == K::ReduceL2) r = b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, r);
    if (isFloat && !isMax && !isMin) r = b.CreateFPTrunc(r, elem);
    if (shift) {
      // max + log(sum exp(v - max)); an infinite max (all -inf, or an inf input) is the answer itself.
      llvm::Value* m = b.CreateLoad(elem, shift);
      llvm::Value* isInf = b.CreateFCmpOEQ(b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, m), kb.f32c(inf));
      r = b.CreateSelect(isInf, m, b.CreateFAdd(kb.log(r), m));
    }
    kb.store(r, out, o);
  });
  return KernelInfo{numTasks, double(outCount * count), fmt::format("reduce {} outputs x {} elements", outCount, count)};
}

Expected<KernelInfo> emitArgReduce(KernelBuilder& kb) {
  auto shape = kb.operandShape(0);
  if (shape.empty() || kb.operandType(0) != ir::DType::F32) return kb.error("input must be f32 of rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(kb, kb.node.getInt("axis"), int64_t(shape.size())));
  const int64_t outer = product(shape, 0, size_t(axis));
  const int64_t L = shape[size_t(axis)];
  const int64_t inner = product(shape, size_t(axis) + 1);
  if (L == 0) return kb.error("the axis is empty");
  const bool isMax = kb.node.op == ir::OpKind::ArgMax;
  const bool last = kb.node.getInt("select_last_index") != 0;
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* f32 = kb.f32Ty();
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  llvm::AllocaInst* bestValue = kb.entryAlloca(f32, 1, "best");
  llvm::AllocaInst* bestIndex = kb.entryAlloca(kb.i64Ty(), 1, "index");
  int64_t numTasks =
      kb.forEachTaskItem(outer * inner, std::max<int64_t>(1, 4096 / L), [&](llvm::Value* item) {
        llvm::Value* o = b.CreateUDiv(item, kb.i64c(inner));
        llvm::Value* base =
            b.CreateAdd(b.CreateMul(o, kb.i64c(L * inner)), b.CreateURem(item, kb.i64c(inner)));
        b.CreateStore(kb.load(f32, in, base), bestValue);
        b.CreateStore(kb.i64c(0), bestIndex);
        kb.loops.forLoop(
            1, L, 1,
            [&](llvm::Value* l) {
              llvm::Value* v = kb.load(f32, in, b.CreateAdd(base, b.CreateMul(l, kb.i64c(inner))));
              llvm::Value* best = b.CreateLoad(f32, bestValue);
              // As the reference: NaN beats every number; ties go to the first or the last index.
              llvm::Value* beats = isMax ? (last ? b.CreateFCmpOGE(v, best) : b.CreateFCmpOGT(v, best))
                                         : (last ? b.CreateFCmpOLE(v, best) : b.CreateFCmpOLT(v, best));
              llvm::Value* vNan = b.CreateFCmpUNO(v, v);
              llvm::Value* bestNan = b.CreateFCmpUNO(best, best);
              llvm::Value* nanWins = last ? vNan : b.CreateAnd(vNan, b.CreateNot(bestNan));
              llvm::Value* better = b.CreateOr(beats, nanWins);
              b.CreateStore(b.CreateSelect(better, v, best), bestValue);
              b.CreateStore(b.CreateSelect(better, l, b.CreateLoad(kb.i64Ty(), bestIndex)), bestIndex);
            },
            "l");
        kb.store(b.CreateLoad(kb.i64Ty(), bestIndex), out, item);
      });
  return KernelInfo{numTasks, double(outer * L * inner),
                    fmt::format("arg reduce outer={} axis={} inner={}", outer, L, inner)};
}

Expected<KernelInfo> emitBatchNorm(KernelBuilder& kb) {
  auto x = kb.operandShape(0);
  if (x.size() < 2 || kb.operandType(0) != ir::DType::F32) return kb.error("input must be f32[N,C,...]");
  const int64_t C = x[1];
  for (size_t i = 1; i < 5; ++i)
    if (kb.operandShape(i) != std::vector<int64_t>{C}) return kb.error(fmt::format("operand {} must have shape [{}]", i, C));
  const int64_t planes = x[0] * C;
  const int64_t size = product(x, 2);
  const double eps = kb.node.getFloat("epsilon");
  const int W = kb.W;
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* in = kb.operand(0);
  llvm::Value* scale = kb.operand(1);
  llvm::Value* bias = kb.operand(2);
  llvm::Value* mean = kb.operand(3);
  llvm::Value* var = kb.operand(4);
  llvm::Value* out = kb.result();
  int64_t numTasks = kb.forEachTaskItem(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(size, 1)), [&](llvm::Value* p) {
    llvm::Value* c = b.CreateURem(p, kb.i64c(C));
    llvm::Value* denom = b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt,
                                                b.CreateFAdd(kb.load(kb.f32Ty(), var, c), kb.f32c(eps)));
    llvm::Value* a = kb.splat(b.CreateFDiv(kb.load(kb.f32Ty(), scale, c), denom));
    llvm::Value* m = kb.splat(kb.load(kb.f32Ty(), mean, c));
    llvm::Value* bb = kb.splat(kb.load(kb.f32Ty(), bias, c));
    llvm::Value* base = b.CreateMul(p, kb.i64c(size));
    auto step = [&](llvm::Value* i, llvm::Value* mask) {
      llvm::Value* at = b.CreateAdd(base, i);
      kb.storeVec(kb.fma(b.CreateFSub(kb.loadVec(in, at, mask), m), a, bb), out, at, mask);
    };
    int64_t full = size / W * W;
    kb.loops.forLoop(0, full, W, [&](llvm::Value* i) { step(i, nullptr); }, "i");
    if (full < size) step(kb.i64c(full), kb.laneMask(kb.i64c(size - full)));
  });
  return KernelInfo{numTasks, double(planes * size * 2), fmt::format("batch_norm planes={} size={}", planes, size)};
}

Expected<KernelInfo> emitLrn(KernelBuilder& kb) {
  auto x = kb.operandShape(0);
  if (x.size() < 3 || kb.operandType(0) != ir::DType::F32) return kb.error("input must be f32[N,C,...]");
  const int64_t N = x[0], C = x[1];
  const int64_t size = product(x, 2);
  const int64_t window = kb.node.getInt("size");
  if (window < 1) return kb.error("size must be positive");
  const double alpha = kb.node.getFloat("alpha"), beta = kb.node.getFloat("beta"), bias = kb.node.getFloat("bias");
  const int64_t before = (window - 1) / 2, after = window - 1 - before;  // ONNX: floor / ceil of (size-1)/2
  const int W = kb.W;
  llvm::IRBuilder<>& b = kb.b;
  llvm::VectorType* vec = kb.vecTy();
  llvm::Value* in = kb.operand(0);
  llvm::Value* out = kb.result();
  llvm::AllocaInst* acc = kb.entryAlloca(vec, 1, "sumsq");
  const int64_t blocks = (size + W - 1) / W;
  int64_t numTasks = kb.forEachTaskItem(N * C * blocks, 4, [&](llvm::Value* item) {
    std::vector<llvm::Value*> idx = kb.decompose(item, {N, C, blocks});
    llvm::Value* j0 = b.CreateMul(idx[2], kb.i64c(W));
    llvm::Value* mask = size % W == 0 ? nullptr : kb.laneMask(b.CreateSub(kb.i64c(size), j0));
    llvm::Value* image = b.CreateMul(idx[0], kb.i64c(C * size));
    llvm::Value* lo = b.CreateSub(idx[1], kb.i64c(before));
    lo = b.CreateSelect(b.CreateICmpSLT(lo, kb.i64c(0)), kb.i64c(0), lo);
    llvm::Value* hi = b.CreateAdd(idx[1], kb.i64c(after + 1));
    hi = b.CreateSelect(b.CreateICmpSGT(hi, kb.i64c(C)), kb.i64c(C), hi);
    b.CreateStore(kb.fconst(vec, 0.0), acc);
    kb.loops.forLoop(lo, hi, 1, [&](llvm::Value* c) {
      llvm::Value* v = kb.loadVec(in, b.CreateAdd(b.CreateAdd(image, b.CreateMul(c, kb.i64c(size))), j0), mask);
      b.CreateStore(kb.fma(v, v, b.CreateLoad(vec, acc)), acc);
    }, "c");
    llvm::Value* at = b.CreateAdd(b.CreateAdd(image, b.CreateMul(idx[1], kb.i64c(size))), j0);
    llvm::Value* base = kb.fma(b.CreateLoad(vec, acc), kb.fconst(vec, alpha / double(window)), kb.fconst(vec, bias));
    llvm::Value* denom = kb.exp(b.CreateFMul(kb.log(base), kb.fconst(vec, beta)));
    kb.storeVec(b.CreateFDiv(kb.loadVec(in, at, mask), denom), out, at, mask);
  });
  return KernelInfo{numTasks, double(N * C * size * window), fmt::format("lrn size={}", window)};
}

}  // namespace nutshell::cpu
