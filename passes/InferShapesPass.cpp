// infer-shapes: recompute every node's result types from its operands, in
// topological order. Needed after input shapes are bound and after rewrites
// that change an operand's type; reports a change when any result type
// differs from before. Unlike a plain ir::inferShapes, a dim the shape rule
// cannot know (`?`, e.g. a reshape to a computed shape) keeps the size or
// symbol the graph already had, so running the pass never loses what the
// importer or the author declared (see refineResultTypes).
#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"
#include "passes/RewriteUtils.h"

namespace nutshell::passes {

namespace {

class InferShapesPass final : public Pass {
public:
  std::string_view name() const override { return "infer-shapes"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_TRY(checkOptions(name(), context, {}));
    return refineAllTypes(graph);
  }
};

}  // namespace

std::unique_ptr<Pass> createInferShapesPass() { return std::make_unique<InferShapesPass>(); }

}  // namespace nutshell::passes
