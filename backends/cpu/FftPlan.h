// Compile-time side of the FFT convolution: the tile size, twiddle factors
// and the kernel spectra (computed here in double precision and emitted as
// an LLVM global by ConvFftKernel.cpp; the transforms that run are generated
// IR).
//
// Overlap-save on n x n tiles: a tile's input starts at its first output
// (shifted by the padding), the circular cross-correlation of the tile with
// the kernel is exact for the first (n-R+1) x (n-S+1) outputs, which are the
// ones kept. Cross-correlation in the frequency domain is X * conj(W).
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

namespace nutshell::cpu {

struct FftPlan {
  int64_t n = 0;              // tile size, a power of two
  int64_t outH = 0, outW = 0;  // useful outputs per tile
  int64_t freqs() const { return n * (n / 2 + 1); }  // kept half-spectrum (ky in [0,n), kx in [0,n/2])
};

struct FftConvShape {
  int64_t N, C, K, R, S, OH, OW;
};

/// The tile size with the lowest estimated cost (pointwise products plus
/// transforms) among 8..64 that fits the kernel; 0 when none does.
FftPlan chooseFftPlan(const FftConvShape& shape);

/// exp(sign * 2*pi*i * k / n).
std::complex<double> twiddle(int64_t k, int64_t n, int sign);

/// Kernel spectra for weights w (OIHW, K x C x R x S): conj(DFT_n(w)) * scale
/// at [ky*(n/2+1)+kx][c][part][kPad] (part 0 real, 1 imaginary; k >= K zero).
std::vector<float> fftKernelSpectra(const FftConvShape& shape, const float* w, int64_t n, int64_t kPad,
                                    double scale);

}  // namespace nutshell::cpu
