// Direct convolution with the fused epilogue.
//
// Blocking: a task computes KB output channels x one output row (or, with a
// pool epilogue, the conv rows one pooled row needs, kept in a stack tile, so
// the pre-pool tensor is never stored). A row is processed NV vectors of W
// output columns at a time; for every (r, s) kernel tap the inner loop walks
// the input channels: NV (masked) input vector loads, KB broadcast weights,
// KB*NV FMAs into register accumulators. Weights are re-laid out at compile
// time as [group][channel block][r][s][c][KB] so that loop reads them
// contiguously. Padding is handled by load masks (no padded copy of the
// input); stride > 1 reads columns with gathers.
//
// Summation order is fixed (bias, then r, s, c ascending): results do not
// depend on the thread count.
#include "backends/cpu/ConvKernels.h"

#include <fmt/format.h>

#include "backends/common/ConvProblem.h"
#include "backends/cpu/ConvAlgorithms.h"

namespace nutshell::cpu {

Expected<ConvSpec> parseConvSpec(KernelBuilder& kb) {
  const ir::Node& node = kb.node;
  ConvSpec s;
  auto x = kb.operandShape(0);
  auto w = kb.operandShape(1);
  if (x.size() != 4 || w.size() != 4 || kb.operandType(0) != ir::DType::F32 || kb.operandType(1) != ir::DType::F32)
    return kb.error(fmt::format("input {} and weights {} must be f32 NCHW / OIHW", node.operands[0]->type.str(),
                                node.operands[1]->type.str()));
  s.N = x[0], s.C = x[1], s.H = x[2], s.W = x[3];
  s.K = w[0], s.R = w[2], s.S = w[3];
  NUTSHELL_ASSIGN(static_cast<ir::ConvGeometry&>(s), ir::convGeometry(node));
  if (s.C % s.groups != 0 || s.K % s.groups != 0 || w[1] != s.C / s.groups)
    return kb.error(fmt::format("groups={} does not fit input {} and weights {}", s.groups, shapeText(x), shapeText(w)));
  s.Cg = s.C / s.groups;
  s.Kg = s.K / s.groups;
  s.OH = (s.H + s.padTop + s.padBottom - (s.R - 1) * s.dilationH - 1) / s.strideH + 1;
  s.OW = (s.W + s.padLeft + s.padRight - (s.S - 1) * s.dilationW - 1) / s.strideW + 1;
  if (s.OH < 1 || s.OW < 1) return kb.error("the kernel does not fit the padded input");
  s.hasBias = node.operands.size() > 2;
  if (s.hasBias && kb.operandShape(2) != std::vector<int64_t>{s.K}) return kb.error("bias must have shape [K]");
  auto y = kb.resultShape();
  s.PH = s.OH;
  s.PW = s.OW;
  s.outChannels = s.K;
  if (node.op == ir::OpKind::FusedConv2d) {
    NUTSHELL_ASSIGN(s.act, ir::fusedActivation(node));
    NUTSHELL_ASSIGN(std::optional<ir::PoolGeometry> pooled, ir::fusedPoolGeometry(node));
    if (pooled) {
      s.pooled = true;
      PoolSpec& p = s.pool;
      static_cast<ir::PoolGeometry&>(p) = *pooled;
      p.inH = s.OH, p.inW = s.OW;
      s.PH = (s.OH + p.padTop + p.padBottom - p.kernelH) / p.strideH + 1;
      s.PW = (s.OW + p.padLeft + p.padRight - p.kernelW) / p.strideW + 1;
      p.outW = s.PW;
    }
    NUTSHELL_ASSIGN(ir::ConvPlan plan, ir::convPlan(node));
    s.algorithm = plan.algorithm;
    s.tile = plan.tile;
    if (node.operands.size() > 3) {
      s.channelOffset = node.getInt("dest_offset");
      s.outChannels = y[1];
      if (s.channelOffset < 0 || s.channelOffset + s.K > s.outChannels)
        return kb.error(fmt::format("dest_offset {} + {} channels exceeds dest {}", s.channelOffset, s.K,
                                    node.operands[3]->type.str()));
    }
  }
  if (y.size() != 4 || y[0] != s.N || y[1] != s.outChannels || y[2] != s.PH || y[3] != s.PW)
    return kb.error(fmt::format("result {} disagrees with the computed [{},{},{},{}]", node.result()->type.str(), s.N,
                                s.outChannels, s.PH, s.PW));
  return s;
}

namespace {

/// Channel block size: as many channels as the accumulator budget allows,
/// preferring a divisor of Kg so no block is partial.
int64_t chooseChannelBlock(int64_t Kg, int64_t budget) {
  budget = std::max<int64_t>(1, std::min(budget, Kg));
  for (int64_t kb = budget; kb >= std::max<int64_t>(1, budget / 2); --kb)
    if (Kg % kb == 0) return kb;
  int64_t blocks = (Kg + budget - 1) / budget;
  return (Kg + blocks - 1) / blocks;
}

struct DirectPlan {
  int64_t NV, KB, nKB, owBlocks;
  // Weight element (k = blk*KB + kk, c, r, s) at wBlock + r*wr + s*ws + c*wc + kk*wk.
  llvm::Value* weights;
  int64_t blockStride, wr, ws, wc, wk;
  bool clampChannel;  // weights not re-laid out: clamp kk of partial blocks
};

class DirectConvEmitter {
public:
  DirectConvEmitter(KernelBuilder& kb, const ConvSpec& s) : kb_(kb), b_(kb.b), s_(s) {}

