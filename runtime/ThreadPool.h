// The thread pool that generated code runs its parallel kernels on.
//
// Generated code (JIT or AOT) calls the C entry point nutshell_parallel_for
// once per kernel. Tasks are split into contiguous, static chunks, one per
// thread; every task writes disjoint outputs and does its own reductions in a
// fixed order, so results are bitwise identical for any thread count.
#pragma once

#include <cstdint>

extern "C" {
/// Runs fn(args, begin, end) over [0, numTasks) split into contiguous chunks,
/// one per thread of the pool; returns when all chunks are done. Called from
/// inside a task it runs serially (no nested parallelism).
void nutshell_parallel_for(void (*fn)(void* args, int64_t begin, int64_t end), void* args, int64_t numTasks);
/// C wrappers of setNumThreads / numThreads below, for programs that embed an
/// AOT-compiled model (declared again in the headers nutshell-compile writes).
void nutshell_set_num_threads(int threads);
int nutshell_get_num_threads(void);
}

namespace nutshell {

/// Threads used when nothing else says: NUTSHELL_NUM_THREADS if set and
/// valid, else the number of hardware threads.
int defaultNumThreads();

/// Sets the number of threads nutshell_parallel_for uses on the calling
/// thread (0 = defaultNumThreads()). The pool grows to the largest count asked
/// for; workers beyond the current count stay idle.
void setNumThreads(int threads);
int numThreads();

/// Sets the calling thread's count for the lifetime of the object.
class ScopedNumThreads {
public:
  explicit ScopedNumThreads(int threads);
  ~ScopedNumThreads();
  ScopedNumThreads(const ScopedNumThreads&) = delete;
  ScopedNumThreads& operator=(const ScopedNumThreads&) = delete;

private:
  int previous_;
};

}  // namespace nutshell
