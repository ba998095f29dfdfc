// The runtime thread pool that generated code calls.
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/ThreadPool.h"

using namespace nutshell;

namespace {
struct Hits {
  std::vector<std::atomic<int>> counts;
  explicit Hits(size_t n) : counts(n) {}
};
void mark(void* args, int64_t begin, int64_t end) {
  auto* hits = static_cast<Hits*>(args);
  for (int64_t i = begin; i < end; ++i) hits->counts[size_t(i)]++;
}
}  // namespace

TEST_CASE("thread pool runs every task exactly once", "[runtime][threads]") {
  for (int threads : {1, 2, 3, 8})
    for (int64_t tasks : {1, 2, 5, 97, 1000}) {
      ScopedNumThreads scope(threads);
      REQUIRE(numThreads() == threads);
      Hits hits{static_cast<size_t>(tasks)};
      for (int repeat = 0; repeat < 20; ++repeat) nutshell_parallel_for(mark, &hits, tasks);
      for (auto& c : hits.counts) CHECK(c.load() == 20);
    }
}

TEST_CASE("thread pool: concurrent callers and nested calls", "[runtime][threads]") {
  ScopedNumThreads scope(2);
  Hits a(64), b(64);
  std::thread other([&] {
    ScopedNumThreads inner(2);
    for (int i = 0; i < 200; ++i) nutshell_parallel_for(mark, &b, 64);
  });
  for (int i = 0; i < 200; ++i) nutshell_parallel_for(mark, &a, 64);
  other.join();
  for (auto& c : a.counts) CHECK(c.load() == 200);
  for (auto& c : b.counts) CHECK(c.load() == 200);

  // A task that itself calls parallel_for runs the inner loop serially.
  static Hits inner(10);
  auto outer = [](void*, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) nutshell_parallel_for(mark, &inner, 10);
  };
  nutshell_parallel_for(outer, nullptr, 4);
  for (auto& c : inner.counts) CHECK(c.load() == 4);
}

TEST_CASE("default thread count is positive", "[runtime][threads]") {
  CHECK(defaultNumThreads() >= 1);
  setNumThreads(0);
  CHECK(numThreads() == defaultNumThreads());
}
