// plan-memory: give every intermediate value a byte offset in one arena
// (Graph::arenaBytes and Value::arenaOffset). The planner is ir::planMemory
// (ir/MemoryPlanner.cpp, which documents the algorithm), so that a backend
// that binds input shapes plans the bound graph the same way; this pass only
// runs it. verifyMemoryPlan checks the result. A graph with symbolic dims is
// left unplanned (arena -1): sizes are unknown until input shapes are bound.
#include "ir/MemoryPlan.h"
#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"

namespace nutshell::passes {
namespace {

class PlanMemoryPass final : public Pass {
public:
  std::string_view name() const override { return "plan-memory"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_TRY(checkOptions(name(), context, {}));
    return ir::planMemory(graph);
  }
};

}  // namespace

std::unique_ptr<Pass> createPlanMemoryPass() { return std::make_unique<PlanMemoryPass>(); }

}  // namespace nutshell::passes
