#include "backends/cpu/GemmEmitter.h"

#include <fmt/format.h>

namespace nutshell::cpu {
namespace {

struct TileShape {
  int64_t rows;       // MB of this variant
  int vectors;        // NV of this variant
  int64_t lastLanes;  // valid lanes of the last vector (W when full)
};

/// One tile at (m0, n0) for one batch item; shape fixed at compile time.
void emitTile(KernelBuilder& kb, const GemmProblem& p, llvm::Value* batchIndex, llvm::Value* aOff, llvm::Value* bOff,
              llvm::Value* outOff, llvm::Value* m0, llvm::Value* n0, const TileShape& shape) {
  llvm::IRBuilder<>& b = kb.b;
  const int W = kb.W;
  const int P = p.pieces;
  llvm::Type* vec = kb.vecTy();
  std::vector<llvm::Value*> masks(shape.vectors, nullptr);
  if (shape.lastLanes < W) masks.back() = kb.laneMask(kb.i64c(shape.lastLanes));

  // Accumulators live in allocas that LLVM promotes to registers.
  std::vector<llvm::AllocaInst*> acc;
  std::vector<llvm::Value*> columns(shape.vectors);
  for (int v = 0; v < shape.vectors; ++v) columns[v] = b.CreateAdd(n0, kb.i64c(int64_t(v) * W));
  for (int piece = 0; piece < P; ++piece) {
    for (int v = 0; v < shape.vectors; ++v) {
      llvm::Value* init = p.init ? p.init(piece, columns[v], masks[v]) : nullptr;
      if (!init) init = kb.fconst(vec, 0.0);
      for (int64_t i = 0; i < shape.rows; ++i) {
        llvm::AllocaInst* slot = kb.entryAlloca(vec, 1, "acc");
        b.CreateStore(init, slot);
        acc.push_back(slot);
      }
    }
  }
  auto accAt = [&](int piece, int v, int64_t i) { return acc[(size_t(piece) * shape.vectors + v) * shape.rows + i]; };

  kb.loops.forLoop(0, p.K, 1, [&](llvm::Value* k) {
    std::vector<llvm::Value*> bvec;
    llvm::Value* bRow = b.CreateAdd(bOff, b.CreateMul(k, kb.i64c(p.bRowStride)));
    for (int piece = 0; piece < P; ++piece)
      for (int v = 0; v < shape.vectors; ++v) {
        llvm::Value* col = p.bColStride == 1 ? columns[v] : b.CreateMul(columns[v], kb.i64c(p.bColStride));
        llvm::Value* at = b.CreateAdd(b.CreateAdd(bRow, col), kb.i64c(piece * p.pieceStride));
        bvec.push_back(kb.loadStrided(p.b, at, p.bColStride, masks[v]));
      }
    llvm::Value* aCol = b.CreateAdd(aOff, b.CreateMul(k, kb.i64c(p.aColStride)));
    for (int64_t i = 0; i < shape.rows; ++i) {
      llvm::Value* row = b.CreateAdd(m0, kb.i64c(i));
      llvm::Value* aVal = kb.splat(kb.load(kb.f32Ty(), p.a, b.CreateAdd(aCol, b.CreateMul(row, kb.i64c(p.aRowStride)))));
      for (int piece = 0; piece < P; ++piece)
        for (int v = 0; v < shape.vectors; ++v) {
          llvm::AllocaInst* slot = accAt(piece, v, i);
          b.CreateStore(kb.fma(aVal, bvec[size_t(piece) * shape.vectors + v], b.CreateLoad(vec, slot)), slot);
        }
    }
  }, "k");

  for (int64_t i = 0; i < shape.rows; ++i) {
    llvm::Value* row = b.CreateAdd(m0, kb.i64c(i));
    for (int v = 0; v < shape.vectors; ++v) {
      llvm::Value* value = b.CreateLoad(vec, accAt(0, v, i));
      for (int piece = 1; piece < P; ++piece) value = kb.fmax(value, b.CreateLoad(vec, accAt(piece, v, i)));
      if (p.epilogue) value = p.epilogue(batchIndex, row, columns[v], masks[v], value);
      llvm::Value* at = b.CreateAdd(outOff, b.CreateAdd(b.CreateMul(row, kb.i64c(p.outRowStride)), columns[v]));
      kb.storeVec(value, p.out, at, masks[v]);
    }
  }
}

}  // namespace

KernelInfo emitGemmTiles(KernelBuilder& kb, const GemmProblem& p) {
  const int W = kb.W;
  // Register budget: accumulators P*MB*NV plus P*NV vectors of B within the
  // 32 (AVX-512) or 16 vector registers.
  int64_t nVectorsTotal = (p.N + W - 1) / W;
  int64_t MB, NV;
  if (p.M == 1) {
    MB = 1;
    NV = std::min<int64_t>(4, nVectorsTotal);
  } else {
    MB = std::min<int64_t>(p.M, kb.target.hasAvx512 ? 6 : 4);
    NV = std::min<int64_t>(2, nVectorsTotal);
  }
  NV = std::max<int64_t>(1, std::min<int64_t>(NV, 4 / p.pieces));
  // The P*MB*NV accumulators, P*NV vectors of B and the broadcast of A must
  // fit the vector registers, or the tile spills in its k loop (maxout with 5
  // pieces at MB=6: 30 + 5 + 1 of 32).
  const int64_t registers = kb.target.hasAvx512 ? 32 : 16;
  while (MB > 1 && p.pieces * NV * (MB + 1) + 1 > registers) --MB;
  const int64_t NB = NV * W;
  const int64_t mBlocks = (p.M + MB - 1) / MB;
  const int64_t nBlocks = (p.N + NB - 1) / NB;
  const int64_t mTail = p.M % MB;
  const int64_t nTail = p.N % NB;
  llvm::IRBuilder<>& b = kb.b;

  auto shapeFor = [&](bool rowTail, bool colTail) {
    TileShape s{rowTail ? mTail : MB, int(NV), W};
    if (colTail) {
      s.vectors = int((nTail + W - 1) / W);
      s.lastLanes = nTail - int64_t(s.vectors - 1) * W;
    }
    return s;
  };

  const int64_t items = p.batch * mBlocks * nBlocks;
  int64_t numTasks = kb.forEachTaskItem(items, 1, [&](llvm::Value* item) {
    llvm::Value* batchIndex = b.CreateUDiv(item, kb.i64c(mBlocks * nBlocks));
    llvm::Value* rest = b.CreateURem(item, kb.i64c(mBlocks * nBlocks));
    llvm::Value* mb = b.CreateUDiv(rest, kb.i64c(nBlocks));
    llvm::Value* nb = b.CreateURem(rest, kb.i64c(nBlocks));
    llvm::Value* aOff = kb.i64c(0);
    llvm::Value* bOff = kb.i64c(0);
    llvm::Value* outOff = kb.i64c(0);
    if (p.bases) p.bases(batchIndex, aOff, bOff, outOff);
    llvm::Value* m0 = b.CreateMul(mb, kb.i64c(MB));
    llvm::Value* n0 = b.CreateMul(nb, kb.i64c(NB));
    auto colVariants = [&](bool rowTail) {
      if (nTail == 0) {
        emitTile(kb, p, batchIndex, aOff, bOff, outOff, m0, n0, shapeFor(rowTail, false));
        return;
      }
      kb.loops.ifThenElse(
          b.CreateICmpEQ(nb, kb.i64c(nBlocks - 1)),
          [&] { emitTile(kb, p, batchIndex, aOff, bOff, outOff, m0, n0, shapeFor(rowTail, true)); },
          [&] { emitTile(kb, p, batchIndex, aOff, bOff, outOff, m0, n0, shapeFor(rowTail, false)); });
    };
    if (mTail == 0) {
      colVariants(false);
    } else {
      kb.loops.ifThenElse(b.CreateICmpEQ(mb, kb.i64c(mBlocks - 1)), [&] { colVariants(true); },
                          [&] { colVariants(false); });
    }
  });
  KernelInfo info;
  info.numTasks = numTasks;
  info.work = 2.0 * double(p.batch) * double(p.M) * double(p.N) * double(p.K) * p.pieces;
  info.summary = fmt::format("gemm M={} N={} K={} batch={} pieces={} tile {}x{}x{}", p.M, p.N, p.K, p.batch, p.pieces,
                             MB, NV, W);
  return info;
}

}  // namespace nutshell::cpu
