// Elementwise chains -> fused_elementwise (part of the fuse pass).
//
// A chain is a sequence of f32 elementwise nodes n1 -> n2 -> ... where each
// result has exactly one use (the next node, not a graph output) and all
// results have the same type. fused_elementwise evaluates acc = x; then per
// step acc = acc OP next-operand (binary) or acc = f(acc) (unary), so the
// chain value must be the left operand of each binary step; add, mul, max
// and min commute, so there it may be either. A chain of two or more nodes becomes one
// node: one pass over memory instead of one per op.
#include <unordered_set>

#include "ir/Activation.h"
#include "passes/FusionPatterns.h"

namespace nutshell::passes::fusion {

using ir::Node;
using ir::OpKind;
using ir::Value;

namespace {

bool isChainable(const Node& node) {
  const ir::OpInfo& info = node.info();
  if (!info.has(ir::Trait::Elementwise) || info.has(ir::Trait::Fused) || node.results.size() != 1)
    return false;
  if (node.result()->type.dtype != ir::DType::F32) return false;
  for (const Value* operand : node.operands)
    if (!operand || operand->type.dtype != ir::DType::F32) return false;
  return info.has(ir::Trait::Unary) ? node.operands.size() == 1 : node.operands.size() == 2;
}

bool commutes(OpKind op) {
  return op == OpKind::Add || op == OpKind::Mul || op == OpKind::Max || op == OpKind::Min;
}

/// The step name and its two params, as fused_elementwise spells them.
void appendStep(const Node& node, std::vector<std::string>& steps, std::vector<double>& params) {
  steps.emplace_back(opName(node.op));
  // A unary step's parameters are its activation's (leaky_relu alpha, clip
  // bounds); a binary step has none.
  std::optional<ir::Activation> act = ir::activationOf(node);
  params.push_back(act ? act->p0 : 0.0);
  params.push_back(act ? act->p1 : 0.0);
}

/// The chain's next node after `node`, or null. `other` receives the next
/// binary step's extra operand.
Node* nextInChain(const ir::Graph& graph, const Node* node, Value*& other) {
  Node* user = soleUser(graph, node->result());
  if (!user || !isChainable(*user) || !(user->result()->type == node->result()->type)) return nullptr;
  if (user->info().has(ir::Trait::Unary)) {
    other = nullptr;
    return user;
  }
  if (user->operands[0] == node->result()) {
    other = user->operands[1];
    return user;
  }
  if (commutes(user->op)) {
    other = user->operands[0];
    return user;
  }
  return nullptr;  // acc on the right of sub/div: not expressible
}

}  // namespace

Expected<bool> fuseElementwiseChains(ir::Graph& graph) {
  std::vector<Node*> order;
  for (const auto& node : graph.nodes()) order.push_back(node.get());
  std::unordered_set<const Node*> consumed;  // fused away (erased)
  bool changed = false;
  for (Node* head : order) {
    // Chains are found from their first node (topological order visits it
    // first); nodes already fused are skipped before being dereferenced.
    if (consumed.count(head) || !isChainable(*head)) continue;
    std::vector<Node*> chain{head};
    std::vector<Value*> operands(head->operands.begin(), head->operands.end());
    std::vector<std::string> steps;
    std::vector<double> params;
    appendStep(*head, steps, params);
    Value* other = nullptr;
    for (Node* next = nextInChain(graph, head, other); next; next = nextInChain(graph, chain.back(), other)) {
      chain.push_back(next);
      if (other) operands.push_back(other);
      appendStep(*next, steps, params);
    }
    if (chain.size() < 2) continue;
    Node* last = chain.back();
    Node* fused = graph.insertNodeBefore(last, OpKind::FusedElementwise, std::move(operands),
                                         {last->result()->type}, {{"steps", steps}, {"params", params}});
    consumed.insert(chain.begin(), chain.end());
    replaceChain(graph, chain, fused);
    changed = true;
  }
  return changed;
}

}  // namespace nutshell::passes::fusion
