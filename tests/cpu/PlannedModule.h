// cpu::buildModule for tests that inspect the LLVM module or the kernel list:
// like the backend, plans the graph's memory first when it has no plan.
#pragma once

#include <memory>

#include "backends/common/BufferAssignment.h"
#include "backends/cpu/ModuleBuilder.h"

namespace nutshell::cputest {

inline Expected<cpu::BuiltModule> buildPlannedModule(const ir::Graph& graph, const cpu::TargetInfo& target,
                                                     const cpu::ModuleOptions& options = {}) {
  std::unique_ptr<ir::Graph> planned;
  NUTSHELL_ASSIGN(const ir::Graph* withPlan, common::withMemoryPlan(graph, planned));
  return cpu::buildModule(*withPlan, target, options);
}

}  // namespace nutshell::cputest
