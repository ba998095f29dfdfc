// Convolution algorithms other than direct: im2col + GEMM, FFT (overlap-save
// tiles) and Winograd F(m x m, 3x3). Each honours the whole fused epilogue
// (bias, activation, pooling from conv rows kept in a per-task band buffer,
// dest with a channel offset) and the kernel ABI of KernelEmitter.h.
//
// Shared structure (ConvAlgorithms.cpp):
// - Bands: a task is (image, band); a band is a run of conv output rows (or,
//   with a pool epilogue, of pooled rows plus the conv rows they read). Band
//   boundaries are compile-time tables, and every conv output is computed by
//   the same arithmetic whichever band computes it, so results do not depend
//   on the thread count.
// - Scratch: one aligned_alloc per kernel call (per thread chunk), reused by
//   every task of the call; freed before the kernel returns.
// - Tile transforms (FFT, Winograd): input tiles are transformed with the
//   vector lanes running over 16 input channels, the transformed domain is a
//   batch of small GEMMs [position] x (tiles x C) . (C x K) with weights
//   transformed at compile time, and the inverse transform runs with the
//   lanes over 16 output channels, so bias and activation are vector ops and
//   the result is scattered into the band.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/cpu/ConvKernels.h"

namespace nutshell::cpu {

Expected<KernelInfo> emitIm2colConv(KernelBuilder& kb, const ConvSpec& spec);
Expected<KernelInfo> emitFftConv(KernelBuilder& kb, const ConvSpec& spec);
Expected<KernelInfo> emitWinogradConv(KernelBuilder& kb, const ConvSpec& spec);

// ---- bands ------------------------------------------------------------------------

struct ConvBand {
  int64_t p0 = 0, p1 = 0;  // pooled rows written (pooled only)
  int64_t r0 = 0, r1 = 0;  // conv rows computed (pooled: those the pooled rows read)
};

struct ConvBandPlan {
  std::vector<ConvBand> bands;
  int64_t maxRows = 0;  // max r1 - r0
};

/// Bands of about `rowsPerBand` conv rows. Unpooled bands start at multiples
/// of rowsPerBand (callers pass a multiple of their tile height).
ConvBandPlan planConvBands(const ConvSpec& s, int64_t rowsPerBand);

/// Where a band's conv outputs (after bias and activation) go: element
/// (k, row, col) of the band lives at base[offset + k*kStride + (row - firstRow)*OW + col].
/// Unpooled: the result tensor (at the dest channel offset); pooled: the
/// band buffer the pool epilogue reads.
struct ConvSink {
  llvm::Value* base = nullptr;
  llvm::Value* offset = nullptr;
  int64_t kStride = 0;
  llvm::Value* firstRow = nullptr;
  llvm::Value* rowBegin = nullptr;  // rows [rowBegin, rowEnd) are to be written
  llvm::Value* rowEnd = nullptr;
};

/// What a band body gets.
struct ConvBandContext {
  llvm::Value* n = nullptr;     // image
  llvm::Value* band = nullptr;  // band index
  llvm::Value* r0 = nullptr;    // conv rows [r0, r1)
  llvm::Value* r1 = nullptr;
  llvm::Value* scratch = nullptr;  // the algorithm's scratch (scratchFloats floats, 64-byte aligned)
  llvm::Value* kSlice = nullptr;   // output channels [kSlice*K/kSplit, (kSlice+kSlices)*K/kSplit)
  int64_t kSlices = 1;
  ConvSink sink;
};

/// Emits the task loop over (image, band): scratch allocation, the body
/// (computes conv rows [r0, r1) of every output channel into ctx.sink) and,
/// when pooled, the pool epilogue from the band buffer. Returns the task count.
/// kSplit > 1 (it must divide K) makes the tasks (slice, image, band), slice
/// outermost: the body computes output channels of slices [ctx.kSlice,
/// ctx.kSlice + ctx.kSlices) (a call that runs all tasks takes all slices of
/// an item at once), and contiguous task ranges (the thread pool's chunks)
/// get whole slices.
int64_t emitConvBands(KernelBuilder& kb, const ConvSpec& s, const ConvBandPlan& plan, int64_t scratchFloats,
                      const std::function<void(const ConvBandContext&)>& body, int64_t kSplit = 1);

// ---- vector helpers -------------------------------------------------------------------

/// <W x i32> constant lane * stride.
llvm::Value* laneOffsets(KernelBuilder& kb, int64_t stride);
/// base[offset + lane*laneStride] for active lanes (0 elsewhere).
llvm::Value* gatherLanes(KernelBuilder& kb, llvm::Value* base, llvm::Value* offset, llvm::Value* laneOffsets,
                         llvm::Value* mask);
void scatterLanes(KernelBuilder& kb, llvm::Value* value, llvm::Value* base, llvm::Value* offset,
                  llvm::Value* laneOffsets, llvm::Value* mask);
llvm::Value* splatBool(KernelBuilder& kb, llvm::Value* flag);

// ---- tile-transform convolutions (FFT, Winograd) ---------------------------------------

/// The tile accessors a transform emitter uses; lanes are 16 channels.
struct TileIO {
  /// Input tile element (y, x) of the current tile (0 outside the image or
  /// beyond the channel count). y, x are i64 values.
  std::function<llvm::Value*(llvm::Value* y, llvm::Value* x)> loadInput;
  /// Transformed value `part` (0 real, 1 imaginary) at `position`.
  std::function<void(llvm::Value* position, int part, llvm::Value* value)> storeTransformed;
  std::function<llvm::Value*(llvm::Value* position, int part)> loadTransformed;
  /// Output tile element (y, x) before bias and activation.
  std::function<void(llvm::Value* y, llvm::Value* x, llvm::Value* value)> storeOutput;
  /// Per-transform scratch (tmpFloats floats).
  llvm::Value* tmp = nullptr;
};

struct TileTransformAlgorithm {
  std::string name;                // "fft n=32", "winograd F(4x4,3x3)"
  int64_t inH = 0, inW = 0;        // input tile extent
  int64_t outH = 0, outW = 0;      // useful outputs per tile
  int64_t positions = 0;           // transformed positions per tile
  int parts = 1;                   // 1 real, 2 complex
  int64_t tmpFloats = 0;           // scratch of one transform
  std::vector<float> weights;      // [position][c][part][Kpad] (Kpad = K rounded up to W)
  double flopsPerTile = 0;         // for KernelInfo::work
  std::function<void(KernelBuilder&, const TileIO&)> forward;  // input tile -> transformed (lanes: channels)
  std::function<void(KernelBuilder&, const TileIO&)> inverse;  // transformed -> output tile (lanes: channels)
};

Expected<KernelInfo> emitTileTransformConv(KernelBuilder& kb, const ConvSpec& s, const TileTransformAlgorithm& algo);

}  // namespace nutshell::cpu
