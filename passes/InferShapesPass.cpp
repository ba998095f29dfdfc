// infer-shapes: recompute every node's result types from its operands, in
// topological order (ir::inferShapes). Needed after input shapes are bound
// and after rewrites that change an operand's type; reports a change when any
// result type differs from before.
#include "ir/ShapeInference.h"
#include "passes/PassRegistry.h"

namespace nutshell::passes {

namespace {

class InferShapesPass final : public Pass {
public:
  std::string_view name() const override { return "infer-shapes"; }

  Expected<bool> run(ir::Graph& graph, PassContext&) override {
    std::vector<ir::TensorType> before;
    for (const auto& node : graph.nodes())
      for (const ir::Value* result : node->results) before.push_back(result->type);
    NUTSHELL_TRY(ir::inferShapes(graph));
    size_t i = 0;
    for (const auto& node : graph.nodes())
      for (const ir::Value* result : node->results)
        if (!(result->type == before[i++])) return true;
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> createInferShapesPass() { return std::make_unique<InferShapesPass>(); }

}  // namespace nutshell::passes
