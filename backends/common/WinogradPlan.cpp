#include "backends/common/WinogradPlan.h"

#include <cmath>
#include <string>

namespace nutshell::common {

/// The Toom-Cook rows, with M(x) = prod_l (x - p_l) over the finite points:
///   A^T[i][j] = p_j^i (infinity column: 1 in the last row),
///   G[j][k]   = p_j^k / prod_{l != j} (p_j - p_l) (infinity row: [0, 0, 1]),
///   B^T[j]    = coefficients of M(x) / (x - p_j) (infinity row: those of M).
WinogradMatrices toomCook(int64_t m, const std::vector<double>& points) {
  const int64_t alpha = m + 2, finite = alpha - 1;
  WinogradMatrices w{m, alpha, {}, {}, {}};
  auto polyTimes = [](const std::vector<double>& a, double root) {  // a(x) * (x - root)
    std::vector<double> out(a.size() + 1, 0.0);
    for (size_t i = 0; i < a.size(); ++i) out[i + 1] += a[i], out[i] -= root * a[i];
    return out;
  };
  std::vector<double> all{1.0};
  for (double p : points) all = polyTimes(all, p);
  for (int64_t j = 0; j < finite; ++j) {
    std::vector<double> others{1.0};
    double f = 1;
    for (int64_t l = 0; l < finite; ++l)
      if (l != j) others = polyTimes(others, points[size_t(l)]), f *= points[size_t(j)] - points[size_t(l)];
    others.resize(size_t(alpha), 0.0);
    w.bt.push_back(others);
    w.g.push_back({1 / f, points[size_t(j)] / f, points[size_t(j)] * points[size_t(j)] / f});
  }
  w.bt.push_back(all);
  w.g.push_back({0, 0, 1});
  for (int64_t i = 0; i < m; ++i) {
    std::vector<double> row;
    for (int64_t j = 0; j < finite; ++j) row.push_back(std::pow(points[size_t(j)], double(i)));
    row.push_back(i == m - 1 ? 1 : 0);
    w.at.push_back(row);
  }
  return w;
}

Expected<std::vector<double>> winogradPoints(int64_t m) {
  if (m == 2) return std::vector<double>{0, 1, -1};
  if (m == 4) return std::vector<double>{0, 1, -1, 0.5, -2};
  return makeUnsupported("winograd F(" + std::to_string(m) + ",3) has no interpolation points (m is 2 or 4)");
}

Expected<WinogradMatrices> winogradMatrices(int64_t m) {
  NUTSHELL_ASSIGN(std::vector<double> points, winogradPoints(m));
  return toomCook(m, points);
}

std::vector<float> winogradWeightTransform(const WinogradMatrices& mat, const float* w, int64_t K, int64_t C,
                                           int64_t kPad) {
  const int64_t alpha = mat.alpha;
  std::vector<float> u(size_t(alpha * alpha * C * kPad), 0.f);
  std::vector<double> gg(size_t(alpha * 3));  // G g, alpha x 3
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c) {
      const float* g = w + (k * C + c) * 9;
      for (int64_t i = 0; i < alpha; ++i)
        for (int64_t j = 0; j < 3; ++j) {
          double sum = 0;
          for (int64_t l = 0; l < 3; ++l) sum += mat.g[size_t(i)][size_t(l)] * double(g[l * 3 + j]);
          gg[size_t(i * 3 + j)] = sum;
        }
      for (int64_t i = 0; i < alpha; ++i)
        for (int64_t j = 0; j < alpha; ++j) {
          double v = 0;
          for (int64_t l = 0; l < 3; ++l) v += gg[size_t(i * 3 + l)] * mat.g[size_t(j)][size_t(l)];
          u[size_t(((i * alpha + j) * C + c) * kPad + k)] = float(v);
        }
    }
  return u;
}

}  // namespace nutshell::common
