// The matrices of Winograd convolution F(m x m, 3x3) (Lavin & Gray) and the
// compile-time weight transform, backend-neutral plain data: every backend
// runs the transforms these matrices describe, so they are built once here
// (in double precision) and the CPU emitter unrolls them into constant
// linear combinations (ConvWinogradKernel.cpp).
//
// Per alpha x alpha input tile d (alpha = m + 2) and 3x3 kernel g, the m x m
// outputs of the cross-correlation are Y = A^T [(G g G^T) ⊙ (B^T d B)] A.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nutshell/Expected.h"

namespace nutshell::common {

/// Row-major rows of doubles.
using Matrix = std::vector<std::vector<double>>;

struct WinogradMatrices {
  int64_t m = 0, alpha = 0;  // outputs per tile side, input tile side (m + 2)
  Matrix bt;                 // B^T, alpha x alpha
  Matrix g;                  // G, alpha x 3
  Matrix at;                 // A^T, m x alpha
};

/// Toom-Cook construction of F(m, 3) from the alpha - 1 finite interpolation
/// `points` (pairwise distinct) and the point at infinity.
WinogradMatrices toomCook(int64_t m, const std::vector<double>& points);

/// The output tiles m backends run, F(2x2,3x3) and F(4x4,3x3); the cost
/// model prices each.
inline constexpr int64_t kWinogradTiles[] = {2, 4};

/// The tile of a winograd node that records none (IR written by hand):
/// F(4x4) unless the output plane is too small for its tiles to pay.
/// select-conv-algo records the tile it priced instead.
inline int64_t defaultWinogradTile(int64_t outHeight, int64_t outWidth) {
  return std::min(outHeight, outWidth) >= 8 ? 4 : 2;
}

/// The interpolation points a backend uses for F(m, 3): 0, 1, -1 for m = 2
/// (Lavin's matrices up to row signs); 0, 1, -1, 1/2, -2 for m = 4 rather
/// than the usual 0, +-1, +-2, for smaller transform coefficients and
/// measurably lower rounding error (about 2x on inception3a) at the same
/// cost. An error for any other m.
Expected<std::vector<double>> winogradPoints(int64_t m);

/// toomCook(m, winogradPoints(m)): the matrices of the tile sizes backends
/// run (m = 2 or 4).
Expected<WinogradMatrices> winogradMatrices(int64_t m);

/// U = G g G^T per output channel k and input channel c of the weights w
/// (OIHW, K x C x 3 x 3), computed in double and stored as floats at
/// [(i * alpha + j) * C + c][kPad] + k: the alpha^2 positions are the GEMM
/// batch, channels its reduction, output channels (padded to kPad with
/// zeros) its vector lanes.
std::vector<float> winogradWeightTransform(const WinogradMatrices& mat, const float* w, int64_t K, int64_t C,
                                           int64_t kPad);

}  // namespace nutshell::common
