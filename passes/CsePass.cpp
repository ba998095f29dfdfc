// cse: common-subexpression elimination. Two nodes compute the same values
// when they have the same op, the same operands (as SSA values), the same
// explicit attributes, the same result types and, for constants, the same
// payload bytes. One walk in topological order keeps the first of each such
// class (found through a hash of all of the above) and redirects the uses of
// later ones to it, so chains of duplicates collapse in a single run.
//
// Not merged: `empty` (each is a distinct destination buffer that fused
// convolutions write into), constants whose values are elided (unknown), and
// a duplicate that is a graph output when the survivor is one too (the
// outputs would lose a name).
#include <cstring>
#include <functional>
#include <unordered_map>

#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"
#include "passes/RewriteUtils.h"

namespace nutshell::passes {

namespace {

void mix(size_t& seed, size_t value) { seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2); }

size_t hashBytes(const void* data, size_t size) {
  return std::hash<std::string_view>()(std::string_view(static_cast<const char*>(data), size));
}

size_t hashNode(const ir::Node& node) {
  size_t seed = size_t(node.op);
  for (const ir::Value* operand : node.operands) mix(seed, std::hash<const void*>()(operand));
  for (const auto& [name, value] : node.attrs) {
    mix(seed, std::hash<std::string>()(name));
    mix(seed, std::hash<std::string>()(ir::formatAttrValue(value)));
  }
  for (const ir::Value* result : node.results) mix(seed, std::hash<std::string>()(result->type.str()));
  if (const ir::TensorData* data = node.constant.get()) {
    if (ir::isFloatType(data->type.dtype))
      mix(seed, hashBytes(data->f32.data(), data->f32.size() * sizeof(float)));
    else
      mix(seed, hashBytes(data->i64.data(), data->i64.size() * sizeof(int64_t)));
  }
  return seed;
}

bool samePayload(const ir::TensorData& a, const ir::TensorData& b) {
  if (!(a.type == b.type)) return false;
  // Bytes, not values: -0.0 and 0.0 differ, equal NaNs match.
  if (ir::isFloatType(a.type.dtype))
    return a.f32.size() == b.f32.size() && std::memcmp(a.f32.data(), b.f32.data(), a.f32.size() * sizeof(float)) == 0;
  return a.i64 == b.i64;
}

bool sameComputation(const ir::Node& a, const ir::Node& b) {
  if (a.op != b.op || a.operands != b.operands || a.results.size() != b.results.size()) return false;
  // Attribute values compare by their text form, which is exact for floats
  // (shortest round-trip) and treats NaN like any other value.
  if (a.attrs.size() != b.attrs.size()) return false;
  for (auto ia = a.attrs.begin(), ib = b.attrs.begin(); ia != a.attrs.end(); ++ia, ++ib)
    if (ia->first != ib->first || ir::formatAttrValue(ia->second) != ir::formatAttrValue(ib->second)) return false;
  for (size_t i = 0; i < a.results.size(); ++i)
    if (!(a.results[i]->type == b.results[i]->type)) return false;
  if (a.op == ir::OpKind::Const) return a.constant && b.constant && samePayload(*a.constant, *b.constant);
  return true;
}

bool mayMerge(const ir::Node& node) {
  if (node.op == ir::OpKind::Empty) return false;
  if (node.op == ir::OpKind::Const) return node.constant && !node.constant->elided;
  return true;
}

class CsePass final : public Pass {
public:
  std::string_view name() const override { return "cse"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_TRY(checkOptions(name(), context, {}));
    std::unordered_multimap<size_t, ir::Node*> seen;
    int merged = 0;
    // Snapshot: replaceNode erases from the node list.
    std::vector<ir::Node*> order;
    for (const auto& node : graph.nodes()) order.push_back(node.get());
    for (ir::Node* node : order) {
      if (!mayMerge(*node)) continue;
      size_t hash = hashNode(*node);
      ir::Node* survivor = nullptr;
      auto [begin, end] = seen.equal_range(hash);
      for (auto it = begin; it != end && !survivor; ++it)
        if (sameComputation(*it->second, *node)) survivor = it->second;
      if (!survivor) {
        seen.emplace(hash, node);
        continue;
      }
      bool replaceable = true;
      for (size_t i = 0; i < node->results.size(); ++i)
        replaceable = replaceable && canReplace(graph, node->results[i], survivor->results[i]);
      if (!replaceable) {
        seen.emplace(hash, node);
        continue;
      }
      // Redirect now so that users of this duplicate hash with the survivor's
      // results and merge in the same walk.
      replaceNode(graph, node, survivor->results);
      ++merged;
    }
    return merged > 0;
  }
};

}  // namespace

std::unique_ptr<Pass> createCsePass() { return std::make_unique<CsePass>(); }

}  // namespace nutshell::passes
