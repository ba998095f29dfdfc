// Producer-consumer fusions of the fuse pass: convolution and dense epilogues
// (bias, activation, pooling) and maxout, plus the helpers every rewrite
// shares. See FusionPatterns.h for the invariants each rewrite keeps.
#include "passes/FusionPatterns.h"

#include <optional>
#include <unordered_set>

#include "ir/Activation.h"
#include "ir/OpViews.h"

namespace nutshell::passes::fusion {

using ir::Node;
using ir::OpKind;
using ir::TensorData;
using ir::Value;

// ---- helpers ---------------------------------------------------------------------

Node* soleUser(const ir::Graph& graph, const Value* value) {
  if (graph.isOutput(value) || graph.useCount(value) != 1) return nullptr;
  std::vector<Node*> users = graph.users(value);
  return users.size() == 1 ? users.front() : nullptr;
}

namespace {

// Erase nodes whose results nobody uses, then whatever that leaves unused.
// Candidates are nodes (not values) so nothing freed is dereferenced.
void eraseDeadNodes(ir::Graph& graph, std::vector<Node*> candidates) {
  std::unordered_set<const Node*> erased;
  while (!candidates.empty()) {
    Node* node = candidates.back();
    candidates.pop_back();
    if (erased.count(node)) continue;
    bool used = false;
    for (const Value* result : node->results) used = used || graph.useCount(result) > 0;
    if (used) continue;
    for (Value* operand : node->operands)
      if (operand && operand->producer) candidates.push_back(operand->producer);
    erased.insert(node);
    graph.eraseNode(node);
  }
}

}  // namespace

void eraseIfDead(ir::Graph& graph, Value* value) {
  if (value && value->producer) eraseDeadNodes(graph, {value->producer});
}

void renameValue(ir::Graph& graph, Value* value, const std::string& name) {
  value->name = name;
  graph.reindexNames();
}

void replaceChain(ir::Graph& graph, const std::vector<Node*>& chain, Node* replacement) {
  Value* last = chain.back()->result();
  std::string name = last->name;
  graph.replaceAllUsesWith(last, replacement->result());
  std::unordered_set<const Node*> inChain(chain.begin(), chain.end());
  std::vector<Node*> outside;  // producers of operands the chain leaves behind
  for (Node* node : chain)
    for (Value* operand : node->operands)
      if (operand && operand->producer && !inChain.count(operand->producer))
        outside.push_back(operand->producer);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) graph.eraseNode(*it);
  eraseDeadNodes(graph, outside);
  renameValue(graph, replacement->result(), name);
}

Value* insertZeroBias(ir::Graph& graph, Node* position, int64_t k, const std::string& baseName) {
  return graph.insertConstantBefore(position, ir::makeF32({k}, std::vector<float>(size_t(k), 0.0f)),
                                    baseName + "_bias");
}

namespace {

bool isConst(const Value* value) {
  return value && value->producer && value->producer->op == OpKind::Const;
}

/// The activation a conv/dense kernel can apply in its epilogue: an op of
/// the Activation trait (exp is unary but not one).
std::optional<ir::Activation> epilogueActivation(const Node& node) {
  if (!node.info().has(ir::Trait::Activation)) return std::nullopt;
  return ir::activationOf(node);
}

/// When `add` adds to `value` a constant that holds one number per channel
/// (channel axis `channelAxis` of `value`'s type, `k` channels, every other
/// broadcast dim 1), that constant's payload; else null.
const TensorData* perChannelAddend(const Node& add, const Value* value, size_t channelAxis, int64_t k) {
  if (add.op != OpKind::Add || add.operands.size() != 2) return nullptr;
  if (add.result()->type != value->type) return nullptr;  // the add must not broadcast `value` up
  const Value* other = add.operands[0] == value ? add.operands[1] : add.operands[0];
  if (other == value || !isConst(other)) return nullptr;
  const TensorData* data = other->producer->constant.get();
  if (!data || data->type.dtype != ir::DType::F32 || !data->type.isStatic()) return nullptr;
  size_t rank = value->type.rank();
  const auto& dims = data->type.dims;
  if (dims.size() > rank || dims.size() < rank - channelAxis) return nullptr;
  size_t shift = rank - dims.size();  // numpy broadcasting aligns on the right
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t want = i + shift == channelAxis ? k : 1;
    if (dims[i].size != want) return nullptr;
  }
  return data;
}

/// The bias after folding an added per-channel constant into `existing`
/// (null when there was none). Null when both are constants but one has
/// elided values (nothing to add up) or `existing` is not a constant.
ir::TensorDataPtr combineBias(const Value* existing, const TensorData& addend, int64_t k) {
  auto result = std::make_shared<TensorData>();
  result->type = ir::TensorType::f32({k});
  if (!existing) {
    result->elided = addend.elided;
    result->f32 = addend.f32;
    return result;
  }
  if (!isConst(existing)) return nullptr;
  const TensorData* base = existing->producer->constant.get();
  if (!base || base->elided || addend.elided || base->numElements() != k || int64_t(addend.f32.size()) != k)
    return nullptr;
  result->f32 = base->f32;
  for (int64_t i = 0; i < k; ++i) result->f32[size_t(i)] += addend.f32[size_t(i)];
  return result;
}