  KernelInfo emit() {
    plan();
    x_ = kb_.operand(0);
    out_ = kb_.result();
    bias_ = s_.hasBias ? kb_.operand(2) : nullptr;
    const int64_t rows = s_.pooled ? s_.PH : s_.OH;
    const int64_t items = s_.N * s_.groups * p_.nKB * rows;
    int64_t numTasks = kb_.forEachTaskItem(items, 1, [&](llvm::Value* item) {
      std::vector<llvm::Value*> idx = kb_.decompose(item, {s_.N, s_.groups, p_.nKB, rows});
      if (s_.pooled)
        pooledRow(idx[0], idx[1], idx[2], idx[3]);
      else
        plainRow(idx[0], idx[1], idx[2], idx[3]);
    });
    KernelInfo info;
    info.numTasks = numTasks;
    info.work = 2.0 * double(s_.N * s_.K * s_.OH * s_.OW * s_.Cg * s_.R * s_.S);
    info.summary = fmt::format(
        "direct conv {}x{} C={} K={} groups={} out {}x{}: {} channels x {} vectors of {}{}{}", s_.R, s_.S,
        s_.C, s_.K, s_.groups, s_.OH, s_.OW, p_.KB, p_.NV, kb_.W,
        !s_.act.isNone() ? " act=" + std::string(s_.act.name()) : "",
        s_.pooled
            ? fmt::format(" pool={} {}x{}", s_.pool.isMax ? "max" : "avg", s_.pool.kernelH, s_.pool.kernelW)
            : "");
    return info;
  }

private:
  void plan() {
    const int W = kb_.W;
    int64_t vectors = (s_.OW + W - 1) / W;
    p_.NV = std::min<int64_t>(vectors, 4);
    int64_t budget = (kb_.target.hasAvx512 ? 24 : 12) / p_.NV;
    p_.KB = chooseChannelBlock(s_.Kg, budget);
    p_.nKB = (s_.Kg + p_.KB - 1) / p_.KB;
    p_.owBlocks = (s_.OW + p_.NV * W - 1) / (p_.NV * W);
    const ir::TensorData* w = kb_.constantOperand(1);
    if (w) {
      // [g][blk][r][s][c][kk], zero-padded partial blocks.
      const int64_t KB = p_.KB, nKB = p_.nKB;
      std::vector<float> t(size_t(s_.groups * nKB * s_.R * s_.S * s_.Cg * KB), 0.f);
      for (int64_t g = 0; g < s_.groups; ++g)
        for (int64_t k = 0; k < s_.Kg; ++k)
          for (int64_t c = 0; c < s_.Cg; ++c)
            for (int64_t r = 0; r < s_.R; ++r)
              for (int64_t q = 0; q < s_.S; ++q) {
                int64_t blk = k / KB, kk = k % KB;
                size_t to = size_t(((((g * nKB + blk) * s_.R + r) * s_.S + q) * s_.Cg + c) * KB + kk);
                t[to] = w->f32[size_t((((g * s_.Kg + k) * s_.Cg + c) * s_.R + r) * s_.S + q)];
              }
      p_.weights = kb_.constantGlobal(t, "wblocked");
      p_.wk = 1, p_.wc = KB, p_.ws = s_.Cg * KB, p_.wr = s_.S * s_.Cg * KB;
      p_.blockStride = s_.R * s_.S * s_.Cg * KB;
      p_.clampChannel = false;
    } else {
      p_.weights = kb_.operand(1);
      p_.wk = s_.Cg * s_.R * s_.S, p_.wc = s_.R * s_.S, p_.wr = s_.S, p_.ws = 1;
      p_.blockStride = p_.KB * p_.wk;
      p_.clampChannel = s_.Kg % p_.KB != 0;
    }
  }

