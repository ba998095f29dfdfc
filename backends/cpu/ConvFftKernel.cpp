// FFT convolution (stride 1, dilation 1, groups 1) with overlap-save tiles.
//
// Per n x n input tile and 16 input channels (the vector lanes):
//   rows:    pairs of real rows (y, y+n/2) packed as one complex row, one
//            n-point complex FFT, split into the two half spectra
//            (kx in [0, n/2]);
//   columns: n/2+1 complex FFTs along y.
// The FFTs are straight-line radix-2 code on SSA values with constant
// twiddles (w = 1 and w = -i cost no multiplies). The transformed-domain
// products (ConvAlgorithms.cpp) multiply by conj(kernel spectrum), computed
// at compile time (FftPlan.cpp), and the inverse runs the same steps
// backwards with the lanes over 16 output channels: columns, then pairs of
// output rows as one complex inverse FFT whose real and imaginary parts are
// the two rows. Scale: the forward split yields 2 X, the unnormalized inverse
// multiplies by n^2, so the spectra carry 1 / (2 n^2).
#include <fmt/format.h>

#include "backends/common/FftPlan.h"
#include "backends/cpu/ConvAlgorithms.h"

namespace nutshell::cpu {
namespace {

struct Cv {
  llvm::Value* re;
  llvm::Value* im;
};

class FftEmitter {
public:
  FftEmitter(KernelBuilder& kb, int64_t n) : kb_(kb), b_(kb.b), n_(n), half_(n / 2 + 1) {}

  /// In-place radix-2 decimation-in-time FFT of a (size n), forward
  /// (exp(-2 pi i jk/n)) or inverse without the 1/n.
  void fft(std::vector<Cv>& a, bool inverse) {
    const int64_t n = int64_t(a.size());
    int bits = 0;
    while ((int64_t(1) << bits) < n) ++bits;
    std::vector<Cv> permuted(a.size());
    for (int64_t i = 0; i < n; ++i) {
      int64_t r = 0;
      for (int bit = 0; bit < bits; ++bit)
        if (i & (int64_t(1) << bit)) r |= int64_t(1) << (bits - 1 - bit);
      permuted[size_t(r)] = a[size_t(i)];
    }
    a = permuted;
    for (int64_t len = 2; len <= n; len *= 2) {
      int64_t halfLen = len / 2;
      for (int64_t start = 0; start < n; start += len)
        for (int64_t j = 0; j < halfLen; ++j) {
          Cv u = a[size_t(start + j)];
          Cv v = rotate(a[size_t(start + j + halfLen)], j, len, inverse);
          a[size_t(start + j)] = {b_.CreateFAdd(u.re, v.re), b_.CreateFAdd(u.im, v.im)};
          a[size_t(start + j + halfLen)] = {b_.CreateFSub(u.re, v.re), b_.CreateFSub(u.im, v.im)};
        }
    }
  }

  /// x * exp(-+2 pi i j / len); exact for the trivial twiddles.
  Cv rotate(Cv x, int64_t j, int64_t len, bool inverse) {
    if (j == 0) return x;
    if (4 * j == len)  // -i (forward) or +i (inverse)
      return inverse ? Cv{b_.CreateFNeg(x.im), x.re} : Cv{x.im, b_.CreateFNeg(x.re)};
    std::complex<double> w = common::twiddle(j, len, inverse ? +1 : -1);
    llvm::Type* type = x.re->getType();
    llvm::Value* wr = kb_.fconst(type, w.real());
    llvm::Value* wi = kb_.fconst(type, w.imag());
    llvm::Value* re = kb_.fma(x.re, wr, b_.CreateFMul(x.im, kb_.fconst(type, -w.imag())));
    llvm::Value* im = kb_.fma(x.re, wi, b_.CreateFMul(x.im, wr));
    return {re, im};
  }

