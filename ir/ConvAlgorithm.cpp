#include "ir/ConvAlgorithm.h"

#include <fmt/format.h>

namespace nutshell::ir {

std::string_view convAlgorithmName(ConvAlgorithm algorithm) {
  switch (algorithm) {
    case ConvAlgorithm::Direct: return "direct";
    case ConvAlgorithm::Im2col: return "im2col";
    case ConvAlgorithm::Fft: return "fft";
    case ConvAlgorithm::Winograd: return "winograd";
  }
  return "direct";
}

std::optional<ConvAlgorithm> parseConvAlgorithm(std::string_view name) {
  for (ConvAlgorithm algorithm : kAllConvAlgorithms)
    if (convAlgorithmName(algorithm) == name) return algorithm;
  return std::nullopt;
}

Expected<ConvPlan> convPlan(const Node& node) {
  ConvPlan plan;
  if (node.op != OpKind::FusedConv2d) return plan;
  const std::string& name = node.getString("algo");
  if (name != "auto") {
    plan.algorithm = parseConvAlgorithm(name);
    if (!plan.algorithm)
      return makeError(fmt::format("{}: unknown conv algorithm '{}' (auto|direct|im2col|fft|winograd)",
                                   node.describe(), name));
  }
  plan.tile = node.getInt("tile");
  return plan;
}

bool setConvPlan(Node& node, ConvAlgorithm algorithm, int64_t tile) {
  std::string name(convAlgorithmName(algorithm));
  bool changed = node.getString("algo") != name || node.getInt("tile") != tile;
  node.setAttr("algo", name);
  if (tile > 0)
    node.setAttr("tile", tile);
  else
    node.attrs.erase("tile");
  return changed;
}

}  // namespace nutshell::ir
