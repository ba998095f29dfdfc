// The broadcast plan: coalesced dims and per-operand strides for the shapes
// elementwise kernels meet, the error texts, and (on random shapes) that the
// plan addresses every output element's operands like numpy broadcasting.
#include <random>

#include <catch2/catch.hpp>

#include "backends/common/BroadcastPlan.h"
#include "tests/TestSeed.h"

using namespace nutshell;
using common::BroadcastPlan;
using common::planBroadcast;
using Strides = std::vector<std::vector<int64_t>>;

TEST_CASE("broadcast: [2,3,4] + [4] is 6 rows of 4", "[common][broadcast]") {
  auto plan = planBroadcast({2, 3, 4}, {{2, 3, 4}, {4}});
  REQUIRE(plan.ok());
  CHECK(plan->dims == std::vector<int64_t>{6, 4});
  CHECK(plan->strides == Strides{{4, 1}, {0, 1}});
  CHECK(plan->rows() == 6);
  CHECK(plan->inner() == 4);
  CHECK(plan->rowDims() == std::vector<int64_t>{6});
}

TEST_CASE("broadcast: a column operand keeps three dims and splats inside", "[common][broadcast]") {
  auto plan = planBroadcast({2, 3, 4}, {{2, 3, 4}, {3, 1}});
  REQUIRE(plan.ok());
  CHECK(plan->dims == std::vector<int64_t>{2, 3, 4});
  CHECK(plan->strides == Strides{{12, 4, 1}, {0, 1, 0}});
  CHECK(plan->rows() == 6);
  CHECK(plan->inner() == 4);
}

TEST_CASE("broadcast: same shapes coalesce to one row, size-1 dims drop", "[common][broadcast]") {
  auto same = planBroadcast({2, 1, 3, 5}, {{2, 1, 3, 5}, {2, 1, 3, 5}});
  REQUIRE(same.ok());
  CHECK(same->dims == std::vector<int64_t>{30});
  CHECK(same->strides == Strides{{1}, {1}});
  CHECK(same->rows() == 1);
  CHECK(same->rowDims().empty());

  // [2,1,3] + [4,1] -> [2,4,3]: the middle dim comes from the second operand.
  auto mixed = planBroadcast({2, 4, 3}, {{2, 1, 3}, {4, 1}});
  REQUIRE(mixed.ok());
  CHECK(mixed->dims == std::vector<int64_t>{2, 4, 3});
  CHECK(mixed->strides == Strides{{3, 0, 1}, {0, 1, 0}});
}

TEST_CASE("broadcast: scalars and all-ones outputs are one element", "[common][broadcast]") {
  auto scalar = planBroadcast({}, {{}, {}});
  REQUIRE(scalar.ok());
  CHECK(scalar->dims == std::vector<int64_t>{1});
  CHECK(scalar->strides == Strides{{0}, {0}});
  auto ones = planBroadcast({1, 1}, {{1}, {1, 1}});
  REQUIRE(ones.ok());
  CHECK(ones->dims == std::vector<int64_t>{1});
  CHECK(ones->rows() == 1);
  CHECK(ones->inner() == 1);
}

TEST_CASE("broadcast: shapes that do not broadcast are errors", "[common][broadcast]") {
  auto bad = planBroadcast({2, 3}, {{2, 3}, {3, 1}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message() == "operand 1 shape [3,1] does not broadcast to [2,3]");
  auto rank = planBroadcast({3}, {{2, 3}});
  REQUIRE_FALSE(rank.ok());
  CHECK(rank.message() == "operand rank exceeds result rank");
}

TEST_CASE("broadcast: the plan addresses what numpy broadcasting reads", "[common][broadcast]") {
  const unsigned seed = unsigned(test::seedFor("broadcast plan"));
  INFO(test::describeSeed(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dimSize(1, 4), rankOf(0, 4), coin(0, 2);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int64_t> out(size_t(rankOf(rng)));
    for (int64_t& d : out) d = dimSize(rng);
    std::vector<std::vector<int64_t>> shapes;
    for (int k = 0; k < 3; ++k) {
      size_t drop = std::uniform_int_distribution<size_t>(0, out.size())(rng);
      std::vector<int64_t> s(out.begin() + int64_t(drop), out.end());
      for (int64_t& d : s)
        if (coin(rng) == 0) d = 1;
      shapes.push_back(s);
    }
    INFO("trial " << trial);
    auto plan = planBroadcast(out, shapes);
    REQUIRE(plan.ok());
    for (const auto& s : plan->strides) {
      REQUIRE(s.size() == plan->dims.size());
      CHECK((s.back() == 0 || s.back() == 1));
    }
    // Walk the output in row-major order two ways: by the original shapes
    // (numpy's rule) and by the plan's coalesced dims.
    int64_t total = 1;
    for (int64_t d : out) total *= d;
    int64_t planned = 1;
    for (int64_t d : plan->dims) planned *= d;
    REQUIRE(planned == total);
    for (int64_t flat = 0; flat < total; ++flat) {
      std::vector<int64_t> index(out.size());
      for (size_t d = out.size(), rest = size_t(flat); d-- > 0;)
        index[d] = int64_t(rest) % out[d], rest /= size_t(out[d]);
      std::vector<int64_t> coalesced(plan->dims.size());
      for (size_t d = plan->dims.size(), rest = size_t(flat); d-- > 0;)
        coalesced[d] = int64_t(rest) % plan->dims[d], rest /= size_t(plan->dims[d]);
      for (size_t k = 0; k < shapes.size(); ++k) {
        int64_t expected = 0;
        const auto& s = shapes[k];
        for (size_t i = 0; i < s.size(); ++i)
          expected = expected * s[i] + (s[i] == 1 ? 0 : index[out.size() - s.size() + i]);
        int64_t got = 0;
        for (size_t d = 0; d < coalesced.size(); ++d) got += coalesced[d] * plan->strides[k][d];
        CHECK(got == expected);
      }
    }
  }
}