  llvm::Value* c64(int64_t v) { return kb_.i64c(v); }

  /// Accumulates conv row `oh` for channel block (g, blk), output columns
  /// from ow0 (NV vectors). Returns KB*NV accumulator values after bias and
  /// activation.
  std::vector<llvm::Value*> convBlock(llvm::Value* n, llvm::Value* g, llvm::Value* blk, llvm::Value* oh, llvm::Value* ow0) {
    const int W = kb_.W;
    const int64_t KB = p_.KB, NV = p_.NV;
    llvm::VectorType* vec = kb_.vecTy();
    std::vector<llvm::Constant*> laneIds;
    for (int i = 0; i < W; ++i) laneIds.push_back(b_.getInt64(i));
    llvm::Value* lanes = llvm::ConstantVector::get(laneIds);
    auto vsplat = [&](llvm::Value* v) { return b_.CreateVectorSplat(W, v); };

    // Global channel of block entry kk (for bias), clamped inside the group.
    auto channelInGroup = [&](int64_t kk) {
      llvm::Value* k = b_.CreateAdd(b_.CreateMul(blk, c64(KB)), c64(kk));
      if (s_.Kg % KB != 0) k = b_.CreateSelect(b_.CreateICmpSLT(k, c64(s_.Kg)), k, c64(s_.Kg - 1));
      return k;
    };
    std::vector<llvm::AllocaInst*> acc(size_t(KB * NV));
    for (int64_t kk = 0; kk < KB; ++kk) {
      llvm::Value* init = kb_.fconst(vec, 0.0);
      if (bias_) {
        llvm::Value* k = b_.CreateAdd(b_.CreateMul(g, c64(s_.Kg)), channelInGroup(kk));
        init = vsplat(kb_.load(kb_.f32Ty(), bias_, k));
      }
      for (int64_t v = 0; v < NV; ++v) {
        acc[size_t(kk * NV + v)] = kb_.entryAlloca(vec, 1, "acc");
        b_.CreateStore(init, acc[size_t(kk * NV + v)]);
      }
    }
    llvm::Value* blockIndex = b_.CreateAdd(b_.CreateMul(g, c64(p_.nKB)), blk);
    llvm::Value* wBlock;
    if (p_.clampChannel)
      wBlock = b_.CreateMul(b_.CreateAdd(b_.CreateMul(g, c64(s_.Kg)), b_.CreateMul(blk, c64(KB))), c64(p_.wk));
    else
      wBlock = b_.CreateMul(blockIndex, c64(p_.blockStride));
    llvm::Value* xImage = b_.CreateMul(b_.CreateAdd(b_.CreateMul(n, c64(s_.C)), b_.CreateMul(g, c64(s_.Cg))),
                                       c64(s_.H * s_.W));
    std::vector<llvm::Value*> owLanes;
    for (int64_t v = 0; v < NV; ++v)
      owLanes.push_back(b_.CreateAdd(vsplat(b_.CreateAdd(ow0, c64(v * W))), lanes));

    kb_.loops.forLoop(0, s_.R, 1, [&](llvm::Value* r) {
      llvm::Value* ih = b_.CreateAdd(b_.CreateSub(b_.CreateMul(oh, c64(s_.strideH)), c64(s_.padTop)),
                                     b_.CreateMul(r, c64(s_.dilationH)));
      llvm::Value* rowOk = b_.CreateAnd(b_.CreateICmpSGE(ih, c64(0)), b_.CreateICmpSLT(ih, c64(s_.H)));
      kb_.loops.ifThen(rowOk, [&] {
        llvm::Value* xRow = b_.CreateAdd(xImage, b_.CreateMul(ih, c64(s_.W)));
        kb_.loops.forLoop(0, s_.S, 1, [&](llvm::Value* q) {
          llvm::Value* shift = b_.CreateSub(b_.CreateMul(q, c64(s_.dilationW)), c64(s_.padLeft));
          std::vector<llvm::Value*> masks, starts;
          for (int64_t v = 0; v < NV; ++v) {
            llvm::Value* iw = b_.CreateAdd(b_.CreateMul(owLanes[size_t(v)], vsplat(c64(s_.strideW))), vsplat(shift));
            llvm::Value* ok = b_.CreateAnd(b_.CreateICmpSGE(iw, vsplat(c64(0))), b_.CreateICmpSLT(iw, vsplat(c64(s_.W))));
            ok = b_.CreateAnd(ok, b_.CreateICmpSLT(owLanes[size_t(v)], vsplat(c64(s_.OW))));
            masks.push_back(ok);
            starts.push_back(b_.CreateAdd(b_.CreateMul(b_.CreateAdd(ow0, c64(v * W)), c64(s_.strideW)), shift));
          }
          llvm::Value* wTap = b_.CreateAdd(wBlock, b_.CreateAdd(b_.CreateMul(r, c64(p_.wr)), b_.CreateMul(q, c64(p_.ws))));
          kb_.loops.forLoop(0, s_.Cg, 1, [&](llvm::Value* c) {
            llvm::Value* xPlane = b_.CreateAdd(xRow, b_.CreateMul(c, c64(s_.H * s_.W)));
            std::vector<llvm::Value*> xs;
            for (int64_t v = 0; v < NV; ++v)
              xs.push_back(kb_.loadStrided(x_, b_.CreateAdd(xPlane, starts[size_t(v)]), s_.strideW, masks[size_t(v)]));
            llvm::Value* wc = b_.CreateAdd(wTap, b_.CreateMul(c, c64(p_.wc)));
            for (int64_t kk = 0; kk < KB; ++kk) {
              llvm::Value* kOff = c64(kk * p_.wk);
              if (p_.clampChannel)  // partial block without re-laid weights
                kOff = b_.CreateMul(b_.CreateSub(channelInGroup(kk), b_.CreateMul(blk, c64(KB))), c64(p_.wk));
              llvm::Value* wv = vsplat(kb_.load(kb_.f32Ty(), p_.weights, b_.CreateAdd(wc, kOff)));
              for (int64_t v = 0; v < NV; ++v) {
                llvm::AllocaInst* slot = acc[size_t(kk * NV + v)];
                b_.CreateStore(kb_.fma(wv, xs[size_t(v)], b_.CreateLoad(vec, slot)), slot);
              }
            }
          }, "c");
        }, "s");
      });
    }, "r");

    std::vector<llvm::Value*> values;
    for (llvm::AllocaInst* slot : acc) values.push_back(kb_.activation(s_.act, b_.CreateLoad(vec, slot)));
    return values;
  }

