// Shared pieces of the non-direct convolution algorithms (see ConvAlgorithms.h):
// band planning, the (image, band) task loop with scratch memory and the pool
// epilogue, lane gathers/scatters, and the tile-transform driver that FFT and
// Winograd plug their transforms into.
#include "backends/cpu/ConvAlgorithms.h"

#include <fmt/format.h>

namespace nutshell::cpu {

ConvBandPlan planConvBands(const ConvSpec& s, int64_t rowsPerBand) {
  ConvBandPlan plan;
  rowsPerBand = std::max<int64_t>(1, rowsPerBand);
  if (!s.pooled) {
    for (int64_t r0 = 0; r0 < s.OH; r0 += rowsPerBand) plan.bands.push_back({0, 0, r0, std::min(s.OH, r0 + rowsPerBand)});
  } else {
    const PoolSpec& p = s.pool;
    int64_t perBand = std::max<int64_t>(1, rowsPerBand / p.strideH);
    for (int64_t p0 = 0; p0 < s.PH; p0 += perBand) {
      int64_t p1 = std::min(s.PH, p0 + perBand);
      int64_t r0 = std::clamp<int64_t>(p0 * p.strideH - p.padTop, 0, s.OH);
      int64_t r1 = std::clamp<int64_t>((p1 - 1) * p.strideH - p.padTop + (p.kernelH - 1) * p.dilationH + 1, r0, s.OH);
      plan.bands.push_back({p0, p1, r0, r1});
    }
  }
  for (const ConvBand& band : plan.bands) plan.maxRows = std::max(plan.maxRows, band.r1 - band.r0);
  return plan;
}

llvm::Value* laneOffsets(KernelBuilder& kb, int64_t stride) {
  std::vector<llvm::Constant*> lanes;
  for (int i = 0; i < kb.W; ++i) lanes.push_back(kb.b.getInt32(static_cast<uint32_t>(i * stride)));
  return llvm::ConstantVector::get(lanes);
}

llvm::Value* splatBool(KernelBuilder& kb, llvm::Value* flag) { return kb.b.CreateVectorSplat(kb.W, flag); }

static llvm::Value* lanePointers(KernelBuilder& kb, llvm::Value* base, llvm::Value* offset, llvm::Value* lanes) {
  // Scalar i64 offset first, then small i32 lane offsets: one vgatherdps.
  llvm::Value* start = kb.b.CreateGEP(kb.f32Ty(), base, offset);
  return kb.b.CreateGEP(kb.f32Ty(), start, lanes);
}

llvm::Value* gatherLanes(KernelBuilder& kb, llvm::Value* base, llvm::Value* offset, llvm::Value* lanes,
                         llvm::Value* mask) {
  llvm::VectorType* type = kb.vecTy();
  return kb.b.CreateMaskedGather(type, lanePointers(kb, base, offset, lanes), llvm::Align(4), mask,
                                 llvm::Constant::getNullValue(type));
}

void scatterLanes(KernelBuilder& kb, llvm::Value* value, llvm::Value* base, llvm::Value* offset, llvm::Value* lanes,
                  llvm::Value* mask) {
  kb.b.CreateMaskedScatter(value, lanePointers(kb, base, offset, lanes), llvm::Align(4), mask);
}

int64_t emitConvBands(KernelBuilder& kb, const ConvSpec& s, const ConvBandPlan& plan, int64_t scratchFloats,
                      const std::function<void(const ConvBandContext&)>& body, int64_t kSplit) {
  llvm::IRBuilder<>& b = kb.b;
  auto c64 = [&](int64_t v) { return kb.i64c(v); };
  const int64_t numBands = int64_t(plan.bands.size());
  std::vector<int64_t> table;
  for (const ConvBand& band : plan.bands) table.insert(table.end(), {band.p0, band.p1, band.r0, band.r1});
  llvm::GlobalVariable* bands = kb.constantGlobalI64(table, "bands");
  scratchFloats = (scratchFloats + 15) / 16 * 16;
  const int64_t bandKStride = plan.maxRows * s.OW;
  const int64_t totalFloats = scratchFloats + (s.pooled ? s.K * bandKStride : 0);

  // One allocation per kernel call: the tasks of a call run one after another.
  llvm::Value* scratch = llvm::ConstantPointerNull::get(kb.b.getPtrTy());
  if (totalFloats > 0) {
    llvm::FunctionCallee alloc = kb.module.getOrInsertFunction(
        "aligned_alloc", llvm::FunctionType::get(kb.ptrTy(), {kb.i64Ty(), kb.i64Ty()}, false));
    int64_t bytes = (totalFloats * 4 + 63) / 64 * 64;
    scratch = b.CreateCall(alloc, {c64(64), c64(bytes)}, "scratch");
  }
  llvm::Value* bandBuffer = s.pooled ? b.CreateGEP(kb.f32Ty(), scratch, c64(scratchFloats)) : nullptr;
  llvm::Value* out = kb.result();

  kSplit = std::max<int64_t>(1, kSplit);
  const int64_t kPerSlice = s.K / kSplit;
  // One (image, band) item for output-channel slices [kSlice, kSlice + kSlices).
  auto task = [&](llvm::Value* item, llvm::Value* kSlice, int64_t kSlices) {
    ConvBandContext ctx;
    ctx.kSlice = kSlice;
    ctx.kSlices = kSlices;
    ctx.n = b.CreateUDiv(item, c64(numBands));
    ctx.band = b.CreateURem(item, c64(numBands));
    auto field = [&](int f) {
      return kb.load(kb.i64Ty(), bands, b.CreateAdd(b.CreateMul(ctx.band, c64(4)), c64(f)));
    };
    llvm::Value* p0 = field(0);
    llvm::Value* p1 = field(1);
    ctx.r0 = field(2);
    ctx.r1 = field(3);
    ctx.scratch = scratch;
    if (s.pooled) {
      ctx.sink = {bandBuffer, c64(0), bandKStride, ctx.r0, ctx.r0, ctx.r1};
    } else {
      llvm::Value* offset =
          b.CreateMul(b.CreateAdd(b.CreateMul(ctx.n, c64(s.outChannels)), c64(s.channelOffset)), c64(s.OH * s.OW));
      ctx.sink = {out, offset, s.OH * s.OW, c64(0), ctx.r0, ctx.r1};
    }
    body(ctx);
    if (!s.pooled) return;
    // Pool epilogue: pooled rows [p0, p1) of the slice's channels from the band.
    llvm::Value* kBegin = b.CreateMul(ctx.kSlice, c64(kPerSlice));
    kb.loops.forLoop(kBegin, b.CreateAdd(kBegin, c64(kSlices * kPerSlice)), 1, [&](llvm::Value* k) {
      llvm::Value* channel = b.CreateAdd(b.CreateMul(ctx.n, c64(s.outChannels)), b.CreateAdd(k, c64(s.channelOffset)));
      llvm::Value* kBase = b.CreateMul(k, c64(bandKStride));
      kb.loops.forLoop(p0, p1, 1, [&](llvm::Value* p) {
        llvm::Value* outBase = b.CreateMul(b.CreateAdd(b.CreateMul(channel, c64(s.PH)), p), c64(s.PW));
        emitPoolRow(
            kb, s.pool, bandBuffer,
            [&](llvm::Value*, llvm::Value* ih) { return b.CreateAdd(kBase, b.CreateMul(b.CreateSub(ih, ctx.r0), c64(s.OW))); },
            p, out, outBase);
      }, "prow");
    }, "pk");
  };
  const int64_t items = s.N * numBands;
  auto splitLoop = [&] {
    return kb.forEachTaskItem(kSplit * items, 1, [&](llvm::Value* t) {
      task(b.CreateURem(t, c64(items)), b.CreateUDiv(t, c64(items)), 1);
    });
  };
  int64_t numTasks = kSplit * items;
  if (kSplit == 1) {
    numTasks = splitLoop();
  } else {
    // A call that runs every task (one thread) computes all channels of an
    // item at once rather than repeating the per-item work of each slice.
    llvm::Value* all = b.CreateAnd(b.CreateICmpEQ(kb.taskBegin(), c64(0)), b.CreateICmpEQ(kb.taskEnd(), c64(numTasks)));
    kb.loops.ifThenElse(
        all, [&] { kb.loops.forLoop(int64_t{0}, items, 1, [&](llvm::Value* item) { task(item, c64(0), kSplit); }, "item"); },
        [&] { splitLoop(); });
  }
  if (totalFloats > 0) {
    llvm::FunctionCallee release =
        kb.module.getOrInsertFunction("free", llvm::FunctionType::get(b.getVoidTy(), {kb.ptrTy()}, false));
    b.CreateCall(release, {scratch});
  }
  return numTasks;
}

// ---- tile-transform driver ------------------------------------------------------------

namespace {

class TileTransformEmitter {
public:
  TileTransformEmitter(KernelBuilder& kb, const ConvSpec& s, const TileTransformAlgorithm& a)
      : kb_(kb), b_(kb.b), s_(s), a_(a) {}

