// im2col + GEMM convolution (any stride, dilation, padding and groups).
//
// A task is (image, band of conv rows). Per group the band's input patches
// are copied into a column matrix col[j][p] (j = (c, r, s), p = pixel of the
// band, row-major), then out[k][p] = bias[k] + sum_j W[k][j] col[j][p] runs as
// a register-blocked micro-kernel: MB output channels x NV vectors of pixels,
// per j NV vector loads of col, MB broadcast weights, MB*NV FMAs. A band's
// pixels are contiguous in the output (whole rows), so results are stored as
// vectors. 1x1 convolutions with stride 1 and no padding skip the copy: the
// input plane already is the column matrix. Weights are re-laid out at
// compile time as [group][channel block][j][MB] (zero-padded blocks). The sum
// runs over j in order, so results do not depend on the band split.
#include <fmt/format.h>

#include "backends/cpu/ConvAlgorithms.h"

namespace nutshell::cpu {
namespace {

class Im2colEmitter {
public:
  Im2colEmitter(KernelBuilder& kb, const ConvSpec& s) : kb_(kb), b_(kb.b), s_(s) {}

  Expected<KernelInfo> emit() {
    const int W = kb_.W;
    const ir::TensorData* w = kb_.constantOperand(1);
    if (!w) return kb_.error("im2col needs constant weights");
    pointwise_ = s_.R == 1 && s_.S == 1 && s_.strideH == 1 && s_.strideW == 1 && s_.padTop == 0 && s_.padLeft == 0 &&
                 s_.padBottom == 0 && s_.padRight == 0;
    J_ = s_.Cg * s_.R * s_.S;
    // Band: about 512 pixels, with the column matrix within ~1 MB (the GEMM
    // reads one panel of J x NV*W at a time, which stays in L2).
    int64_t rows = std::clamp<int64_t>((512 + s_.OW - 1) / s_.OW, 1, s_.OH);
    if (!pointwise_) rows = std::clamp<int64_t>((1 << 20) / (4 * J_ * s_.OW), 1, rows);
    plan_ = planConvBands(s_, rows);
    const int64_t maxPixels = plan_.maxRows * s_.OW;
    NV_ = std::clamp<int64_t>((maxPixels + W - 1) / W, 1, 4);
    // Channel block: the fewest padded channels per useful FMA, counting the
    // loads a block needs per j (NV vectors + MB broadcasts).
    double bestScore = 1e30;
    for (int64_t mb = 1; mb <= std::min<int64_t>(s_.Kg, std::min<int64_t>(12, 24 / NV_)); ++mb) {
      double padded = double((s_.Kg + mb - 1) / mb * mb) / double(s_.Kg);
      double score = padded * (1.0 + 0.5 * double(NV_ + mb) / double(mb * NV_));
      if (score < bestScore - 1e-9) bestScore = score, MB_ = mb;
    }
    nKB_ = (s_.Kg + MB_ - 1) / MB_;
    pad_ = (maxPixels + NV_ * W - 1) / (NV_ * W) * (NV_ * W);

    std::vector<float> t(size_t(s_.groups * nKB_ * J_ * MB_), 0.f);
    for (int64_t g = 0; g < s_.groups; ++g)
      for (int64_t k = 0; k < s_.Kg; ++k)
        for (int64_t j = 0; j < J_; ++j)
          t[size_t(((g * nKB_ + k / MB_) * J_ + j) * MB_ + k % MB_)] = w->f32[size_t((g * s_.Kg + k) * J_ + j)];
    weights_ = kb_.constantGlobal(t, "wim2col");
    x_ = kb_.operand(0);
    bias_ = s_.hasBias ? kb_.operand(2) : nullptr;

    int64_t numTasks = emitConvBands(kb_, s_, plan_, pointwise_ ? 0 : J_ * pad_,
                                     [&](const ConvBandContext& ctx) { band(ctx); });
    KernelInfo info;
    info.numTasks = numTasks;
    info.work = 2.0 * double(s_.N * s_.K * s_.OH * s_.OW * J_);
    info.summary = fmt::format(
        "im2col conv {}x{} C={} K={} groups={} out {}x{}: {} bands, gemm {}x{} vectors{}{}{}", s_.R, s_.S,
        s_.C, s_.K, s_.groups, s_.OH, s_.OW, plan_.bands.size(), MB_, NV_, pointwise_ ? " (no copy)" : "",
        !s_.act.isNone() ? " act=" + std::string(s_.act.name()) : "",
        s_.pooled ? fmt::format(" pool={}", s_.pool.isMax ? "max" : "avg") : "");
    return info;
  }

private:
  llvm::Value* c64(int64_t v) { return kb_.i64c(v); }