/// The nodes after a conv or dense that its kernel absorbs.
struct Epilogue {
  std::vector<Node*> chain;  // producer first
  ir::TensorDataPtr bias;    // folded bias, when an add was absorbed
  std::optional<ir::Activation> activation;
  Node* pool = nullptr;
};

/// Walk the single-use chain after `producer`: bias add, activation, and
/// (for convolutions) pooling, each optional, in that order.
Epilogue matchEpilogue(const ir::Graph& graph, Node* producer, size_t channelAxis, int64_t k,
                       bool allowPool) {
  Epilogue e;
  e.chain.push_back(producer);
  Value* current = producer->result();
  Node* next = soleUser(graph, current);
  if (next && next->op == OpKind::Add) {
    const Value* existing = producer->operands.size() > 2 ? producer->operands[2] : nullptr;
    if (const TensorData* addend = perChannelAddend(*next, current, channelAxis, k)) {
      if (ir::TensorDataPtr bias = combineBias(existing, *addend, k)) {
        e.bias = std::move(bias);
        e.chain.push_back(next);
        current = next->result();
        next = soleUser(graph, current);
      }
    }
  }
  if (next && next->results.size() == 1 && next->result()->type == current->type) {
    if (auto activation = epilogueActivation(*next)) {
      e.activation = std::move(activation);
      e.chain.push_back(next);
      current = next->result();
      next = soleUser(graph, current);
    }
  }
  if (allowPool && next) {
    Expected<ir::PoolGeometry> pool = ir::poolGeometry(*next);
    if (pool && ir::fusablePool(*pool)) {
      e.pool = next;
      e.chain.push_back(next);
    }
  }
  return e;
}

void setActivation(ir::AttrMap& attrs, const std::optional<ir::Activation>& activation) {
  if (!activation) return;
  attrs["act"] = std::string(activation->name());
  if (!activation->params().empty()) attrs["act_params"] = activation->params();
}

/// Name of the constant a matched bias add added.
std::string addendName(const Node* producer, const Epilogue& e) {
  const Node* add = e.chain[1];
  return (add->operands[0] == producer->result() ? add->operands[1] : add->operands[0])->name;
}

bool nameInUse(const ir::Graph& graph, const std::string& name) {
  for (const Value* input : graph.inputs)
    if (input->name == name) return true;
  for (const auto& node : graph.nodes())
    for (const Value* result : node->results)
      if (result->name == name) return true;
  return false;
}

/// Replace the matched chain by `fused`; a folded bias constant then takes
/// the name of the constant the add used, when that one died with the add.
void finishRewrite(ir::Graph& graph, const Epilogue& e, Node* fused, const std::string& biasName) {
  Value* bias = e.bias ? fused->operands[2] : nullptr;
  replaceChain(graph, e.chain, fused);
  if (bias && !nameInUse(graph, biasName)) renameValue(graph, bias, biasName);
}

/// The bias operand of the fused node: the folded constant (inserted before
/// `position`), the producer's own bias, or zeros.
Value* biasOperand(ir::Graph& graph, Node* producer, const Epilogue& e, Node* position, int64_t k,
                   bool zeroWhenAbsent) {
  if (e.bias) return graph.insertConstantBefore(position, e.bias, addendName(producer, e) + "_k");
  if (producer->operands.size() > 2) return producer->operands[2];
  if (!zeroWhenAbsent) return nullptr;
  return insertZeroBias(graph, position, k, producer->name());
}

bool fuseConvolution(ir::Graph& graph, Node* conv) {
  const Value* w = conv->operands[1];
  if (conv->result()->type.rank() != 4 || w->type.rank() != 4 || !w->type.dims[0].isStatic()) return false;
  int64_t k = w->type.dims[0].size;
  Epilogue e = matchEpilogue(graph, conv, 1, k, /*allowPool=*/true);
  if (e.chain.size() == 1) return false;  // nothing to fuse; select-conv-algo converts it

  Node* last = e.chain.back();
  ir::AttrMap attrs = conv->attrs;  // strides, pads, dilations, groups: same names
  setActivation(attrs, e.activation);
  if (e.pool) {
    Expected<ir::PoolGeometry> pool = ir::poolGeometry(*e.pool);
    if (!pool) return false;  // matchEpilogue read it; cannot fail
    ir::setFusedPool(attrs, *pool);
  }
  std::string biasName = e.bias ? addendName(conv, e) : "";
  Value* bias = biasOperand(graph, conv, e, last, k, /*zeroWhenAbsent=*/true);
  Node* fused =
      graph.insertNodeBefore(last, OpKind::FusedConv2d, {conv->operands[0], conv->operands[1], bias},
                             {last->result()->type}, std::move(attrs));
  finishRewrite(graph, e, fused, biasName);
  return true;
}