  KernelInfo emit() {
    const int W = kb_.W;
    Cpad_ = (s_.C + W - 1) / W * W;
    Kpad_ = (s_.K + W - 1) / W * W;
    tileRows_ = (s_.OH + a_.outH - 1) / a_.outH;
    tileCols_ = (s_.OW + a_.outW - 1) / a_.outW;
    // Register blocks of the transformed-domain GEMM: accumulators
    // parts*TB*KV <= 24 of the 32 vector registers.
    const int64_t nKV = Kpad_ / W;
    KV_ = std::min<int64_t>(nKV, 2);
    TB_ = 24 / (a_.parts * KV_);
    // About 2 GEMM blocks of tiles per band: weights are streamed once per
    // band, so bands should be wide; bands also give the parallelism.
    int64_t target = 2 * TB_;
    int64_t perBand = std::clamp<int64_t>((target + tileCols_ - 1) / tileCols_, 1, tileRows_);
    // Keep the transformed tiles of a band within a few MB.
    int64_t tileFloats = a_.positions * a_.parts * (Cpad_ + Kpad_);
    while (perBand > 1 && perBand * tileCols_ * tileFloats * 4 > (4 << 20)) --perBand;
    plan_ = planConvBands(s_, perBand * a_.outH);
    int64_t maxTileRows = 1;
    for (const ConvBand& band : plan_.bands)
      if (band.r1 > band.r0) maxTileRows = std::max(maxTileRows, (band.r1 - 1) / a_.outH - band.r0 / a_.outH + 1);
    // Small planes (one band per image, e.g. 14x14 or 7x7 with many
    // channels): a task takes G images, so the transformed weights (16-37
    // floats per C*K) are streamed once per G images rather than per image.
    // G divides N and leaves at least 4 tasks for the threads; it is fixed at
    // compile time and every tile's arithmetic is the same, so results do
    // not depend on the thread count.
    images_ = 1;
    if (!s_.pooled && plan_.bands.size() == 1)
      for (int64_t g = s_.N / 4; g > 1; --g)
        if (s_.N % g == 0 && g * tileRows_ * tileCols_ <= 128 &&
            g * tileRows_ * tileCols_ * tileFloats * 4 <= (8 << 20)) {
          images_ = g;
          break;
        }
    // Few tasks (e.g. batch 1 with two or three bands of unequal tile rows:
    // 3x3 tiles split 6/3): tasks become (output-channel half, band), halves
    // outermost, so two threads each take one half of every band. Each half
    // repeats the forward transforms but the work is even; every output is
    // still computed by one task in the same order, so results do not depend
    // on the thread count.
    const int64_t numTasks0 = s_.N / images_ * int64_t(plan_.bands.size());
    bool unevenBands = false;
    for (const ConvBand& band : plan_.bands)
      if (band.r1 > band.r0 && (band.r1 - 1) / a_.outH - band.r0 / a_.outH + 1 != maxTileRows) unevenBands = true;
    if (numTasks0 < 4 && (numTasks0 % 2 == 1 || unevenBands) && s_.K % (2 * W) == 0) kSplit_ = 2;
    const int64_t nKVSlice = nKV / kSplit_;
    maxTileRows *= images_;
    // Every GEMM block computes TB tiles, so a band's tile count rounded up
    // to TB is the work done: pick TB (and KV within the accumulator budget)
    // with the least padded work per useful FMA, counting the loads a block
    // needs per channel (TB broadcasts + parts*KV vectors; the weight 1.5 is
    // measured: 28 tiles x 64 channels run fastest as 6x4, not 4x4 or 7x2).
    // E.g. 16 tiles (7x7 outputs, F(2x2)) with TB=12 computed 24 tiles.
    const int64_t bandTiles = maxTileRows * tileCols_;
    double bestScore = 1e30;
    for (int64_t kv = 1; kv <= std::min<int64_t>(nKVSlice, 4); ++kv)
      for (int64_t tb = 1; tb * a_.parts * kv <= 24 && tb <= bandTiles; ++tb) {
        double padded = double((bandTiles + tb - 1) / tb * tb) / double(bandTiles);
        double kPadded = double((nKVSlice + kv - 1) / kv * kv) / double(nKVSlice);  // tail blocks run narrower, but less efficiently
        double score = padded * (1.0 + 0.25 * (kPadded - 1.0)) *
                       (1.0 + 1.5 * double(tb + a_.parts * kv) / double(tb * a_.parts * kv));
        if (score < bestScore - 1e-9) bestScore = score, TB_ = tb, KV_ = kv;
      }
    maxTiles_ = (maxTileRows * tileCols_ + TB_ - 1) / TB_ * TB_;
    xFloats_ = maxTiles_ * a_.positions * a_.parts * Cpad_;
    yFloats_ = maxTiles_ * a_.positions * a_.parts * Kpad_;
    int64_t tmp = (a_.tmpFloats + 15) / 16 * 16;

    weights_ = kb_.constantGlobal(a_.weights, "wtransformed");
    x_ = kb_.operand(0);
    bias_ = s_.hasBias ? kb_.operand(2) : nullptr;
    ConvSpec taskSpec = s_;
    taskSpec.N = s_.N / images_;  // tasks: (group of images_ images, band)
    int64_t numTasks = emitConvBands(kb_, taskSpec, plan_, xFloats_ + yFloats_ + tmp, [&](const ConvBandContext& ctx) {
      band(ctx);
    }, kSplit_);

    double tiles = double(s_.N * tileRows_ * tileCols_);
    KernelInfo info;
    info.numTasks = numTasks;
    info.work = tiles * (a_.flopsPerTile * double(kSplit_ * Cpad_ + Kpad_) / W +
                         2.0 * a_.parts * a_.parts * double(a_.positions * s_.C * s_.K));
    info.summary = fmt::format(
        "{} conv {}x{} C={} K={} out {}x{}: {}x{} tiles of {}x{} outputs, {} bands{}{}, gemm {} tiles x {} "
        "vectors{}{}",
        a_.name, s_.R, s_.S, s_.C, s_.K, s_.OH, s_.OW, tileRows_, tileCols_, a_.outH, a_.outW,
        plan_.bands.size(), images_ > 1 ? fmt::format(" x {} images", images_) : "",
        kSplit_ > 1 ? fmt::format(" x {} channel slices", kSplit_) : "", TB_, KV_,
        !s_.act.isNone() ? " act=" + std::string(s_.act.name()) : "",
        s_.pooled
            ? fmt::format(" pool={} {}x{}", s_.pool.isMax ? "max" : "avg", s_.pool.kernelH, s_.pool.kernelW)
            : "");
    return info;
  }

private:
  llvm::Value* c64(int64_t v) { return kb_.i64c(v); }