  /// Stores entry kk of a block unless it is padding of a partial block.
  void forValidChannel(llvm::Value* blk, int64_t kk, const std::function<void(llvm::Value* kInGroup)>& body) {
    llvm::Value* k = b_.CreateAdd(b_.CreateMul(blk, c64(p_.KB)), c64(kk));
    if (s_.Kg % p_.KB == 0)
      body(k);
    else
      kb_.loops.ifThen(b_.CreateICmpSLT(k, c64(s_.Kg)), [&] { body(k); });
  }

  llvm::Value* outChannel(llvm::Value* n, llvm::Value* g, llvm::Value* kInGroup) {
    llvm::Value* ch = b_.CreateAdd(c64(s_.channelOffset), b_.CreateAdd(b_.CreateMul(g, c64(s_.Kg)), kInGroup));
    return b_.CreateAdd(b_.CreateMul(n, c64(s_.outChannels)), ch);
  }

  void plainRow(llvm::Value* n, llvm::Value* g, llvm::Value* blk, llvm::Value* oh) {
    const int W = kb_.W;
    const int64_t NV = p_.NV;
    kb_.loops.forLoop(0, p_.owBlocks, 1, [&](llvm::Value* ob) {
      llvm::Value* ow0 = b_.CreateMul(ob, c64(NV * W));
      std::vector<llvm::Value*> values = convBlock(n, g, blk, oh, ow0);
      for (int64_t kk = 0; kk < p_.KB; ++kk)
        forValidChannel(blk, kk, [&](llvm::Value* k) {
          llvm::Value* rowBase = b_.CreateMul(b_.CreateAdd(b_.CreateMul(outChannel(n, g, k), c64(s_.OH)), oh), c64(s_.OW));
          for (int64_t v = 0; v < NV; ++v) {
            llvm::Value* col = b_.CreateAdd(ow0, c64(v * W));
            llvm::Value* mask = s_.OW % (NV * W) == 0 ? nullptr : kb_.laneMask(b_.CreateSub(c64(s_.OW), col));
            kb_.storeVec(values[size_t(kk * NV + v)], out_, b_.CreateAdd(rowBase, col), mask);
          }
        });
    }, "ob");
  }