  // tmp[row][kx][part][lanes]
  llvm::Value* tmpAt(llvm::Value* row, int64_t kx, int part) {
    return b_.CreateAdd(b_.CreateMul(b_.CreateAdd(b_.CreateMul(row, c64(half_)), c64(kx)), c64(2 * kb_.W)),
                        c64(part * kb_.W));
  }
  llvm::Value* tmpAt(int64_t row, llvm::Value* kx, int part) {
    return b_.CreateAdd(b_.CreateMul(b_.CreateAdd(c64(row * half_), kx), c64(2 * kb_.W)), c64(part * kb_.W));
  }
  llvm::Value* c64(int64_t v) { return kb_.i64c(v); }

  void forward(const TileIO& io) {
    const int64_t n = n_, h = n / 2;
    // Rows: z = row(y) + i row(y + n/2); Z = FFT(z);
    // spectrum(y) = Z[k] + conj(Z[n-k]), spectrum(y + n/2) = -i (Z[k] - conj(Z[n-k])) (both x2).
    kb_.loops.forLoop(int64_t{0}, h, 1, [&](llvm::Value* y) {
      llvm::Value* y2 = b_.CreateAdd(y, c64(h));
      std::vector<Cv> z(static_cast<size_t>(n));
      for (int64_t x = 0; x < n; ++x) z[size_t(x)] = {io.loadInput(y, c64(x)), io.loadInput(y2, c64(x))};
      fft(z, false);
      for (int64_t k = 0; k < half_; ++k) {
        Cv s = z[size_t(k)], t = z[size_t((n - k) % n)];
        kb_.storeVec(b_.CreateFAdd(s.re, t.re), io.tmp, tmpAt(y, k, 0));
        kb_.storeVec(b_.CreateFSub(s.im, t.im), io.tmp, tmpAt(y, k, 1));
        kb_.storeVec(b_.CreateFAdd(s.im, t.im), io.tmp, tmpAt(y2, k, 0));
        kb_.storeVec(b_.CreateFSub(t.re, s.re), io.tmp, tmpAt(y2, k, 1));
      }
    }, "frow");
    // Columns.
    kb_.loops.forLoop(int64_t{0}, half_, 1, [&](llvm::Value* kx) {
      std::vector<Cv> a(static_cast<size_t>(n));
      for (int64_t y = 0; y < n; ++y)
        a[size_t(y)] = {kb_.loadVec(io.tmp, tmpAt(y, kx, 0)), kb_.loadVec(io.tmp, tmpAt(y, kx, 1))};
      fft(a, false);
      for (int64_t ky = 0; ky < n; ++ky) {
        llvm::Value* pos = b_.CreateAdd(c64(ky * half_), kx);
        io.storeTransformed(pos, 0, a[size_t(ky)].re);
        io.storeTransformed(pos, 1, a[size_t(ky)].im);
      }
    }, "fcol");
  }

