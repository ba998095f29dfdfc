// layer_norm and group_norm: normalisation by statistics computed in the
// kernel, one kernel each. layer_norm normalises rows of the trailing axes
// (and writes each row's mean and 1/stddev, its other two results);
// group_norm normalises one contiguous block per (sample, channel group),
// then scales and shifts per channel.
//
// Both take a block's moments in two passes like the reference: the mean,
// then the variance of x - mean, vector partial sums accumulated in double
// and combined in a fixed (tree) order, so the result does not depend on the
// thread count.
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>

#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {
namespace {

struct Moments {
  llvm::Value* mean;       // f32 scalar
  llvm::Value* invStdDev;  // f32 scalar: 1/sqrt(variance + epsilon)
};

/// Moments of in[base .. base+length).
Moments blockMoments(KernelBuilder& kb, llvm::Value* in, llvm::Value* base, int64_t length, double epsilon) {
  llvm::IRBuilder<>& b = kb.b;
  const int W = kb.W;
  llvm::VectorType* wide = kb.vecTy(b.getDoubleTy());
  llvm::AllocaInst* acc = kb.entryAlloca(wide, 1, "moment");
  const int64_t full = length / W * W;
  // The mean of (x - shift) or of (x - shift)^2 over the block, in double;
  // the tail's inactive lanes add 0.
  auto accumulate = [&](llvm::Value* shift, bool square) {
    b.CreateStore(llvm::ConstantFP::get(wide, 0.0), acc);
    auto chunk = [&](llvm::Value* j, llvm::Value* mask) {
      llvm::Value* v = kb.loadVec(in, b.CreateAdd(base, j), mask);
      if (shift) v = b.CreateFSub(v, shift);
      if (mask) v = b.CreateSelect(mask, v, kb.fconst(v->getType(), 0.0));
      llvm::Value* d = b.CreateFPExt(v, wide);
      b.CreateStore(b.CreateFAdd(b.CreateLoad(wide, acc), square ? b.CreateFMul(d, d) : d), acc);
    };
    kb.loops.forLoop(
        0, full, W, [&](llvm::Value* j) { chunk(j, nullptr); }, "j");
    if (full < length) chunk(kb.i64c(full), kb.laneMask(kb.i64c(length - full)));
    return b.CreateFDiv(kb.hsum(b.CreateLoad(wide, acc)),
                        llvm::ConstantFP::get(b.getDoubleTy(), double(length)));
  };
  llvm::Value* mean = b.CreateFPTrunc(accumulate(nullptr, false), kb.f32Ty());
  llvm::Value* variance = accumulate(kb.splat(mean), true);
  llvm::Value* stdDev = b.CreateUnaryIntrinsic(
      llvm::Intrinsic::sqrt, b.CreateFAdd(variance, llvm::ConstantFP::get(b.getDoubleTy(), epsilon)));
  llvm::Value* inv = b.CreateFDiv(llvm::ConstantFP::get(b.getDoubleTy(), 1.0), stdDev);
  return {mean, b.CreateFPTrunc(inv, kb.f32Ty())};
}

/// out[base+i] = (in[base+i] - mean) * a[i] + c[i] for i in [0, length),
/// where a and c are vectors from `coefficients(index, mask)`.
template <class Coefficients>
void normalizeBlock(KernelBuilder& kb, llvm::Value* in, llvm::Value* out, llvm::Value* base, int64_t length,
                    llvm::Value* mean, Coefficients coefficients) {
  llvm::IRBuilder<>& b = kb.b;
  const int W = kb.W;
  const int64_t full = length / W * W;
  llvm::Value* m = kb.splat(mean);
  auto chunk = [&](llvm::Value* j, llvm::Value* mask) {
    llvm::Value* at = b.CreateAdd(base, j);
    auto [a, c] = coefficients(j, mask);
    kb.storeVec(kb.fma(b.CreateFSub(kb.loadVec(in, at, mask), m), a, c), out, at, mask);
  };
  kb.loops.forLoop(
      0, full, W, [&](llvm::Value* j) { chunk(j, nullptr); }, "j");
  if (full < length) chunk(kb.i64c(full), kb.laneMask(kb.i64c(length - full)));
}

}  // namespace