bool fuseDense(ir::Graph& graph, Node* dense) {
  const Value* w = dense->operands[1];
  if (dense->result()->type.rank() != 2 || w->type.rank() != 2 || !w->type.dims[1].isStatic()) return false;
  int64_t n = w->type.dims[1].size;
  Epilogue e = matchEpilogue(graph, dense, 1, n, /*allowPool=*/false);
  if (e.chain.size() == 1) return false;

  Node* last = e.chain.back();
  ir::AttrMap attrs;
  setActivation(attrs, e.activation);
  std::string biasName = e.bias ? addendName(dense, e) : "";
  std::vector<Value*> operands{dense->operands[0], dense->operands[1]};
  if (Value* bias = biasOperand(graph, dense, e, last, n, /*zeroWhenAbsent=*/false)) operands.push_back(bias);
  Node* fused = graph.insertNodeBefore(last, OpKind::FusedDense, std::move(operands), {last->result()->type},
                                       std::move(attrs));
  finishRewrite(graph, e, fused, biasName);
  return true;
}

/// reduce_max -> reshape -> dense matched backwards from the reduction.
bool fuseMaxoutAt(ir::Graph& graph, Node* reduce) {
  if (reduce->op != OpKind::ReduceMax || reduce->getInt("keepdims") != 0) return false;
  const auto& axes = reduce->getInts("axes");
  if (axes != std::vector<int64_t>{2} && axes != std::vector<int64_t>{-1}) return false;
  Node* reshape = reduce->operands[0]->producer;
  if (!reshape || reshape->op != OpKind::Reshape || soleUser(graph, reshape->result()) != reduce)
    return false;
  Node* dense = reshape->operands[0]->producer;
  if (!dense || soleUser(graph, dense->result()) != reshape) return false;
  bool plainDense =
      dense->op == OpKind::Dense || (dense->op == OpKind::FusedDense && dense->getString("act") == "none");
  if (!plainDense) return false;
  // [M, N] viewed as [M, N/p, p] (row-major) and reduced over the last axis:
  // output j is the max of dense outputs j*p .. j*p+p-1, maxout's layout.
  const ir::TensorType& flat = dense->result()->type;
  const ir::TensorType& grouped = reshape->result()->type;
  if (flat.rank() != 2 || grouped.rank() != 3 || !flat.dims[1].isStatic() || !grouped.dims[1].isStatic() ||
      !grouped.dims[2].isStatic() || !(grouped.dims[0] == flat.dims[0]))
    return false;
  int64_t pieces = grouped.dims[2].size;
  if (pieces < 1 || grouped.dims[1].size * pieces != flat.dims[1].size) return false;

  Value* bias = dense->operands.size() > 2 ? dense->operands[2]
                                           : insertZeroBias(graph, reduce, flat.dims[1].size, dense->name());
  Node* maxout =
      graph.insertNodeBefore(reduce, OpKind::Maxout, {dense->operands[0], dense->operands[1], bias},
                             {reduce->result()->type}, {{"pieces", pieces}});
  replaceChain(graph, {dense, reshape, reduce}, maxout);
  return true;
}

/// Apply `rewrite` to every node of kind `op`, in order. Nodes erased by an
/// earlier rewrite are skipped (a rewrite erases only nodes after the one it
/// starts from, or that node itself).
template <class Rewrite>
bool forEachNode(ir::Graph& graph, OpKind op, Rewrite rewrite) {
  std::vector<Node*> candidates;
  for (const auto& node : graph.nodes())
    if (node->op == op) candidates.push_back(node.get());
  bool changed = false;
  std::unordered_set<const Node*> alive;
  for (Node* node : candidates) {
    alive.clear();
    for (const auto& n : graph.nodes()) alive.insert(n.get());
    if (!alive.count(node)) continue;
    changed = rewrite(graph, node) || changed;
  }
  return changed;
}

}  // namespace

Expected<bool> fuseConvolutions(ir::Graph& graph) {
  return forEachNode(graph, OpKind::Conv2d, [](ir::Graph& g, Node* conv) {
    if (conv->result()->type.dtype != ir::DType::F32) return false;
    return fuseConvolution(g, conv);
  });
}

Expected<bool> fuseDenseLayers(ir::Graph& graph) {
  return forEachNode(graph, OpKind::Dense, [](ir::Graph& g, Node* dense) { return fuseDense(g, dense); });
}

Expected<bool> fuseMaxout(ir::Graph& graph) {
  return forEachNode(graph, OpKind::ReduceMax,
                     [](ir::Graph& g, Node* reduce) { return fuseMaxoutAt(g, reduce); });
}

Node* convertToFusedConv(ir::Graph& graph, Node* conv) {
  int64_t k = conv->operands[1]->type.dims[0].size;
  Value* bias = conv->operands.size() > 2 ? conv->operands[2] : insertZeroBias(graph, conv, k, conv->name());
  Node* fused =
      graph.insertNodeBefore(conv, OpKind::FusedConv2d, {conv->operands[0], conv->operands[1], bias},
                             {conv->result()->type}, conv->attrs);
  replaceChain(graph, {conv}, fused);
  return fused;
}

}  // namespace nutshell::passes::fusion
