// The Winograd plan: the F(2,3) matrices by hand, and for m = 2 and 4 the
// Winograd formula (with the weight transform backends store) against the
// direct 1-D and 2-D cross-correlation of random tiles and kernels.
#include <random>

#include <catch2/catch.hpp>

#include "backends/common/WinogradPlan.h"
#include "tests/TestSeed.h"

using namespace nutshell;
using common::Matrix;

namespace {

/// L * X * R^T for row-major X (rows x cols).
std::vector<double> sandwich(const Matrix& left, const std::vector<double>& x, size_t cols,
                             const Matrix& right) {
  const size_t rows = x.size() / cols;
  std::vector<double> t(left.size() * cols, 0.0), out(left.size() * right.size(), 0.0);
  for (size_t i = 0; i < left.size(); ++i)
    for (size_t j = 0; j < cols; ++j)
      for (size_t l = 0; l < rows; ++l) t[i * cols + j] += left[i][l] * x[l * cols + j];
  for (size_t i = 0; i < left.size(); ++i)
    for (size_t j = 0; j < right.size(); ++j)
      for (size_t l = 0; l < cols; ++l) out[i * right.size() + j] += t[i * cols + l] * right[j][l];
  return out;
}

/// M * x.
std::vector<double> times(const Matrix& m, const std::vector<double>& x) {
  std::vector<double> out(m.size(), 0.0);
  for (size_t i = 0; i < m.size(); ++i)
    for (size_t j = 0; j < x.size(); ++j) out[i] += m[i][j] * x[j];
  return out;
}

std::vector<double> randomValues(std::mt19937& rng, size_t n) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = uniform(rng);
  return v;
}

}  // namespace

TEST_CASE("winograd F(2,3) matrices", "[common][winograd]") {
  auto mat = common::winogradMatrices(2);
  REQUIRE(mat.ok());
  CHECK(mat->m == 2);
  CHECK(mat->alpha == 4);
  // Lavin & Gray's F(2,3) with rows 0 of B^T and G and row 3 of B^T / column
  // 3 of A^T negated: the signs cancel in A^T [(G g) ⊙ (B^T d)].
  CHECK(mat->bt == Matrix{{-1, 0, 1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, -1, 0, 1}});
  CHECK(mat->g == Matrix{{-1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}});
  CHECK(mat->at == Matrix{{1, 1, 1, 0}, {0, 1, -1, 1}});
}

TEST_CASE("winograd plans the tile sizes backends run", "[common][winograd]") {
  auto four = common::winogradMatrices(4);
  REQUIRE(four.ok());
  CHECK(four->alpha == 6);
  CHECK(four->bt.size() == 6);
  CHECK(four->g.size() == 6);
  CHECK(four->at.size() == 4);
  CHECK(*common::winogradPoints(4) == std::vector<double>{0, 1, -1, 0.5, -2});
  for (int64_t m : {0, 3, 6}) {
    auto bad = common::winogradMatrices(m);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ErrorKind::Unsupported);
    CHECK_THAT(bad.message(), Catch::Contains("F(" + std::to_string(m) + ",3)"));
  }
}

TEST_CASE("winograd 1-D: A^T [(G g) ⊙ (B^T d)] is the correlation", "[common][winograd]") {
  const unsigned seed = unsigned(test::seedFor("winograd 1-D"));
  INFO(test::describeSeed(seed));
  std::mt19937 rng(seed);
  for (int64_t m : {2, 4}) {
    INFO("m " << m);
    auto mat = common::winogradMatrices(m);
    REQUIRE(mat.ok());
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> d = randomValues(rng, size_t(mat->alpha)), g = randomValues(rng, 3);
      std::vector<double> u = times(mat->g, g), v = times(mat->bt, d), prod(u.size());
      for (size_t i = 0; i < u.size(); ++i) prod[i] = u[i] * v[i];
      std::vector<double> y = times(mat->at, prod);
      REQUIRE(y.size() == size_t(m));
      for (int64_t i = 0; i < m; ++i) {
        double direct = d[size_t(i)] * g[0] + d[size_t(i + 1)] * g[1] + d[size_t(i + 2)] * g[2];
        CHECK(y[size_t(i)] == Approx(direct).margin(1e-4));
      }
    }
  }
}

TEST_CASE("winograd 2-D: A^T [(G g G^T) ⊙ (B^T d B)] A is the correlation", "[common][winograd]") {
  const unsigned seed = unsigned(test::seedFor("winograd 2-D"));
  INFO(test::describeSeed(seed));
  std::mt19937 rng(seed);
  for (int64_t m : {2, 4}) {
    INFO("m " << m);
    auto mat = common::winogradMatrices(m);
    REQUIRE(mat.ok());
    const int64_t alpha = mat->alpha, K = 3, C = 2, kPad = 4;
    std::vector<float> w(size_t(K * C * 9));
    std::vector<double> wd = randomValues(rng, w.size());
    for (size_t i = 0; i < w.size(); ++i) w[i] = float(wd[i]);
    std::vector<float> u = common::winogradWeightTransform(*mat, w.data(), K, C, kPad);
    REQUIRE(u.size() == size_t(alpha * alpha * C * kPad));
    // Padded output channels hold zeros.
    for (int64_t p = 0; p < alpha * alpha; ++p)
      for (int64_t c = 0; c < C; ++c) CHECK(u[size_t((p * C + c) * kPad + K)] == 0.f);

    for (int trial = 0; trial < 5; ++trial) {
      // One tile of every input channel, summed over channels like the GEMM.
      std::vector<std::vector<double>> d;
      for (int64_t c = 0; c < C; ++c) d.push_back(randomValues(rng, size_t(alpha * alpha)));
      for (int64_t k = 0; k < K; ++k) {
        std::vector<double> mm(size_t(alpha * alpha), 0.0);
        for (int64_t c = 0; c < C; ++c) {
          std::vector<double> v = sandwich(mat->bt, d[size_t(c)], size_t(alpha), mat->bt);
          for (int64_t p = 0; p < alpha * alpha; ++p)
            mm[size_t(p)] += double(u[size_t((p * C + c) * kPad + k)]) * v[size_t(p)];
        }
        std::vector<double> y = sandwich(mat->at, mm, size_t(alpha), mat->at);
        REQUIRE(y.size() == size_t(m * m));
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < m; ++j) {
            double direct = 0;
            for (int64_t c = 0; c < C; ++c)
              for (int64_t r = 0; r < 3; ++r)
                for (int64_t s = 0; s < 3; ++s)
                  direct += d[size_t(c)][size_t((i + r) * alpha + j + s)] *
                            double(w[size_t(((k * C + c) * 3 + r) * 3 + s)]);
            INFO("k " << k << " output " << i << "," << j);
            CHECK(y[size_t(i * m + j)] == Approx(direct).margin(1e-4));
          }
      }
    }
  }
}
