// The seed of every randomized test. Fixed by default, so that a run repeats
// exactly and CI is deterministic; NUTSHELL_TEST_SEED=N explores other inputs.
// Tests put the seed in an INFO(), so a failing check prints it with the way
// to repeat the run.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace nutshell::test {

inline constexpr uint64_t kDefaultTestSeed = 20261201;

/// NUTSHELL_TEST_SEED if set (a decimal number), else kDefaultTestSeed.
inline uint64_t testSeed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("NUTSHELL_TEST_SEED");
    if (!env || !*env) return kDefaultTestSeed;
    char* end = nullptr;
    unsigned long long value = std::strtoull(env, &end, 10);
    return *end ? kDefaultTestSeed : uint64_t(value);
  }();
  return seed;
}

/// A seed per use, derived from the run's seed and a name (FNV-1a, so the
/// same on every platform): tests do not share one random stream, and adding
/// a test does not change the inputs of the others.
inline uint64_t seedFor(std::string_view what) {
  uint64_t hash = 14695981039346656037ull ^ testSeed();
  for (unsigned char c : what) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

/// "seed 123 (NUTSHELL_TEST_SEED=20261201 repeats this run)", for INFO().
inline std::string describeSeed(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (NUTSHELL_TEST_SEED=" + std::to_string(testSeed()) +
         " repeats this run)";
}

}  // namespace nutshell::test
