#include "runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NUTSHELL_CPU_RELAX() _mm_pause()
#else
#define NUTSHELL_CPU_RELAX() std::this_thread::yield()
#endif

namespace nutshell {
namespace {

using TaskFn = void (*)(void*, int64_t, int64_t);

// Per-thread state: the requested count, and whether this thread is inside a
// task (a nested parallel_for then runs serially).
thread_local int tlsThreads = 0;
thread_local bool tlsInsideTask = false;

/// Workers wait for a new generation of work: they spin briefly (kernels come
/// back to back, and waking a sleeping thread costs tens of microseconds),
/// then sleep on a condition variable.
///
/// A job is split into one contiguous chunk per thread. Chunks are claimed
/// through one atomic word holding (generation, next chunk), so the caller
/// also runs chunks whose worker has not woken up yet (on a busy machine a
/// descheduled worker would otherwise stall the whole run), and a worker that
/// wakes late can never claim chunks of a newer job. Which thread runs a
/// chunk does not change its result.
class Pool {
public:
  static Pool& instance() {
    static Pool* pool = new Pool();  // never destroyed: workers may outlive main's statics
    return *pool;
  }

  void run(TaskFn fn, void* args, int64_t numTasks, int threads) {
    std::unique_lock<std::mutex> busy(runMutex_, std::try_to_lock);
    if (!busy.owns_lock()) {
      // Another caller is using the pool: run on this thread instead of
      // waiting (same results, as tasks are independent).
      runSerial(fn, args, numTasks);
      return;
    }
    int chunks = static_cast<int>(std::min<int64_t>(threads, numTasks));
    ensureWorkers(chunks - 1);
    uint64_t generation;
    {
      // Job and generation change together under the lock, so a worker that
      // notices a new generation reads that generation's job.
      std::lock_guard<std::mutex> lock(wakeMutex_);
      job_ = Job{fn, args, numTasks, chunks};
      generation = generation_.load(std::memory_order_relaxed) + 1;
      done_.store(0, std::memory_order_relaxed);
      claim_.store(generation << 32, std::memory_order_release);
      generation_.store(generation, std::memory_order_release);
    }
    wakeCv_.notify_all();
    Job job{fn, args, numTasks, chunks};
    runClaimedChunks(job, generation);
    while (done_.load(std::memory_order_acquire) != chunks) NUTSHELL_CPU_RELAX();
  }

  static void runSerial(TaskFn fn, void* args, int64_t numTasks) {
    bool outer = tlsInsideTask;
    tlsInsideTask = true;
    fn(args, 0, numTasks);
    tlsInsideTask = outer;
  }

private:
  struct Job {
    TaskFn fn = nullptr;
    void* args = nullptr;
    int64_t numTasks = 0;
    int numChunks = 0;
  };

  void ensureWorkers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      workers_.emplace_back([this] { workerLoop(); });
      workers_.back().detach();
    }
  }

  /// Claims and runs chunks of generation `generation` until none is left.
  void runClaimedChunks(const Job& job, uint64_t generation) {
    for (;;) {
      uint64_t state = claim_.load(std::memory_order_acquire);
      for (;;) {
        if ((state >> 32) != generation || static_cast<int>(state & 0xffffffffu) >= job.numChunks) return;
        if (claim_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) break;
      }
      int chunk = static_cast<int>(state & 0xffffffffu);
      int64_t begin = job.numTasks * chunk / job.numChunks;
      int64_t end = job.numTasks * (chunk + 1) / job.numChunks;
      if (begin < end) {
        tlsInsideTask = true;
        job.fn(job.args, begin, end);
        tlsInsideTask = false;
      }
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void workerLoop() {
    uint64_t seen = 0;
    for (;;) {
      for (int spin = 0; spin < 20000; ++spin) {
        if (generation_.load(std::memory_order_acquire) != seen) break;
        NUTSHELL_CPU_RELAX();
      }
      Job job;
      {
        std::unique_lock<std::mutex> lock(wakeMutex_);
        wakeCv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_acquire);
        job = job_;
      }
      runClaimedChunks(job, seen);
    }
  }

  std::mutex runMutex_;
  std::mutex wakeMutex_;
  std::condition_variable wakeCv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> claim_{0};  // (generation << 32) | next chunk
  std::atomic<int> done_{0};
  std::vector<std::thread> workers_;
  Job job_;  // guarded by wakeMutex_
};

}  // namespace

static int readDefaultNumThreads() {
  if (const char* env = std::getenv("NUTSHELL_NUM_THREADS")) {
    char* end = nullptr;
    long value = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && value > 0 && value <= 1024) return static_cast<int>(value);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

int defaultNumThreads() {
  static const int threads = readDefaultNumThreads();
  return threads;
}

void setNumThreads(int threads) { tlsThreads = threads < 0 ? 0 : std::min(threads, 1024); }

int numThreads() { return tlsThreads > 0 ? tlsThreads : defaultNumThreads(); }

ScopedNumThreads::ScopedNumThreads(int threads) : previous_(tlsThreads) { setNumThreads(threads); }
ScopedNumThreads::~ScopedNumThreads() { tlsThreads = previous_; }

}  // namespace nutshell

extern "C" void nutshell_parallel_for(void (*fn)(void* args, int64_t begin, int64_t end), void* args,
                                      int64_t numTasks) {
  using nutshell::Pool;
  if (numTasks <= 0) return;
  int threads = nutshell::numThreads();
  if (threads <= 1 || numTasks == 1 || nutshell::tlsInsideTask) {
    Pool::runSerial(fn, args, numTasks);
    return;
  }
  Pool::instance().run(fn, args, numTasks, threads);
}

extern "C" void nutshell_set_num_threads(int threads) { nutshell::setNumThreads(threads); }

extern "C" int nutshell_get_num_threads(void) { return nutshell::numThreads(); }
