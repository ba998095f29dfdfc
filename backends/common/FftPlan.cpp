#include "backends/common/FftPlan.h"

#include <cmath>
#include <limits>

namespace nutshell::common {

FftPlan chooseFftPlan(const FftConvShape& s) {
  FftPlan best;
  double bestCost = std::numeric_limits<double>::infinity();
  const double lanes = 16;
  const double cPad = std::ceil(double(s.C) / lanes) * lanes, kPad = std::ceil(double(s.K) / lanes) * lanes;
  for (int64_t n : {8, 16, 32, 64}) {
    if (n < s.R || n < s.S) continue;
    int64_t outH = n - s.R + 1, outW = n - s.S + 1;
    double tiles =
        double(s.N) * std::ceil(double(s.OH) / double(outH)) * std::ceil(double(s.OW) / double(outW));
    double freqs = double(n) * double(n / 2 + 1);
    // Pointwise complex products, then transforms (about 7.5 n^2 log2 n per
    // channel plane with the real-input packing, weighted x2 for their lower
    // efficiency), then the gathers/scatters at the tile edges.
    double pointwise = 8.0 * double(s.C) * double(s.K) * freqs;
    double transforms = 2.0 * 7.5 * double(n * n) * std::log2(double(n)) * (cPad + kPad);
    double edges = 4.0 * double(n * n) * (cPad + kPad);
    double cost = tiles * (pointwise + transforms + edges);
    if (cost < bestCost) {
      bestCost = cost;
      best = {n, outH, outW};
    }
  }
  return best;
}

FftPlan fftPlanForTile(const FftConvShape& s, int64_t n) {
  bool powerOfTwo = n > 0 && (n & (n - 1)) == 0;
  if (!powerOfTwo || n < kMinFftTile || n > kMaxFftTile || n < s.R || n < s.S) return {};
  return {n, n - s.R + 1, n - s.S + 1};
}

double fftSpectraBytes(const FftConvShape& s, int64_t n, int64_t kPad) {
  return 8.0 * double(n * (n / 2 + 1)) * double(s.C) * double(kPad);
}

std::complex<double> twiddle(int64_t k, int64_t n, int sign) {
  double angle = double(sign) * 2.0 * M_PI * double(k % n) / double(n);
  return {std::cos(angle), std::sin(angle)};
}

std::vector<float> fftKernelSpectra(const FftConvShape& s, const float* w, int64_t n, int64_t kPad,
                                    double scale) {
  const int64_t half = n / 2 + 1;
  std::vector<std::complex<double>> roots(static_cast<size_t>(n));
  // conj(DFT): exp(+2 pi i jk / n).
  for (int64_t j = 0; j < n; ++j) roots[size_t(j)] = twiddle(j, n, +1);
  std::vector<float> out(size_t(n * half * s.C * 2 * kPad), 0.f);
  std::vector<std::complex<double>> rows(size_t(s.R * half));
  for (int64_t k = 0; k < s.K; ++k)
    for (int64_t c = 0; c < s.C; ++c) {
      const float* g = w + (k * s.C + c) * s.R * s.S;
      // Along the kernel width, then along its height (separable).
      for (int64_t r = 0; r < s.R; ++r)
        for (int64_t kx = 0; kx < half; ++kx) {
          std::complex<double> sum = 0;
          for (int64_t q = 0; q < s.S; ++q) sum += double(g[r * s.S + q]) * roots[size_t((kx * q) % n)];
          rows[size_t(r * half + kx)] = sum;
        }
      for (int64_t ky = 0; ky < n; ++ky)
        for (int64_t kx = 0; kx < half; ++kx) {
          std::complex<double> sum = 0;
          for (int64_t r = 0; r < s.R; ++r) sum += rows[size_t(r * half + kx)] * roots[size_t((ky * r) % n)];
          sum *= scale;
          size_t at = size_t((((ky * half + kx) * s.C + c) * 2) * kPad + k);
          out[at] = float(sum.real());
          out[at + size_t(kPad)] = float(sum.imag());
        }
    }
  return out;
}

}  // namespace nutshell::common
