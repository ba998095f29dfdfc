// fuse: merge producer-consumer chains into the fused ops of ops.def, so
// intermediates are never written to memory.
//
// Runs, in this order (each rewrite in passes/FusionPatterns.h):
//  1. conv2d (+ bias add of a per-channel constant) (+ activation) (+ max or
//     avg pool, ceil_mode 0) -> fused_conv2d; the kernel computes pooled
//     outputs directly, so the pre-pool tensor is never stored.
//  2. dense (+ bias add) (+ activation) -> fused_dense.
//  3. dense -> reshape [M,N/p,p] -> reduce_max(last axis) -> maxout{pieces=p}
//     (after 2, so a dense whose bias came from an add is matched too).
//  4. chains of >= 2 single-use f32 elementwise ops -> fused_elementwise
//     (after 1-3, so activations go into the conv/dense epilogues first).
//  5. concat(axis=1) of single-use fused_conv2d results -> branches writing
//     into one `empty` buffer (needs the fused convolutions of step 1).
// A value is fused into its user only when that user is its one use and it is
// not a graph output: fusion must never recompute or hide a value.
#include "passes/FusionPatterns.h"
#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"

namespace nutshell::passes {

namespace {

class FusePass final : public Pass {
 public:
  std::string_view name() const override { return "fuse"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_TRY(checkOptions("fuse", context, {}));
    bool changed = false;
    for (auto rewrite : {fusion::fuseConvolutions, fusion::fuseDenseLayers, fusion::fuseMaxout,
                         fusion::fuseElementwiseChains, fusion::eliminateConcats}) {
      NUTSHELL_ASSIGN(bool step, rewrite(graph));
      changed = changed || step;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> createFusePass() {
  return std::make_unique<FusePass>();
}

}  // namespace nutshell::passes