  void band(const ConvBandContext& ctx) {
    const int W = kb_.W;
    llvm::Value* pixels = b_.CreateMul(b_.CreateSub(ctx.r1, ctx.r0), c64(s_.OW));
    llvm::Value* pixelBlocks = b_.CreateUDiv(b_.CreateAdd(pixels, c64(NV_ * W - 1)), c64(NV_ * W));
    // Output element (k, pixel p of the band) at sinkBase + k*kStride + p.
    llvm::Value* sinkBase = b_.CreateAdd(ctx.sink.offset, b_.CreateMul(b_.CreateSub(ctx.r0, ctx.sink.firstRow), c64(s_.OW)));
    kb_.loops.forLoop(int64_t{0}, s_.groups, 1, [&](llvm::Value* g) {
      llvm::Value* plane0 = b_.CreateMul(b_.CreateAdd(b_.CreateMul(ctx.n, c64(s_.C)), b_.CreateMul(g, c64(s_.Cg))),
                                         c64(s_.H * s_.W));
      llvm::Value *matrix, *offset;
      int64_t jStride;
      if (pointwise_) {
        matrix = x_;
        offset = b_.CreateAdd(plane0, b_.CreateMul(ctx.r0, c64(s_.OW)));
        jStride = s_.H * s_.W;
      } else {
        matrix = ctx.scratch;
        offset = c64(0);
        jStride = pad_;
        fillColumns(ctx, plane0);
      }
      kb_.loops.forLoop(int64_t{0}, pixelBlocks, 1, [&](llvm::Value* pb) {
        llvm::Value* p0 = b_.CreateMul(pb, c64(NV_ * W));
        kb_.loops.forLoop(int64_t{0}, nKB_, 1, [&](llvm::Value* kbk) {
          // Full blocks unmasked; the band's last block with as few vectors
          // as it needs (masked).
          llvm::Value* remaining = b_.CreateSub(pixels, p0);
          std::function<void(int64_t)> tail = [&](int64_t nv) {
            if (nv == NV_) return tile(g, kbk, matrix, offset, jStride, p0, pixels, nv, sinkBase, ctx.sink);
            kb_.loops.ifThenElse(
                b_.CreateICmpSLE(remaining, c64(nv * W)),
                [&] { tile(g, kbk, matrix, offset, jStride, p0, pixels, nv, sinkBase, ctx.sink); },
                [&] { tail(nv + 1); });
          };
          kb_.loops.ifThenElse(
              b_.CreateICmpSGE(remaining, c64(NV_ * W)),
              [&] { tile(g, kbk, matrix, offset, jStride, p0, nullptr, NV_, sinkBase, ctx.sink); },
              [&] { tail(1); });
        }, "kblk");
      }, "pblk");
    }, "g");
  }

