// Concat elimination (part of the fuse pass, after the convolution fusions).
//
// concat(axis=1) whose inputs are all single-use fused_conv2d results becomes
//   %buf = empty : <concat type>
//   %a = fused_conv2d(x1, w1, b1, %buf) {dest_offset=0}   : <concat type>
//   %b = fused_conv2d(x2, w2, b2, %a)   {dest_offset=K1}  : <concat type>
//   ...
// and the last one replaces the concat. Each branch writes its channels
// straight into its slice of the buffer, so the branch outputs are never
// stored separately and never copied. The chain follows the graph's
// topological order, which adds only edges from earlier to later nodes; the
// buffer is created just before the first branch.
#include <algorithm>
#include <unordered_map>

#include "passes/FusionPatterns.h"

namespace nutshell::passes::fusion {

using ir::Node;
using ir::OpKind;
using ir::Value;

namespace {

bool eliminateConcat(ir::Graph& graph, Node* concat,
                     const std::unordered_map<const Node*, size_t>& position) {
  const ir::TensorType& type = concat->result()->type;
  if (type.rank() != 4 || !type.isStatic() || type.dtype != ir::DType::F32) return false;
  int64_t axis = concat->getInt("axis");
  if (axis != 1 && axis != -3) return false;
  std::vector<std::pair<Node*, int64_t>> branches;  // node, channel offset
  int64_t offset = 0;
  for (Value* operand : concat->operands) {
    Node* branch = operand->producer;
    // A branch already writing into another buffer, or read by anyone else,
    // must keep its own output.
    if (!branch || branch->op != OpKind::FusedConv2d || branch->operands.size() != 3 ||
        soleUser(graph, operand) != concat || !operand->type.isStatic())
      return false;
    branches.emplace_back(branch, offset);
    offset += operand->type.dims[1].size;
  }
  if (branches.size() < 2 || offset != type.dims[1].size) return false;
  std::sort(branches.begin(), branches.end(),
            [&](const auto& a, const auto& b) { return position.at(a.first) < position.at(b.first); });

  Node* buffer = graph.insertNodeBefore(branches.front().first, OpKind::Empty, {}, {type}, {},
                                        {concat->name() + "_buf"});
  Value* previous = buffer->result();
  for (auto& [branch, channelOffset] : branches) {
    branch->operands.push_back(previous);
    branch->setAttr("dest_offset", channelOffset);
    branch->result()->type = type;
    previous = branch->result();
  }
  replaceChain(graph, {concat}, previous->producer);
  return true;
}

}  // namespace

Expected<bool> eliminateConcats(ir::Graph& graph) {
  std::vector<Node*> concats;
  for (const auto& node : graph.nodes())
    if (node->op == OpKind::Concat) concats.push_back(node.get());
  bool changed = false;
  for (Node* concat : concats) {
    // Positions change as buffers are inserted and concats erased.
    std::unordered_map<const Node*, size_t> position;
    for (size_t i = 0; i < graph.nodes().size(); ++i) position[graph.nodes()[i].get()] = i;
    if (eliminateConcat(graph, concat, position)) changed = true;
  }
  if (changed) NUTSHELL_TRY(graph.sortTopologically());
  return changed;
}

}  // namespace nutshell::passes::fusion
