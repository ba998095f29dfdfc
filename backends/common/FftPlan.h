// The plan of an FFT convolution, backend-neutral plain data: the tile size
// (which select-conv-algo prices and records as the node's `tile`, and
// which every backend runs), twiddle factors and the kernel spectra
// (computed in double precision; the CPU backend emits them as an LLVM
// global, ConvFftKernel.cpp).
//
// Overlap-save on n x n tiles: a tile's input starts at its first output
// (shifted by the padding), the circular cross-correlation of the tile with
// the kernel is exact for the first (n-R+1) x (n-S+1) outputs, which are the
// ones kept. Cross-correlation in the frequency domain is X * conj(W).
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

namespace nutshell::common {

struct FftPlan {
  int64_t n = 0;                                     // tile size, a power of two
  int64_t outH = 0, outW = 0;                        // useful outputs per tile
  int64_t freqs() const { return n * (n / 2 + 1); }  // kept half-spectrum (ky in [0,n), kx in [0,n/2])
};

struct FftConvShape {
  int64_t N, C, K, R, S, OH, OW;
};

/// The tile sizes a backend can run: powers of two in [kMinFftTile, kMaxFftTile].
inline constexpr int64_t kMinFftTile = 8, kMaxFftTile = 64;

/// The tile size with the lowest estimated cost (pointwise products plus
/// transforms) among 8..64 that fits the kernel; n = 0 when none does.
FftPlan chooseFftPlan(const FftConvShape& shape);

/// The plan for tile size n, or n = 0 when n is not a supported tile size
/// or is smaller than the kernel.
FftPlan fftPlanForTile(const FftConvShape& shape, int64_t n);

/// Bytes of the kernel spectra for tile size n with K padded to kPad
/// output channels, and the most a plan may use: a forced FFT on a wide
/// layer could otherwise need gigabytes of constants.
double fftSpectraBytes(const FftConvShape& shape, int64_t n, int64_t kPad);
inline constexpr double kMaxFftSpectraBytes = double(int64_t(256) << 20);
/// The widest output-channel padding of any backend (16 lanes).
inline int64_t fftChannelPadding(int64_t k) {
  return (k + 15) / 16 * 16;
}

/// exp(sign * 2*pi*i * k / n).
std::complex<double> twiddle(int64_t k, int64_t n, int sign);

/// Kernel spectra for weights w (OIHW, K x C x R x S): conj(DFT_n(w)) * scale
/// at [ky*(n/2+1)+kx][c][part][kPad] (part 0 real, 1 imaginary; k >= K zero).
std::vector<float> fftKernelSpectra(const FftConvShape& shape, const float* w, int64_t n, int64_t kPad,
                                    double scale);

}  // namespace nutshell::common
