#include "ir/Activation.h"

#include <fmt/format.h>

namespace nutshell::ir {
namespace {

/// The unary ops that are activations or chain steps, by the op table.
std::string unaryNames() {
  std::string names = "none";
  for (size_t i = 0; i < kNumOps; ++i) {
    const OpInfo& info = opInfo(OpKind(i));
    if (info.has(Trait::Unary | Trait::Elementwise)) names += "|" + std::string(info.name);
  }
  return names;
}

std::optional<OpKind> unaryOpNamed(std::string_view name) {
  if (name == "none") return OpKind::Identity;
  std::optional<OpKind> op = lookupOp(name);
  if (!op || !opInfo(*op).has(Trait::Unary | Trait::Elementwise)) return std::nullopt;
  return op;
}

/// The parameters of a unary op: its float attributes in table order (at most
/// two, which TypedViewsTest checks for every unary op), as p0 and p1.
std::vector<const AttrSpec*> paramSpecs(OpKind op) {
  std::vector<const AttrSpec*> specs;
  for (const AttrSpec& spec : opInfo(op).attrs)
    if (spec.kind == AttrKind::Float) specs.push_back(&spec);
  return specs;
}

void setParam(Activation& act, size_t i, double value) {
  (i == 0 ? act.p0 : act.p1) = value;
}

/// Parameters of `op` when none are given: the table's defaults.
Activation withDefaults(OpKind op) {
  Activation act{op};
  std::vector<const AttrSpec*> specs = paramSpecs(op);
  for (size_t i = 0; i < specs.size() && i < 2; ++i)
    setParam(act, i, std::get<double>(defaultAttr(op, specs[i]->name)));
  return act;
}

bool isStepOp(const OpInfo& info) {
  return !info.has(Trait::Fused) &&
         (info.has(Trait::Binary | Trait::Elementwise) || info.has(Trait::Unary | Trait::Elementwise));
}

}  // namespace

bool isChainStepName(std::string_view name) {
  std::optional<OpKind> op = lookupOp(name);
  return op && isStepOp(opInfo(*op));
}

std::string chainStepNames() {
  std::string names;
  for (size_t i = 0; i < kNumOps; ++i)
    if (isStepOp(opInfo(OpKind(i)))) names += (names.empty() ? "" : "|") + std::string(opName(OpKind(i)));
  return names;
}

std::string_view Activation::name() const {
  return isNone() ? std::string_view("none") : opName(op);
}

std::vector<double> Activation::params() const {
  size_t n = paramSpecs(op).size();
  if (n == 0) return {};
  if (n == 1) return {p0};
  return {p0, p1};
}

Expected<Activation> activationNamed(std::string_view name, const std::vector<double>& params) {
  std::optional<OpKind> op = unaryOpNamed(name);
  if (!op) return makeError(fmt::format("unknown activation '{}' (expected {})", name, unaryNames()));
  Activation act = withDefaults(*op);
  size_t takes = act.params().size();
  if (!params.empty() && params.size() != takes)
    return makeError(fmt::format("activation '{}' takes {} act_params, got {}", name, takes, params.size()));
  if (params.size() >= 1) act.p0 = params[0];
  if (params.size() >= 2) act.p1 = params[1];
  return act;
}

Expected<Activation> fusedActivation(const Node& node) {
  if (!node.info().findAttr("act")) return Activation{};
  Expected<Activation> act = activationNamed(node.getString("act"), node.getFloats("act_params"));
  if (!act) return makeError(node.describe() + ": " + act.message());
  return act;
}

std::optional<Activation> activationOf(const Node& node) {
  if (!node.info().has(Trait::Unary | Trait::Elementwise)) return std::nullopt;
  Activation act{node.op};
  std::vector<const AttrSpec*> specs = paramSpecs(node.op);
  for (size_t i = 0; i < specs.size() && i < 2; ++i)
    setParam(act, i, node.getFloat(std::string(specs[i]->name)));
  return act;
}

Expected<std::vector<ChainStep>> chainSteps(const Node& node) {
  if (node.info().has(Trait::Binary)) return std::vector<ChainStep>{ChainStep{node.op}};
  if (std::optional<Activation> act = activationOf(node))
    return std::vector<ChainStep>{ChainStep{node.op, *act}};
  if (node.op != OpKind::FusedElementwise) return makeError(node.describe() + ": not an elementwise op");
  const std::vector<std::string>& names = node.getStrings("steps");
  const std::vector<double>& params = node.getFloats("params");
  if (!params.empty() && params.size() != 2 * names.size())
    return makeError(fmt::format("{}: params must hold 2 values per step ({} steps), got {}", node.describe(),
                                 names.size(), params.size()));
  std::vector<ChainStep> steps;
  size_t binaries = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    std::optional<OpKind> op = lookupOp(names[i]);
    if (op && opInfo(*op).has(Trait::Binary | Trait::Elementwise)) {
      steps.push_back(ChainStep{*op});
      ++binaries;
      continue;
    }
    std::optional<OpKind> unary = unaryOpNamed(names[i]);
    if (!unary || *unary == OpKind::Identity)
      return makeError(fmt::format("{}: unknown step '{}'", node.describe(), names[i]));
    Activation act = withDefaults(*unary);
    if (!params.empty()) act.p0 = params[2 * i], act.p1 = params[2 * i + 1];
    steps.push_back(ChainStep{*unary, act});
  }
  if (binaries + 1 != node.operands.size())
    return makeError(fmt::format("{}: {} binary steps need {} operands, got {}", node.describe(), binaries,
                                 binaries + 1, node.operands.size()));
  return steps;
}

}  // namespace nutshell::ir
