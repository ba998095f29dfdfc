// dce: dead-code elimination. A node is dead when none of its results is used
// by a live node or a graph output; every op is pure (the op table has no
// side effects), so dead nodes can go. One backwards sweep over the
// topological order marks liveness, then dead nodes are erased.
#include <unordered_set>

#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"

namespace nutshell::passes {

namespace {

class DcePass final : public Pass {
public:
  std::string_view name() const override { return "dce"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_TRY(checkOptions(name(), context, {}));
    std::unordered_set<const ir::Value*> live(graph.outputs.begin(), graph.outputs.end());
    std::vector<ir::Node*> dead;
    const auto& nodes = graph.nodes();
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      ir::Node* node = it->get();
      bool used = false;
      for (const ir::Value* result : node->results) used = used || live.count(result);
      if (!used) {
        dead.push_back(node);
        continue;
      }
      for (const ir::Value* operand : node->operands)
        if (operand) live.insert(operand);
    }
    // `dead` runs from the last node to the first, so each node's users are
    // erased before it.
    for (ir::Node* node : dead) graph.eraseNode(node);
    return !dead.empty();
  }
};

}  // namespace

std::unique_ptr<Pass> createDcePass() { return std::make_unique<DcePass>(); }

}  // namespace nutshell::passes
