// select-conv-algo: choose the algorithm of every convolution and record why.
//
// Runs after fuse. First every remaining conv2d becomes a fused_conv2d with
// act none (same operands; a zero bias when it had none), so every
// convolution carries the decision in the same two attributes. Then, per
// fused_conv2d, the cost model (passes/ConvCostModel.h) estimates direct,
// im2col, fft and winograd on PassContext::target, and the node records
//   algo = the fastest applicable candidate (or the override)
//   tile = the tile that candidate was priced with (fft: n, winograd: m),
//          which the backend runs; absent for direct and im2col
//   why  = every candidate's estimate and each rejection reason, e.g.
//          "direct 12.1us 0.47 MFLOP | im2col 14.0us 0.47 MFLOP +48 KB |
//           fft rejected: C=3<16 | winograd rejected: 5x5 kernel"
// Overrides, strongest first:
//   --conv-algo=NODE=ALGO (PassContext::convAlgoPerNode): an inapplicable
//     algorithm is an error naming the node and the reason;
//   --conv-algo=ALGO (PassContext::convAlgo), else the pipeline option
//     select-conv-algo{mode=ALGO}: applies to every convolution where it can;
//     elsewhere the best applicable candidate is kept and why says so
//     ("fft forced but not applicable: stride 2; chose direct").
//   A cost rule alone (fft with fewer than 16 input channels) does not stop
//   an override: it says the algorithm is slow there, not that it is wrong.
// A convolution whose channel or spatial sizes are still symbolic gets
// algo="direct" and a why saying it was not estimated.
#include <fmt/format.h>

#include <set>

#include "passes/ConvCostModel.h"
#include "passes/FusionPatterns.h"
#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"

namespace nutshell::passes {

namespace {

using ir::Node;
using ir::OpKind;

/// A validated algorithm request: "auto" or one ConvAlgorithm.
struct Request {
  std::optional<ConvAlgorithm> algorithm;  // nullopt: auto
  std::string source;                      // how the user said it, for `why`
};

Expected<Request> parseRequest(const std::string& name, const std::string& source) {
  if (name == "auto") return Request{std::nullopt, source};
  if (auto algorithm = parseConvAlgorithm(name)) return Request{algorithm, source};
  return makeError(
      fmt::format("{}: unknown convolution algorithm '{}' (expected auto, direct, im2col, fft or winograd)",
                  source, name));
}

class SelectConvAlgorithmPass final : public Pass {
 public:
  std::string_view name() const override { return "select-conv-algo"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_ASSIGN(Request global, globalRequest(context));
    std::map<std::string, Request> perNode;
    for (const auto& [nodeName, algo] : context.convAlgoPerNode) {
      NUTSHELL_ASSIGN(Request request, parseRequest(algo, "--conv-algo=" + nodeName + "=" + algo));
      perNode.emplace(nodeName, request);
    }

    bool changed = convertPlainConvolutions(graph);
    std::set<std::string> seen;
    ConvCostModel model(context.target);
    for (const auto& node : graph.nodes()) {
      if (node->op != OpKind::FusedConv2d) continue;
      seen.insert(node->name());
      auto it = perNode.find(node->name());
      NUTSHELL_ASSIGN(bool nodeChanged,
                      decide(*node, model, global, it == perNode.end() ? nullptr : &it->second));
      changed = changed || nodeChanged;
    }
    for (const auto& [nodeName, request] : perNode)
      if (!seen.count(nodeName))
        return makeError(
            fmt::format("{}: the graph has no convolution named '%{}'", request.source, nodeName));
    return changed;
  }

 private:
  static Expected<Request> globalRequest(const PassContext& context) {
    NUTSHELL_TRY(checkOptions("select-conv-algo", context, {"mode"}));
    if (context.convAlgo != "auto") return parseRequest(context.convAlgo, "--conv-algo=" + context.convAlgo);
    auto mode = context.options.find("mode");
    if (mode != context.options.end())
      return parseRequest(mode->second, "select-conv-algo{mode=" + mode->second + "}");
    return Request{std::nullopt, ""};
  }

  /// conv2d -> fused_conv2d with act none, so every convolution carries algo.
  static bool convertPlainConvolutions(ir::Graph& graph) {
    std::vector<Node*> convs;
    for (const auto& node : graph.nodes())
      if (node->op == OpKind::Conv2d && node->operands[1]->type.rank() == 4 &&
          node->operands[1]->type.dims[0].isStatic())
        convs.push_back(node.get());
    for (Node* conv : convs) fusion::convertToFusedConv(graph, conv);
    return !convs.empty();
  }

  static Expected<bool> decide(Node& node, const ConvCostModel& model, const Request& global,
                               const Request* override) {
    ConvAlgorithm algo = ConvAlgorithm::Direct;
    std::string why;
    int64_t tile = 0;
    Expected<ConvProblem> problem = ConvProblem::fromNode(node);
    if (!problem) {
      // Not estimable yet (symbolic sizes): the safe default, said plainly.
      if (override && override->algorithm && *override->algorithm != ConvAlgorithm::Direct)
        return makeError(fmt::format("node '%{}' (fused_conv2d): {} cannot be checked: {}", node.name(),
                                     override->source, problem.message()));
      why = "not estimated: sizes not static (" + node.operands[0]->type.str() + "); chose direct";
    } else {
      std::vector<ConvEstimate> estimates = model.estimateAll(*problem);
      const ConvEstimate* chosen = &ConvCostModel::best(estimates);
      std::string note;
      if (override && override->algorithm) {
        const ConvEstimate& forced = estimates[size_t(*override->algorithm)];
        if (!forced.applicable && !forced.forcible)
          return makeError(
              fmt::format("node '%{}' (fused_conv2d): {} is not applicable: {} (input {}, weights {})",
                          node.name(), override->source, forced.rejection, node.operands[0]->type.str(),
                          node.operands[1]->type.str()));
        chosen = &forced;
        note = "forced by " + override->source;
      } else if (!override && global.algorithm) {
        const ConvEstimate& forced = estimates[size_t(*global.algorithm)];
        std::string name(convAlgorithmName(*global.algorithm));
        if (forced.applicable || forced.forcible) {
          chosen = &forced;
          note = "forced by " + global.source;
        } else {
          note = fmt::format("{} forced but not applicable: {}; chose {}", name, forced.rejection,
                             convAlgorithmName(chosen->algorithm));
        }
      }
      algo = chosen->algorithm;
      tile = chosen->tile;
      why = ConvCostModel::formatWhy(estimates);
      if (!note.empty()) why = note + " | " + why;
      if (problem->batchAssumed) why += " | batch symbolic, estimated for N=1";
    }
    // The tile the estimate priced is the one the backend runs.
    bool changed = ir::setConvPlan(node, algo, tile) || node.getString("why") != why;
    node.setAttr("why", why);
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> createSelectConvAlgorithmPass() {
  return std::make_unique<SelectConvAlgorithmPass>();
}

}  // namespace nutshell::passes
