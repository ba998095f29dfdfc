// The emulated CUDA driver: the driver table (runtime/CudaDriver.h) filled
// with host implementations, so the cuda backend's executable, launch plan,
// arena layout, argument marshalling and CUDA-graph replay run unchanged on
// a machine without a GPU. Device memory is host memory; a "module image" is
// the NUL-terminated path of a shared object the host compiler built from
// the model's CUDA source with the emulator's shim (EmulatorShim.h), whose
// kernels the driver finds as <kernel>__launch / <kernel>__arity; stream
// capture records launches and a graph replays them.
//
// A testing aid, selected by NUTSHELL_CUDA_DEVICE=emulated or the backend's
// setting device=emulated (docs/cuda-backend.md).
#pragma once

#include <memory>
#include <string>

#include "nutshell/Expected.h"
#include "runtime/CudaDriver.h"

namespace nutshell::cuda {

/// The process's emulated driver (initialized once).
Expected<std::shared_ptr<CudaDriver>> emulatedDriver();

/// The host C++ compile of a model's CUDA source for the emulated driver:
/// the shared object's bytes. The compiler is NUTSHELL_EMULATOR_CXX, else
/// the one nutshell was built with.
Expected<std::string> compileForEmulator(const std::string& source);

/// "c++ -std=c++17 -O1 ...": the compiler and flags, for the cache key.
std::string emulatorCompileCommand();

}  // namespace nutshell::cuda