  void inverse(const TileIO& io, int64_t outH, int64_t outW) {
    const int64_t n = n_, h = n / 2;
    kb_.loops.forLoop(int64_t{0}, half_, 1, [&](llvm::Value* kx) {
      std::vector<Cv> a(static_cast<size_t>(n));
      for (int64_t ky = 0; ky < n; ++ky) {
        llvm::Value* pos = b_.CreateAdd(c64(ky * half_), kx);
        a[size_t(ky)] = {io.loadTransformed(pos, 0), io.loadTransformed(pos, 1)};
      }
      fft(a, true);
      for (int64_t y = 0; y < n; ++y) {
        kb_.storeVec(a[size_t(y)].re, io.tmp, tmpAt(y, kx, 0));
        kb_.storeVec(a[size_t(y)].im, io.tmp, tmpAt(y, kx, 1));
      }
    }, "icol");
    // Rows y and y + n/2 as the real and imaginary parts of one inverse FFT
    // of Z = G(y) + i G(y + n/2) (Hermitian halves completed).
    kb_.loops.forLoop(int64_t{0}, std::min(h, outH), 1, [&](llvm::Value* y) {
      llvm::Value* y2 = b_.CreateAdd(y, c64(h));
      std::vector<Cv> z(static_cast<size_t>(n));
      for (int64_t k = 0; k < half_; ++k) {
        llvm::Value* g1r = kb_.loadVec(io.tmp, tmpAt(y, k, 0));
        llvm::Value* g1i = kb_.loadVec(io.tmp, tmpAt(y, k, 1));
        llvm::Value* g2r = kb_.loadVec(io.tmp, tmpAt(y2, k, 0));
        llvm::Value* g2i = kb_.loadVec(io.tmp, tmpAt(y2, k, 1));
        z[size_t(k)] = {b_.CreateFSub(g1r, g2i), b_.CreateFAdd(g1i, g2r)};
        if (k > 0 && k < h) z[size_t(n - k)] = {b_.CreateFAdd(g1r, g2i), b_.CreateFSub(g2r, g1i)};
      }
      fft(z, true);
      for (int64_t x = 0; x < outW; ++x) io.storeOutput(y, c64(x), z[size_t(x)].re);
      if (h < outH)
        kb_.loops.ifThen(b_.CreateICmpSLT(y2, c64(outH)), [&] {
          for (int64_t x = 0; x < outW; ++x) io.storeOutput(y2, c64(x), z[size_t(x)].im);
        });
    }, "irow");
  }

private:
  KernelBuilder& kb_;
  llvm::IRBuilder<>& b_;
  int64_t n_, half_;
};

}  // namespace

Expected<KernelInfo> emitFftConv(KernelBuilder& kb, const ConvSpec& s) {
  common::FftConvShape shape{s.N, s.C, s.K, s.R, s.S, s.OH, s.OW};
  common::FftPlan plan = s.tile > 0 ? common::fftPlanForTile(shape, s.tile) : common::chooseFftPlan(shape);
  if (plan.n == 0)
    return kb.error(
        s.tile > 0 ? fmt::format("fft tile={} is not a power of two in [{}, {}] covering the {}x{} kernel",
                                 s.tile, common::kMinFftTile, common::kMaxFftTile, s.R, s.S)
                   : fmt::format("fft: {}x{} kernel is larger than the largest tile", s.R, s.S));
  const ir::TensorData* weights = kb.constantOperand(1);
  if (!weights) return kb.error("fft needs constant weights");
  const int64_t n = plan.n;
  const int64_t kPad = (s.K + kb.W - 1) / kb.W * kb.W;
  // The spectra are C*K complex planes of n*(n/2+1): a forced FFT on a wide
  // layer could need gigabytes of constants.
  const double spectraBytes = common::fftSpectraBytes(shape, n, kPad);
  if (spectraBytes > common::kMaxFftSpectraBytes)
    return kb.error(fmt::format("algo=\"fft\" would need {:.0f} MB of kernel spectra (at most {:.0f})",
                                spectraBytes / double(1 << 20),
                                common::kMaxFftSpectraBytes / double(1 << 20)));
  TileTransformAlgorithm algo;
  algo.name = fmt::format("fft n={}", n);
  algo.inH = algo.inW = n;
  algo.outH = plan.outH;
  algo.outW = plan.outW;
  algo.positions = plan.freqs();
  algo.parts = 2;
  algo.tmpFloats = n * (n / 2 + 1) * 2 * kb.W;
  algo.weights = common::fftKernelSpectra(shape, weights->f32.data(), n, kPad, 1.0 / (2.0 * double(n * n)));
  algo.flopsPerTile = double(kb.W) * 7.5 * double(n * n) * std::log2(double(n));
  algo.forward = [n](KernelBuilder& k, const TileIO& io) { FftEmitter(k, n).forward(io); };
  algo.inverse = [n, plan](KernelBuilder& k, const TileIO& io) { FftEmitter(k, n).inverse(io, plan.outH, plan.outW); };
  return emitTileTransformConv(kb, s, algo);
}

}  // namespace nutshell::cpu
