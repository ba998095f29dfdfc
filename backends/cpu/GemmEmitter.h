// The blocked, vectorized matrix-multiply core shared by dense, fused_dense,
// maxout, gemm and matmul (and by im2col+GEMM convolution).
//
// out(m, n) = epilogue(m, n, max_p (init_p(n) + sum_k A(m,k) * B_p(k, n)))
//
// Tiles of MB rows x NV vectors of W columns; per k step the tile loads NV
// vectors of B per piece, broadcasts MB scalars of A, and does MB*NV*P FMAs
// on register accumulators. The k loop runs in order (no reassociation), so a
// result does not depend on tiling or threads. Partial tiles at the right and
// bottom edges are emitted as separate variants with compile-time masks.
#pragma once

#include <functional>

#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {

struct GemmProblem {
  int64_t M = 0, N = 0, K = 0;
  /// Independent matrix products (matmul batch dims); bases() gives the
  /// element offsets of A, B, out (and C for the epilogue) for one of them.
  int64_t batch = 1;
  std::function<void(llvm::Value* batchIndex, llvm::Value*& aOffset, llvm::Value*& bOffset, llvm::Value*& outOffset)>
      bases;
  llvm::Value* a = nullptr;  // A(m,k) at a[m*aRowStride + k*aColStride]
  int64_t aRowStride = 0, aColStride = 1;
  llvm::Value* b = nullptr;  // B(k,n) at b[k*bRowStride + n*bColStride]
  int64_t bRowStride = 0, bColStride = 1;
  /// maxout: `pieces` column sets of B, combined by max; piece p of column n
  /// is B at [k*bRowStride + n*bColStride + p*pieceStride].
  int pieces = 1;
  int64_t pieceStride = 0;
  llvm::Value* out = nullptr;  // out(m,n) at out[m*outRowStride + n]
  int64_t outRowStride = 0;
  /// Initial accumulator of piece p for columns n.. (bias), or null for 0.
  std::function<llvm::Value*(int piece, llvm::Value* n, llvm::Value* mask)> init;
  /// Applied to the combined accumulator before the store (activation, alpha,
  /// beta*C); null keeps it. `batchIndex` is the batch item.
  std::function<llvm::Value*(llvm::Value* batchIndex, llvm::Value* m, llvm::Value* n, llvm::Value* mask, llvm::Value* acc)>
      epilogue;
};

/// Emits the tiled loops over the tasks of `problem`; returns the kernel info.
KernelInfo emitGemmTiles(KernelBuilder& kb, const GemmProblem& problem);

}  // namespace nutshell::cpu
