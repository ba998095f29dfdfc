#include "backends/cuda/EmulatorShim.h"

namespace nutshell::cuda {

const char* emulatorShimSource() {
  return R"shim(// nutshell CUDA emulator shim (see backends/cuda/EmulatorShim.h).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static thread_local

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x, y, z; };
static thread_local uint3 threadIdx, blockIdx;
static thread_local dim3 blockDim, gridDim;

static inline float __int_as_float(long long bits) {
  unsigned u = (unsigned)bits;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

namespace nutshell_emu {

#if defined(__x86_64__)
extern "C" void nutshell_emu_switch(void** save, void* load);
asm(R"(
.text
.globl nutshell_emu_switch
.hidden nutshell_emu_switch
.type nutshell_emu_switch,@function
nutshell_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size nutshell_emu_switch, .-nutshell_emu_switch
)");
#endif

constexpr size_t kStackBytes = 64 * 1024;

struct Fiber {
  char* stack = nullptr;
  bool done = false;
  uint3 tid{0, 0, 0};
#if defined(__x86_64__)
  void* sp = nullptr;
#else
  ucontext_t context;
#endif
};

// The scheduler of this host thread, type-erased for __syncthreads.
struct Current {
  Fiber* fiber = nullptr;
  void** schedulerSp = nullptr;
  void* schedulerContext = nullptr;
};
static thread_local Current current;
static thread_local void (*runBody)(void*) = nullptr;
static thread_local void* bodyArg = nullptr;

static void fiberMain() {
  runBody(bodyArg);
  current.fiber->done = true;
#if defined(__x86_64__)
  nutshell_emu_switch(&current.fiber->sp, *current.schedulerSp);
#else
  swapcontext(&current.fiber->context, static_cast<ucontext_t*>(current.schedulerContext));
#endif
  std::abort();  // a finished fiber is never resumed
}

static inline void yieldToScheduler() {
#if defined(__x86_64__)
  nutshell_emu_switch(&current.fiber->sp, *current.schedulerSp);
#else
  swapcontext(&current.fiber->context, static_cast<ucontext_t*>(current.schedulerContext));
#endif
}

// The fiber stacks of one launch, reused by each of its blocks.
struct Stacks {
  std::vector<char*> stacks;
  explicit Stacks(unsigned count) {
    for (unsigned i = 0; i < count; ++i) stacks.push_back(static_cast<char*>(std::malloc(kStackBytes)));
  }
  ~Stacks() {
    for (char* s : stacks) std::free(s);
  }
};

template <class Body>
static void runBlockWithFibers(unsigned threads, const Body& body, const std::vector<char*>& stacks) {
  std::vector<Fiber> fibers(threads);
#if defined(__x86_64__)
  void* schedulerSp = nullptr;
  current.schedulerSp = &schedulerSp;
#else
  ucontext_t schedulerContext;
  current.schedulerContext = &schedulerContext;
#endif
  runBody = [](void* arg) { (*static_cast<const Body*>(arg))(); };
  bodyArg = const_cast<Body*>(&body);
  for (unsigned t = 0; t < threads; ++t) {
    Fiber& f = fibers[t];
    f.stack = stacks[t];
    f.tid = {t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y)};
#if defined(__x86_64__)
    // As if nutshell_emu_switch had saved six registers over a return
    // into fiberMain, whose own frame then starts 16-byte aligned - 8.
    void** top = reinterpret_cast<void**>((reinterpret_cast<uintptr_t>(f.stack) + kStackBytes) & ~uintptr_t(15));
    top[-1] = nullptr;
    top[-2] = reinterpret_cast<void*>(&fiberMain);
    for (int r = 3; r <= 8; ++r) top[-r] = nullptr;
    f.sp = top - 8;
#else
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack;
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiberMain, 0);
#endif
  }
  for (bool pending = true; pending;) {
    pending = false;
    for (Fiber& f : fibers) {
      if (f.done) continue;
      threadIdx = f.tid;
      current.fiber = &f;
#if defined(__x86_64__)
      nutshell_emu_switch(&schedulerSp, f.sp);
#else
      swapcontext(&schedulerContext, &f.context);
#endif
      pending = pending || !f.done;
    }
  }
  current.fiber = nullptr;
}

template <class Body>
static void launch(const unsigned* grid, const unsigned* block, bool syncs, const Body& body) {
  gridDim = {grid[0], grid[1], grid[2]};
  blockDim = {block[0], block[1], block[2]};
  const unsigned threads = block[0] * block[1] * block[2];
  Stacks stacks(syncs ? threads : 0);
  for (unsigned z = 0; z < grid[2]; ++z)
    for (unsigned y = 0; y < grid[1]; ++y)
      for (unsigned x = 0; x < grid[0]; ++x) {
        blockIdx = {x, y, z};
        if (syncs) {
          runBlockWithFibers(threads, body, stacks.stacks);
        } else {
          for (unsigned t = 0; t < threads; ++t) {
            threadIdx = {t % block[0], (t / block[0]) % block[1], t / (block[0] * block[1])};
            body();
          }
        }
      }
}

}  // namespace nutshell_emu

static inline void __syncthreads() {
  if (nutshell_emu::current.fiber) nutshell_emu::yieldToScheduler();
}

#define NUTSHELL_EMULATOR_LAUNCHER(name, syncs, arity, call)                                   \
  extern "C" const int name##__arity = arity;                                                   \
  extern "C" void name##__launch(const unsigned* grid, const unsigned* block, void** args) {    \
    nutshell_emu::launch(grid, block, syncs, [&] { call; });                                    \
  }
)shim";
}

}  // namespace nutshell::cuda
