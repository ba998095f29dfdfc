// The named pipelines, top to bottom, one line of "why" per step. This is the
// one place that says what -O0 and -O2 do.
#include "passes/Pipelines.h"

#include <string_view>
#include <vector>

#include "passes/PassRegistry.h"

namespace nutshell::passes {

namespace {

/// A pipeline step and whether it is a fixpoint group over `body`.
struct Step {
  std::string_view pass;  // pass name with options, e.g. "select-conv-algo{mode=auto}"
  std::vector<std::string_view> body = {};  // non-empty: fixpoint(body...)
};

/// "select-conv-algo{mode=auto}" -> "select-conv-algo".
std::string_view baseName(std::string_view step) { return step.substr(0, step.find('{')); }

std::string render(const std::vector<Step>& steps) {
  std::string out;
  auto append = [&](std::string_view text) {
    if (!out.empty() && out.back() != '(') out += ',';
    out += text;
  };
  for (const Step& step : steps) {
    if (step.body.empty()) {
      // Build the pipeline from what this build registers (the fusion
      // passes are optional components).
      if (isPassRegistered(baseName(step.pass))) append(step.pass);
      continue;
    }
    std::vector<std::string_view> body;
    for (std::string_view pass : step.body)
      if (isPassRegistered(baseName(pass))) body.push_back(pass);
    if (body.empty()) continue;
    append("fixpoint(");
    for (std::string_view pass : body) append(pass);
    out += ')';
  }
  return out;
}

}  // namespace

Expected<std::string> pipelineForLevel(int level) {
  if (level == 0) {
    return render({
        // Types must be current: backends size buffers from them.
        {"infer-shapes"},
        // ONNX shape sub-graphs (shape -> gather -> concat -> reshape) must become
        // attributes; backends generate code for static shapes only.
        {"fold-constants"},
        // Folding leaves the shape sub-graphs unused.
        {"dce"},
        // Backends run over arena offsets.
        {"plan-memory"},
    });
  }
  if (level == 2) {
    return render({
        // Normal forms first (gemm -> dense, batch_norm into conv, pad into conv,
        // no identities) so that every later pass matches one form only.
        {"canonicalize"},
        // Canonical rewrites and bound input shapes change types; folding needs
        // them static.
        {"infer-shapes"},
        // Folding frees dead shape sub-graphs, cse merges duplicates, which can
        // make more operands constant: repeat until nothing changes.
        {"", {"fold-constants", "dce", "cse"}},
        // Folding turned computed reshape shapes and transposed weights into
        // constants, exposing reshape chains and gemm -> dense again.
        {"canonicalize"},
        // Conv + bias + activation + pool, dense + activation, elementwise
        // chains and concat elimination, on the canonical graph.
        {"fuse"},
        // Choose each conv's algorithm with the cost model (fused convs exist now).
        {"select-conv-algo{mode=auto}"},
        // Last: offsets are valid only for the final set of values.
        {"plan-memory"},
    });
  }
  return makeError("unknown optimisation level -O" + std::to_string(level) + " (use -O0 or -O2)");
}

}  // namespace nutshell::passes