  void band(const ConvBandContext& ctx) {
    llvm::Value* x = b_.CreateGEP(kb_.f32Ty(), ctx.scratch, c64(0));
    llvm::Value* y = b_.CreateGEP(kb_.f32Ty(), ctx.scratch, c64(xFloats_));
    llvm::Value* tmp = b_.CreateGEP(kb_.f32Ty(), ctx.scratch, c64(xFloats_ + yFloats_));
    // Tile rows covering conv rows [r0, r1) on the global tile grid.
    llvm::Value* tr0 = b_.CreateUDiv(ctx.r0, c64(a_.outH));
    llvm::Value* tr1 = b_.CreateAdd(b_.CreateUDiv(b_.CreateSub(ctx.r1, c64(1)), c64(a_.outH)), c64(1));
    tr1 = b_.CreateSelect(b_.CreateICmpSGT(ctx.r1, ctx.r0), tr1, tr0);
    llvm::Value* numTiles = b_.CreateMul(b_.CreateSub(tr1, tr0), c64(tileCols_));
    if (images_ > 1) numTiles = c64(images_ * tileRows_ * tileCols_);  // whole images, tr0 = 0
    forwardStage(ctx, x, tmp, tr0, numTiles);
    const int64_t sliceKV = Kpad_ / kb_.W / kSplit_;
    llvm::Value* kvBase = b_.CreateMul(ctx.kSlice, c64(sliceKV));
    gemmStage(x, y, numTiles, kvBase, ctx.kSlices * sliceKV);
    inverseStage(ctx, y, tmp, tr0, numTiles, kvBase, ctx.kSlices * sliceKV);
  }

