// The LLVM CPU backend: graph -> LLVM IR (one vectorized kernel per node plus
// a run entry) -> O3 for the host CPU -> ORC JIT. See docs/cpu-backend.md.
#pragma once

#include <memory>

#include "backends/Backend.h"

namespace nutshell::cpu {

/// The "cpu" backend. Graphs with symbolic input dims are compiled on first
/// run for the shapes given (one compiled variant per input shape set).
/// Settings: "target-cpu" (an LLVM CPU name; default: this machine's).
/// "debug-perturb" (a value name: its first element is made wrong after its
/// kernel, to test nutshell-run --bisect).
/// Compile phases: "codegen" (graph -> LLVM IR), "optimize" (LLVM O3), "jit"
/// (machine code, ORC). emit() (nutshell-compile) runs codegen, optimize and
/// "emit" (object code, assembly or LLVM IR text).
std::unique_ptr<Backend> createCpuBackend();

/// NUTSHELL_DEBUG: 1 stages and timings, 2 + kernels, 3 + LLVM IR before
/// optimization, 4 + LLVM IR after optimization.
int debugLevel();

}  // namespace nutshell::cpu
