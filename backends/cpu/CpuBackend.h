// The LLVM CPU backend: graph -> LLVM IR (one vectorized kernel per node plus
// a run entry) -> O3 for the host CPU -> ORC JIT. See docs/cpu-backend.md.
#pragma once

#include <memory>

#include "backends/Backend.h"

namespace nutshell::cpu {

/// Wall-clock time of the compile phases, in milliseconds.
struct CompileTimings {
  double codegenMs = 0;   // graph -> LLVM IR
  double optimizeMs = 0;  // LLVM O3
  double jitMs = 0;       // machine code (ORC)
};

/// The "cpu" backend. Graphs with symbolic input dims are compiled on first
/// run for the shapes given (one compiled variant per input shape set).
std::unique_ptr<Backend> createCpuBackend();

/// createCpuBackend()->compile(), also reporting the phase timings (of the
/// eager compile; zero when compilation is deferred to run time).
Expected<std::unique_ptr<Executable>> compileForCpu(const ir::Graph& graph, const BackendOptions& options,
                                                    CompileTimings* timings = nullptr);

/// NUTSHELL_DEBUG: 1 stages and timings, 2 + kernels, 3 + LLVM IR before
/// optimization, 4 + LLVM IR after optimization.
int debugLevel();

}  // namespace nutshell::cpu