  /// col[j][(row - r0)*OW + ow] for j = (c, r, s) of one group.
  void fillColumns(const ConvBandContext& ctx, llvm::Value* plane0) {
    const int W = kb_.W;
    llvm::VectorType* vec = kb_.vecTy();
    std::vector<llvm::Constant*> laneIds;
    for (int i = 0; i < W; ++i) laneIds.push_back(b_.getInt64(i));
    llvm::Value* lanes = llvm::ConstantVector::get(laneIds);
    auto vsplat = [&](llvm::Value* v) { return b_.CreateVectorSplat(W, v); };
    kb_.loops.forLoop(int64_t{0}, s_.Cg, 1, [&](llvm::Value* c) {
      llvm::Value* plane = b_.CreateAdd(plane0, b_.CreateMul(c, c64(s_.H * s_.W)));
      kb_.loops.forLoop(int64_t{0}, s_.R, 1, [&](llvm::Value* r) {
        kb_.loops.forLoop(int64_t{0}, s_.S, 1, [&](llvm::Value* q) {
          llvm::Value* j = b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateMul(c, c64(s_.R)), r), c64(s_.S)), q);
          llvm::Value* colRow = b_.CreateMul(j, c64(pad_));
          llvm::Value* shift = b_.CreateSub(b_.CreateMul(q, c64(s_.dilationW)), c64(s_.padLeft));
          kb_.loops.forLoop(ctx.r0, ctx.r1, 1, [&](llvm::Value* row) {
            llvm::Value* ih = b_.CreateAdd(b_.CreateSub(b_.CreateMul(row, c64(s_.strideH)), c64(s_.padTop)),
                                           b_.CreateMul(r, c64(s_.dilationH)));
            llvm::Value* rowOk = b_.CreateICmpULT(ih, c64(s_.H));
            llvm::Value* src = b_.CreateAdd(plane, b_.CreateMul(ih, c64(s_.W)));
            llvm::Value* dst = b_.CreateAdd(colRow, b_.CreateMul(b_.CreateSub(row, ctx.r0), c64(s_.OW)));
            kb_.loops.forLoop(int64_t{0}, s_.OW, W, [&](llvm::Value* ow0) {
              llvm::Value* ow = b_.CreateAdd(vsplat(ow0), lanes);
              llvm::Value* inRow = b_.CreateICmpSLT(ow, vsplat(c64(s_.OW)));
              llvm::Value* iw0 = b_.CreateAdd(b_.CreateMul(ow0, c64(s_.strideW)), shift);
              llvm::Value* iw = b_.CreateAdd(b_.CreateMul(ow, vsplat(c64(s_.strideW))), vsplat(shift));
              llvm::Value* ok = b_.CreateAnd(b_.CreateAnd(b_.CreateICmpSGE(iw, vsplat(c64(0))),
                                                          b_.CreateICmpSLT(iw, vsplat(c64(s_.W)))),
                                             b_.CreateAnd(inRow, vsplat(rowOk)));
              llvm::Value* v;
              if (s_.strideW == 2) {
                // Two contiguous (masked) loads and an even-lane shuffle: a
                // gather costs about one cycle per lane.
                llvm::Value* rowSplat = vsplat(rowOk);
                llvm::Value* at = b_.CreateAdd(src, iw0);
                std::vector<llvm::Value*> halves;
                for (int64_t h = 0; h < 2; ++h) {
                  llvm::Value* e = b_.CreateAdd(vsplat(b_.CreateAdd(iw0, c64(h * W))), lanes);
                  llvm::Value* inside = b_.CreateAnd(b_.CreateAnd(b_.CreateICmpSGE(e, vsplat(c64(0))),
                                                                  b_.CreateICmpSLT(e, vsplat(c64(s_.W)))),
                                                     rowSplat);
                  halves.push_back(kb_.loadVec(x_, b_.CreateAdd(at, c64(h * W)), inside));
                }
                std::vector<int> even;
                for (int i = 0; i < W; ++i) even.push_back(2 * i);
                v = b_.CreateShuffleVector(halves[0], halves[1], even);
              } else {
                v = kb_.loadStrided(x_, b_.CreateAdd(src, iw0), s_.strideW, ok);
              }
              (void)vec;
              kb_.storeVec(v, ctx.scratch, b_.CreateAdd(dst, ow0), s_.OW % W == 0 ? nullptr : inRow);
            }, "ow");
          }, "row");
        }, "s");
      }, "r");
    }, "c");
  }

  /// MB channels (block kbk of group g) x NV pixel vectors from p0; `limit`
  /// (pixels of the band), when given, masks the band's last block.
  void tile(llvm::Value* g, llvm::Value* kbk, llvm::Value* matrix, llvm::Value* offset, int64_t jStride,
            llvm::Value* p0, llvm::Value* limit, int64_t NV, llvm::Value* sinkBase, const ConvSink& sink) {
    const int W = kb_.W;
    llvm::VectorType* vec = kb_.vecTy();
    std::vector<llvm::Value*> masks(size_t(NV), nullptr);
    if (limit)
      for (int64_t v = 0; v < NV; ++v) masks[size_t(v)] = kb_.laneMask(b_.CreateSub(limit, b_.CreateAdd(p0, c64(v * W))));
    std::vector<llvm::AllocaInst*> acc(size_t(MB_ * NV));
    llvm::Value* k0 = b_.CreateMul(kbk, c64(MB_));
    std::vector<llvm::Value*> channels;
    for (int64_t mm = 0; mm < MB_; ++mm) {
      llvm::Value* k = b_.CreateAdd(k0, c64(mm));
      if (s_.Kg % MB_ != 0) k = b_.CreateSelect(b_.CreateICmpSLT(k, c64(s_.Kg)), k, c64(s_.Kg - 1));
      channels.push_back(b_.CreateAdd(b_.CreateMul(g, c64(s_.Kg)), k));
      llvm::Value* init = bias_ ? kb_.splat(kb_.load(kb_.f32Ty(), bias_, channels.back())) : kb_.fconst(vec, 0.0);
      for (int64_t v = 0; v < NV; ++v) {
        acc[size_t(mm * NV + v)] = kb_.entryAlloca(vec, 1, "cacc");
        b_.CreateStore(init, acc[size_t(mm * NV + v)]);
      }
    }
    llvm::Value* wBase = b_.CreateMul(b_.CreateAdd(b_.CreateMul(g, c64(nKB_)), kbk), c64(J_ * MB_));
    llvm::Value* bBase = b_.CreateAdd(offset, p0);
    kb_.loops.forLoop(int64_t{0}, J_, 1, [&](llvm::Value* j) {
      llvm::Value* bRow = b_.CreateAdd(bBase, b_.CreateMul(j, c64(jStride)));
      std::vector<llvm::Value*> bv;
      for (int64_t v = 0; v < NV; ++v) bv.push_back(kb_.loadVec(matrix, b_.CreateAdd(bRow, c64(v * W)), masks[size_t(v)]));
      llvm::Value* wRow = b_.CreateAdd(wBase, b_.CreateMul(j, c64(MB_)));
      for (int64_t mm = 0; mm < MB_; ++mm) {
        llvm::Value* wv = kb_.splat(kb_.load(kb_.f32Ty(), weights_, b_.CreateAdd(wRow, c64(mm))));
        for (int64_t v = 0; v < NV; ++v) {
          llvm::AllocaInst* slot = acc[size_t(mm * NV + v)];
          b_.CreateStore(kb_.fma(wv, bv[size_t(v)], b_.CreateLoad(vec, slot)), slot);
        }
      }
    }, "j");
    for (int64_t mm = 0; mm < MB_; ++mm) {
      auto store = [&] {
        llvm::Value* rowBase = b_.CreateAdd(sinkBase, b_.CreateMul(channels[size_t(mm)], c64(sink.kStride)));
        for (int64_t v = 0; v < NV; ++v) {
          llvm::Value* value = kb_.activation(s_.act, b_.CreateLoad(vec, acc[size_t(mm * NV + v)]));
          kb_.storeVec(value, sink.base, b_.CreateAdd(rowBase, b_.CreateAdd(p0, c64(v * W))), masks[size_t(v)]);
        }
      };
      if (s_.Kg % MB_ == 0)
        store();
      else
        kb_.loops.ifThen(b_.CreateICmpSLT(b_.CreateAdd(k0, c64(mm)), c64(s_.Kg)), store);
    }
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& b_;
  const ConvSpec& s_;
  ConvBandPlan plan_;
  bool pointwise_ = false;
  int64_t J_ = 0, NV_ = 1, MB_ = 1, nKB_ = 1, pad_ = 0;
  llvm::Value* weights_ = nullptr;
  llvm::Value* x_ = nullptr;
  llvm::Value* bias_ = nullptr;
};

}  // namespace

Expected<KernelInfo> emitIm2colConv(KernelBuilder& kb, const ConvSpec& spec) {
  Im2colEmitter emitter(kb, spec);
  return emitter.emit();
}

}  // namespace nutshell::cpu
