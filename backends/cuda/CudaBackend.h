// The CUDA backend: graph -> one CUDA C translation unit (ModelRenderer) ->
// NVRTC cubin (NvrtcCompiler, disk-cached) -> loaded through the driver
// (runtime/CudaDriver.h) -> the launch plan run on one stream, captured into
// a CUDA graph after the first run and replayed. See docs/cuda-backend.md.
#pragma once

#include <memory>

#include "backends/Backend.h"

namespace nutshell::cuda {

/// The "cuda" backend. Settings:
///   gpu-arch      sm_90 (default) or another arch NVRTC supports
///   device        the device ordinal (default 0), or "emulated": the
///                 emulated driver, kernels compiled for and run on the host
///                 CPU (a testing aid; NUTSHELL_CUDA_DEVICE=emulated too)
///   fast-compile  "1": NVRTC's --Ofast-compile=max (tests)
///   graphs        "0": launch kernel by kernel on every run (default: a
///                 CUDA graph per input shape, captured on the second run)
/// Compile phases: "render" (CUDA source and launch plan), "cache",
/// "nvrtc" (or "host-compile" when emulated), "load".
std::unique_ptr<Backend> createCudaBackend();

/// NUTSHELL_DEBUG: 1 stages and timings, 2 + kernels, 4 + the CUDA source.
int debugLevel();

}  // namespace nutshell::cuda