Expected<KernelInfo> emitLayerNorm(KernelBuilder& kb) {
  auto x = kb.operandShape(0);
  if (x.empty() || kb.operandType(0) != ir::DType::F32) return kb.error("input must be f32 of rank >= 1");
  const int64_t rank = int64_t(x.size());
  int64_t axis = kb.node.getInt("axis");
  if (axis < -rank || axis >= rank)
    return kb.error(fmt::format("axis {} out of range for rank {}", axis, rank));
  if (axis < 0) axis += rank;
  const int64_t rows = product(x, 0, size_t(axis));
  const int64_t length = product(x, size_t(axis));
  const bool hasBias = kb.node.operands.size() > 2;
  for (size_t i = 1; i < kb.node.operands.size(); ++i)
    if (product(kb.operandShape(i)) != length)
      return kb.error(fmt::format("operand {} must have the {} normalised elements", i, length));
  const double epsilon = kb.node.getFloat("epsilon");
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* in = kb.operand(0);
  llvm::Value* scale = kb.operand(1);
  llvm::Value* bias = hasBias ? kb.operand(2) : nullptr;
  llvm::Value* out = kb.result(0);
  llvm::Value* meanOut = kb.result(1);
  llvm::Value* invOut = kb.result(2);
  int64_t numTasks = kb.forEachTaskItem(
      rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(length, 1)), [&](llvm::Value* row) {
        llvm::Value* base = b.CreateMul(row, kb.i64c(length));
        Moments m = blockMoments(kb, in, base, length, epsilon);
        llvm::Value* inv = kb.splat(m.invStdDev);
        normalizeBlock(kb, in, out, base, length, m.mean, [&](llvm::Value* j, llvm::Value* mask) {
          llvm::Value* a = b.CreateFMul(inv, kb.loadVec(scale, j, mask));
          llvm::Value* c = hasBias ? kb.loadVec(bias, j, mask) : kb.fconst(kb.vecTy(), 0.0);
          return std::pair{a, c};
        });
        kb.store(m.mean, meanOut, row);
        kb.store(m.invStdDev, invOut, row);
      });
  return KernelInfo{numTasks, double(rows * length * 6),
                    fmt::format("layer_norm rows={} length={}", rows, length)};
}

Expected<KernelInfo> emitGroupNorm(KernelBuilder& kb) {
  auto x = kb.operandShape(0);
  if (x.size() < 2 || kb.operandType(0) != ir::DType::F32) return kb.error("input must be f32[N,C,...]");
  const int64_t N = x[0], C = x[1];
  const int64_t groups = kb.node.getInt("num_groups");
  if (groups < 1 || C % groups != 0)
    return kb.error(fmt::format("channels {} not divisible by num_groups {}", C, groups));
  for (size_t i = 1; i < 3; ++i)
    if (kb.operandShape(i) != std::vector<int64_t>{C})
      return kb.error(fmt::format("operand {} must have shape [{}]", i, C));
  const int64_t perGroup = C / groups;
  const int64_t spatial = product(x, 2);
  const int64_t block = perGroup * spatial;
  const double epsilon = kb.node.getFloat("epsilon");
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* in = kb.operand(0);
  llvm::Value* scale = kb.operand(1);
  llvm::Value* bias = kb.operand(2);
  llvm::Value* out = kb.result();
  int64_t numTasks = kb.forEachTaskItem(
      N * groups, std::max<int64_t>(1, 4096 / std::max<int64_t>(block, 1)), [&](llvm::Value* item) {
        llvm::Value* base = b.CreateMul(item, kb.i64c(block));
        Moments m = blockMoments(kb, in, base, block, epsilon);
        llvm::Value* firstChannel = b.CreateMul(b.CreateURem(item, kb.i64c(groups)), kb.i64c(perGroup));
        kb.loops.forLoop(
            0, perGroup, 1,
            [&](llvm::Value* c) {
              llvm::Value* channel = b.CreateAdd(firstChannel, c);
              llvm::Value* a = kb.splat(b.CreateFMul(m.invStdDev, kb.load(kb.f32Ty(), scale, channel)));
              llvm::Value* shift = kb.splat(kb.load(kb.f32Ty(), bias, channel));
              normalizeBlock(kb, in, out, b.CreateAdd(base, b.CreateMul(c, kb.i64c(spatial))), spatial,
                             m.mean, [&](llvm::Value*, llvm::Value*) {
                               return std::pair{a, shift};
                             });
            },
            "c");
      });
  return KernelInfo{numTasks, double(N * C * spatial * 6),
                    fmt::format("group_norm groups={} block={}", N * groups, block)};
}

}  // namespace nutshell::cpu