  /// Tile t of a band: its image (the task's image group when images_ > 1)
  /// and its output origin.
  void tileOrigin(const ConvBandContext& ctx, llvm::Value* tr0, llvm::Value* t, llvm::Value*& image, llvm::Value*& row,
                  llvm::Value*& col) {
    image = ctx.n;
    if (images_ > 1) {
      const int64_t perImage = tileRows_ * tileCols_;
      image = b_.CreateAdd(b_.CreateMul(ctx.n, c64(images_)), b_.CreateUDiv(t, c64(perImage)));
      t = b_.CreateURem(t, c64(perImage));
    }
    row = b_.CreateMul(b_.CreateAdd(tr0, b_.CreateUDiv(t, c64(tileCols_))), c64(a_.outH));
    col = b_.CreateMul(b_.CreateURem(t, c64(tileCols_)), c64(a_.outW));
  }

  void forwardStage(const ConvBandContext& ctx, llvm::Value* x, llvm::Value* tmp, llvm::Value* tr0,
                    llvm::Value* numTiles) {
    const int W = kb_.W;
    llvm::Value* planeLanes = laneOffsets(kb_, s_.H * s_.W);
    kb_.loops.forLoop(int64_t{0}, numTiles, 1, [&](llvm::Value* t) {
      llvm::Value *image, *oy, *ox;
      tileOrigin(ctx, tr0, t, image, oy, ox);
      llvm::Value* iy0 = b_.CreateSub(oy, c64(s_.padTop));
      llvm::Value* ix0 = b_.CreateSub(ox, c64(s_.padLeft));
      kb_.loops.forLoop(int64_t{0}, Cpad_ / W, 1, [&](llvm::Value* cb) {
        llvm::Value* c0 = b_.CreateMul(cb, c64(W));
        llvm::Value* channelMask = kb_.laneMask(b_.CreateSub(c64(s_.C), c0));
        llvm::Value* plane = b_.CreateMul(b_.CreateAdd(b_.CreateMul(image, c64(s_.C)), c0), c64(s_.H * s_.W));
        TileIO io;
        io.tmp = tmp;
        io.loadInput = [&](llvm::Value* yy, llvm::Value* xx) {
          llvm::Value* iy = b_.CreateAdd(iy0, yy);
          llvm::Value* ix = b_.CreateAdd(ix0, xx);
          llvm::Value* ok = b_.CreateAnd(b_.CreateICmpULT(iy, c64(s_.H)), b_.CreateICmpULT(ix, c64(s_.W)));
          llvm::Value* offset = b_.CreateAdd(plane, b_.CreateAdd(b_.CreateMul(iy, c64(s_.W)), ix));
          return gatherLanes(kb_, x_, offset, planeLanes, b_.CreateAnd(channelMask, splatBool(kb_, ok)));
        };
        io.storeTransformed = [&](llvm::Value* pos, int part, llvm::Value* v) {
          llvm::Value* at = b_.CreateMul(
              b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateMul(t, c64(a_.positions)), pos), c64(a_.parts)), c64(part)),
              c64(Cpad_));
          kb_.storeVec(v, x, b_.CreateAdd(at, c0));
        };
        a_.forward(kb_, io);
      }, "cb");
    }, "tile");
  }

  /// Y[t][pos][part][k] = sum_c X[t][pos][part'][c] * U[pos][c][part''][k]
  /// (complex product when parts == 2), for tiles [0, numTiles).
  void gemmStage(llvm::Value* x, llvm::Value* y, llvm::Value* numTiles, llvm::Value* kvBase, int64_t nKV) {
    const int64_t fullBlocks = nKV / KV_;
    const int64_t tail = nKV % KV_;
    llvm::Value* tileBlocks = b_.CreateUDiv(b_.CreateAdd(numTiles, c64(TB_ - 1)), c64(TB_));
    kb_.loops.forLoop(int64_t{0}, a_.positions, 1, [&](llvm::Value* pos) {
      auto blocks = [&](llvm::Value* kv0, int64_t nv) {
        kb_.loops.forLoop(int64_t{0}, tileBlocks, 1, [&](llvm::Value* tb) {
          gemmBlock(x, y, pos, b_.CreateMul(tb, c64(TB_)), kv0, nv);
        }, "tb");
      };
      if (fullBlocks > 0)
        kb_.loops.forLoop(int64_t{0}, fullBlocks, 1, [&](llvm::Value* kvb) {
          blocks(b_.CreateAdd(kvBase, b_.CreateMul(kvb, c64(KV_))), KV_);
        }, "kvb");
      if (tail > 0) blocks(b_.CreateAdd(kvBase, c64(fullBlocks * KV_)), tail);
    }, "pos");
  }

  void gemmBlock(llvm::Value* x, llvm::Value* y, llvm::Value* pos, llvm::Value* t0, llvm::Value* kv0, int64_t nv) {
    const int W = kb_.W;
    const int P = a_.parts;
    llvm::VectorType* vec = kb_.vecTy();
    std::vector<llvm::AllocaInst*> acc(size_t(P * TB_ * nv));
    auto accAt = [&](int part, int64_t i, int64_t v) { return acc[size_t((part * TB_ + i) * nv + v)]; };
    for (auto& slot : acc) {
      slot = kb_.entryAlloca(vec, 1, "tacc");
      b_.CreateStore(kb_.fconst(vec, 0.0), slot);
    }
    llvm::Value* k0 = b_.CreateMul(kv0, c64(W));
    // Element offsets of X[t0 + i][pos][0][0] and U[pos][0][0][k0].
    std::vector<llvm::Value*> xRows;
    for (int64_t i = 0; i < TB_; ++i)
      xRows.push_back(b_.CreateMul(
          b_.CreateMul(b_.CreateAdd(b_.CreateMul(b_.CreateAdd(t0, c64(i)), c64(a_.positions)), pos), c64(P)),
          c64(Cpad_)));
    llvm::Value* uBase = b_.CreateAdd(b_.CreateMul(pos, c64(s_.C * P * Kpad_)), k0);
    kb_.loops.forLoop(int64_t{0}, s_.C, 1, [&](llvm::Value* c) {
      llvm::Value* uc = b_.CreateAdd(uBase, b_.CreateMul(c, c64(P * Kpad_)));
      std::vector<llvm::Value*> u(size_t(P * nv));
      for (int part = 0; part < P; ++part)
        for (int64_t v = 0; v < nv; ++v)
          u[size_t(part * nv + v)] = kb_.loadVec(weights_, b_.CreateAdd(uc, c64(part * Kpad_ + v * W)));
      for (int64_t i = 0; i < TB_; ++i) {
        llvm::Value* xc = b_.CreateAdd(xRows[size_t(i)], c);
        if (P == 1) {
          llvm::Value* xs = kb_.splat(kb_.load(kb_.f32Ty(), x, xc));
          for (int64_t v = 0; v < nv; ++v)
            b_.CreateStore(kb_.fma(xs, u[size_t(v)], b_.CreateLoad(vec, accAt(0, i, v))), accAt(0, i, v));
          continue;
        }
        llvm::Value* xr = kb_.load(kb_.f32Ty(), x, xc);
        llvm::Value* xi = kb_.load(kb_.f32Ty(), x, b_.CreateAdd(xc, c64(Cpad_)));
        llvm::Value* xrs = kb_.splat(xr);
        llvm::Value* xis = kb_.splat(xi);
        llvm::Value* xin = kb_.splat(b_.CreateFNeg(xi));
        for (int64_t v = 0; v < nv; ++v) {
          llvm::Value* ur = u[size_t(v)];
          llvm::Value* ui = u[size_t(nv + v)];
          llvm::Value* re = kb_.fma(xrs, ur, b_.CreateLoad(vec, accAt(0, i, v)));
          b_.CreateStore(kb_.fma(xin, ui, re), accAt(0, i, v));
          llvm::Value* im = kb_.fma(xrs, ui, b_.CreateLoad(vec, accAt(1, i, v)));
          b_.CreateStore(kb_.fma(xis, ur, im), accAt(1, i, v));
        }
      }
    }, "c");
    for (int64_t i = 0; i < TB_; ++i)
      for (int part = 0; part < P; ++part) {
        llvm::Value* row = b_.CreateMul(
            b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateMul(b_.CreateAdd(t0, c64(i)), c64(a_.positions)), pos),
                                      c64(P)),
                         c64(part)),
            c64(Kpad_));
        for (int64_t v = 0; v < nv; ++v)
          kb_.storeVec(b_.CreateLoad(vec, accAt(part, i, v)), y, b_.CreateAdd(row, b_.CreateAdd(k0, c64(v * W))));
      }
  }

  void inverseStage(const ConvBandContext& ctx, llvm::Value* y, llvm::Value* tmp, llvm::Value* tr0,
                    llvm::Value* numTiles, llvm::Value* kvBase, int64_t nKV) {
    const int W = kb_.W;
    const ConvSink& sink = ctx.sink;
    llvm::Value* sinkLanes = laneOffsets(kb_, sink.kStride);
    kb_.loops.forLoop(int64_t{0}, numTiles, 1, [&](llvm::Value* t) {
      llvm::Value *image, *oy, *ox;
      tileOrigin(ctx, tr0, t, image, oy, ox);
      // Unpooled, whole images when images_ > 1: the image's output planes.
      llvm::Value* sinkOffset =
          images_ == 1 ? sink.offset
                       : b_.CreateMul(b_.CreateAdd(b_.CreateMul(image, c64(s_.outChannels)), c64(s_.channelOffset)),
                                      c64(s_.OH * s_.OW));
      kb_.loops.forLoop(kvBase, b_.CreateAdd(kvBase, c64(nKV)), 1, [&](llvm::Value* kv) {
        llvm::Value* k0 = b_.CreateMul(kv, c64(W));
        llvm::Value* kMask = kb_.laneMask(b_.CreateSub(c64(s_.K), k0));
        llvm::Value* biasV = bias_ ? kb_.loadVec(bias_, k0, kMask) : kb_.fconst(kb_.vecTy(), 0.0);
        llvm::Value* sinkBase = b_.CreateAdd(sinkOffset, b_.CreateMul(k0, c64(sink.kStride)));
        TileIO io;
        io.tmp = tmp;
        io.loadTransformed = [&](llvm::Value* pos, int part) {
          llvm::Value* at = b_.CreateMul(
              b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateMul(t, c64(a_.positions)), pos), c64(a_.parts)), c64(part)),
              c64(Kpad_));
          return kb_.loadVec(y, b_.CreateAdd(at, k0));
        };
        io.storeOutput = [&](llvm::Value* yy, llvm::Value* xx, llvm::Value* v) {
          llvm::Value* row = b_.CreateAdd(oy, yy);
          llvm::Value* col = b_.CreateAdd(ox, xx);
          llvm::Value* ok = b_.CreateAnd(b_.CreateAnd(b_.CreateICmpSGE(row, sink.rowBegin), b_.CreateICmpSLT(row, sink.rowEnd)),
                                         b_.CreateICmpSLT(col, c64(s_.OW)));
          v = kb_.activation(s_.act, b_.CreateFAdd(v, biasV));
          llvm::Value* at =
              b_.CreateAdd(sinkBase, b_.CreateAdd(b_.CreateMul(b_.CreateSub(row, sink.firstRow), c64(s_.OW)), col));
          scatterLanes(kb_, v, sink.base, at, sinkLanes, b_.CreateAnd(kMask, splatBool(kb_, ok)));
        };
        a_.inverse(kb_, io);
      }, "kv");
    }, "otile");
  }

  KernelBuilder& kb_;
  llvm::IRBuilder<>& b_;
  const ConvSpec& s_;
  const TileTransformAlgorithm& a_;
  ConvBandPlan plan_;
  int64_t Cpad_ = 0, Kpad_ = 0, tileRows_ = 0, tileCols_ = 0;
  int64_t KV_ = 1, TB_ = 1, maxTiles_ = 0, xFloats_ = 0, yFloats_ = 0;
  int64_t images_ = 1;  // images per task (whole-image bands only)
  int64_t kSplit_ = 1;  // output-channel slices per band (few-task layers)
  llvm::Value* weights_ = nullptr;
  llvm::Value* x_ = nullptr;
  llvm::Value* bias_ = nullptr;
};

}  // namespace

Expected<KernelInfo> emitTileTransformConv(KernelBuilder& kb, const ConvSpec& s, const TileTransformAlgorithm& algo) {
  TileTransformEmitter emitter(kb, s, algo);
  return emitter.emit();
}

}  // namespace nutshell::cpu
