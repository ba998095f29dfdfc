// The emulator's shim: the header the host C++ compiler reads before a
// model's CUDA source (-include), so the very text NVRTC compiles runs on
// the CPU. __global__/__device__ vanish, __shared__ is storage per block in
// flight (a static thread_local: blocks run one at a time per host thread),
// threadIdx/blockIdx/blockDim/gridDim are thread-locals the launcher sets.
// A kernel that calls __syncthreads runs one fiber per CUDA thread of a
// block: each runs to its barrier, then the next, round after round; the
// switch between fibers is six callee-saved registers and the stack pointer
// (x86-64; other hosts fall back to ucontext). Kernels without a barrier run
// their threads one after the other with no fibers at all.
//
// Not emulated: warp shuffles and votes, tensor cores, async copies, the
// memory model (a missing __syncthreads may pass here) and speed.
#pragma once

namespace nutshell::cuda {

/// The shim's text, written beside the source for each emulator compile.
const char* emulatorShimSource();

}  // namespace nutshell::cuda
