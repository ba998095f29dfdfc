// Winograd convolution F(m x m, 3x3) (Lavin & Gray), stride 1, dilation 1,
// groups 1: per alpha x alpha input tile (alpha = m + 2) and 16 input
// channels, V = B^T d B; per position a GEMM over channels with the weights
// U = G g G^T transformed at compile time; per tile and 16 output channels
// Y = A^T M A. The matrices and the weight transform are the backend-neutral
// plan (backends/common/WinogradPlan.h). The transforms are unrolled linear
// combinations with constant coefficients (0 skipped, +-1 as adds). F(4x4) cuts multiplies 4x (vs 2.25x
// for F(2x2)) at slightly lower accuracy; it is used when the output plane
// holds at least a few 4x4 tiles.
#include <fmt/format.h>

#include "backends/common/WinogradPlan.h"
#include "backends/cpu/ConvAlgorithms.h"

namespace nutshell::cpu {
namespace {

using common::WinogradMatrices;

/// sum_i coeffs[i] * values[i] with constant coefficients.
llvm::Value* combine(KernelBuilder& kb, const std::vector<double>& coeffs, const std::vector<llvm::Value*>& values) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Value* acc = nullptr;
  for (size_t i = 0; i < coeffs.size(); ++i) {
    double c = coeffs[i];
    llvm::Value* v = values[i];
    if (c == 0) continue;
    if (!acc) {
      acc = c == 1 ? v : c == -1 ? b.CreateFNeg(v) : b.CreateFMul(v, kb.fconst(v->getType(), c));
    } else if (c == 1) {
      acc = b.CreateFAdd(acc, v);
    } else if (c == -1) {
      acc = b.CreateFSub(acc, v);
    } else {
      acc = kb.fma(v, kb.fconst(v->getType(), c), acc);
    }
  }
  return acc ? acc : kb.fconst(values[0]->getType(), 0.0);
}

/// out = L * X * R^T for row-major X (rows x cols) of vector values.
std::vector<llvm::Value*> sandwich(KernelBuilder& kb, const std::vector<std::vector<double>>& left,
                                   const std::vector<llvm::Value*>& x, int64_t cols,
                                   const std::vector<std::vector<double>>& right) {
  const int64_t rows = int64_t(x.size()) / cols;
  std::vector<llvm::Value*> t;  // left.size() x cols
  for (const auto& l : left)
    for (int64_t j = 0; j < cols; ++j) {
      std::vector<llvm::Value*> column;
      for (int64_t i = 0; i < rows; ++i) column.push_back(x[size_t(i * cols + j)]);
      t.push_back(combine(kb, l, column));
    }
  std::vector<llvm::Value*> out;
  for (size_t i = 0; i < left.size(); ++i)
    for (const auto& r : right) {
      std::vector<llvm::Value*> row(t.begin() + int64_t(i) * cols, t.begin() + int64_t(i + 1) * cols);
      out.push_back(combine(kb, r, row));
    }
  return out;
}

}  // namespace

Expected<KernelInfo> emitWinogradConv(KernelBuilder& kb, const ConvSpec& s) {
  const ir::TensorData* weights = kb.constantOperand(1);
  if (!weights || s.R != 3 || s.S != 3) return kb.error("winograd needs a constant 3x3 kernel");
  // The output tile select-conv-algo priced, else the plan's default.
  const int64_t m = s.tile > 0 ? s.tile : common::defaultWinogradTile(s.OH, s.OW);
  Expected<WinogradMatrices> planned = common::winogradMatrices(m);
  if (!planned)
    return kb.error(fmt::format("winograd tile={} is not one this backend runs ({})", m,
                                fmt::join(common::kWinogradTiles, " or ")));
  WinogradMatrices mat = planned.take();
  const int64_t alpha = mat.alpha;
  const int64_t kPad = (s.K + kb.W - 1) / kb.W * kb.W;

  std::vector<float> u = common::winogradWeightTransform(mat, weights->f32.data(), s.K, s.C, kPad);

  TileTransformAlgorithm algo;
  algo.name = fmt::format("winograd F({}x{},3x3)", m, m);
  algo.inH = algo.inW = alpha;
  algo.outH = algo.outW = m;
  algo.positions = alpha * alpha;
  algo.parts = 1;
  algo.tmpFloats = 0;
  algo.weights = std::move(u);
  algo.flopsPerTile = double(kb.W) * 4.0 * double(alpha * alpha * alpha);
  algo.forward = [mat](KernelBuilder& k, const TileIO& io) {
    std::vector<llvm::Value*> d;
    for (int64_t i = 0; i < mat.alpha; ++i)
      for (int64_t j = 0; j < mat.alpha; ++j) d.push_back(io.loadInput(k.i64c(i), k.i64c(j)));
    std::vector<llvm::Value*> v = sandwich(k, mat.bt, d, mat.alpha, mat.bt);
    for (int64_t p = 0; p < mat.alpha * mat.alpha; ++p) io.storeTransformed(k.i64c(p), 0, v[size_t(p)]);
  };
  algo.inverse = [mat](KernelBuilder& k, const TileIO& io) {
    std::vector<llvm::Value*> mm;
    for (int64_t p = 0; p < mat.alpha * mat.alpha; ++p) mm.push_back(io.loadTransformed(k.i64c(p), 0));
    std::vector<llvm::Value*> y = sandwich(k, mat.at, mm, mat.alpha, mat.at);
    for (int64_t i = 0; i < mat.m; ++i)
      for (int64_t j = 0; j < mat.m; ++j) io.storeOutput(k.i64c(i), k.i64c(j), y[size_t(i * mat.m + j)]);
  };
  return emitTileTransformConv(kb, s, algo);
}

}  // namespace nutshell::cpu