  void pooledRow(llvm::Value* n, llvm::Value* g, llvm::Value* blk, llvm::Value* ph) {
    const int W = kb_.W;
    const int64_t NV = p_.NV, KB = p_.KB;
    const PoolSpec& pool = s_.pool;
    const int64_t tileW = p_.owBlocks * NV * W;
    const int64_t tileRows = pool.kernelH;
    llvm::AllocaInst* tile = kb_.entryAlloca(kb_.f32Ty(), KB * tileRows * tileW, "tile");
    // Conv rows this pooled row needs, each computed once into the tile.
    kb_.loops.forLoop(0, tileRows, 1, [&](llvm::Value* r) {
      llvm::Value* oh = b_.CreateAdd(b_.CreateSub(b_.CreateMul(ph, c64(pool.strideH)), c64(pool.padTop)), r);
      llvm::Value* ok = b_.CreateAnd(b_.CreateICmpSGE(oh, c64(0)), b_.CreateICmpSLT(oh, c64(s_.OH)));
      kb_.loops.ifThen(ok, [&] {
        kb_.loops.forLoop(0, p_.owBlocks, 1, [&](llvm::Value* ob) {
          llvm::Value* ow0 = b_.CreateMul(ob, c64(NV * W));
          std::vector<llvm::Value*> values = convBlock(n, g, blk, oh, ow0);
          for (int64_t kk = 0; kk < KB; ++kk)
            for (int64_t v = 0; v < NV; ++v) {
              llvm::Value* at = b_.CreateAdd(b_.CreateMul(b_.CreateAdd(c64(kk * tileRows), r), c64(tileW)),
                                             b_.CreateAdd(ow0, c64(v * W)));
              kb_.storeVec(values[size_t(kk * NV + v)], tile, at);
            }
        }, "ob");
      });
    }, "tr");
    for (int64_t kk = 0; kk < KB; ++kk)
      forValidChannel(blk, kk, [&](llvm::Value* k) {
        llvm::Value* outBase = b_.CreateMul(b_.CreateAdd(b_.CreateMul(outChannel(n, g, k), c64(s_.PH)), ph), c64(s_.PW));
        emitPoolRow(kb_, pool, tile,
                    [&](llvm::Value* r, llvm::Value*) {
                      return b_.CreateMul(b_.CreateAdd(c64(kk * tileRows), r), c64(tileW));
                    },
                    ph, out_, outBase);
      });
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& b_;
  const ConvSpec& s_;
  DirectPlan p_{};
  llvm::Value* x_ = nullptr;
  llvm::Value* out_ = nullptr;
  llvm::Value* bias_ = nullptr;
};

}  // namespace

Expected<KernelInfo> emitDirectConv(KernelBuilder& kb, const ConvSpec& spec) {
  DirectConvEmitter emitter(kb, spec);
  return emitter.emit();
}

/// The algorithm dispatch point: runs the `algo` (and `tile`) select-conv-algo
/// recorded, or says why it cannot. The pass never chooses what this
/// backend cannot run (both ask common::convStructuralRejections), so an
/// impossible plan comes from hand-written or edited IR and is an error, not
/// a silent switch to direct.
Expected<KernelInfo> emitConv2d(KernelBuilder& kb) {
  NUTSHELL_ASSIGN(ConvSpec spec, parseConvSpec(kb));
  using ir::ConvAlgorithm;
  ConvAlgorithm algorithm = spec.algorithm.value_or(ConvAlgorithm::Direct);
  if (algorithm == ConvAlgorithm::Direct) return emitDirectConv(kb, spec);
  NUTSHELL_ASSIGN(common::ConvProblem problem, common::ConvProblem::fromNode(kb.node));
  std::vector<std::string> unsupported = common::convStructuralRejections(problem, algorithm);
  if (!unsupported.empty())
    return kb.error(
        fmt::format("algo=\"{}\" cannot run here: {}; run select-conv-algo to choose one that can",
                    ir::convAlgorithmName(algorithm), common::joinReasons(unsupported)));
  switch (algorithm) {
    case ConvAlgorithm::Direct: break;
    case ConvAlgorithm::Im2col: return emitIm2colConv(kb, spec);
    case ConvAlgorithm::Fft: return emitFftConv(kb, spec);
    case ConvAlgorithm::Winograd: return emitWinogradConv(kb, spec);
  }
  return emitDirectConv(kb, spec);
}

}  // namespace nutshell::cpu
