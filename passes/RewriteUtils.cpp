#include "passes/RewriteUtils.h"

#include <string>
#include <utility>

#include "ir/ShapeInference.h"

namespace nutshell::passes {

const ir::TensorData* constantPayload(const ir::Value* value) {
  if (!value || !value->producer || value->producer->op != ir::OpKind::Const) return nullptr;
  const ir::TensorData* data = value->producer->constant.get();
  return data && !data->elided ? data : nullptr;
}

bool canReplace(const ir::Graph& graph, const ir::Value* from, const ir::Value* to) {
  if (from == to) return false;
  if (!graph.isOutput(from)) return true;
  return to->producer != nullptr && !graph.isOutput(to);
}

void replaceNode(ir::Graph& graph, ir::Node* node, const std::vector<ir::Value*>& replacements) {
  std::vector<std::pair<ir::Value*, std::string>> renames;
  for (size_t i = 0; i < node->results.size(); ++i) {
    ir::Value* from = node->results[i];
    ir::Value* to = replacements[i];
    if (graph.isOutput(from)) renames.emplace_back(to, from->name);
    graph.replaceAllUsesWith(from, to);
  }
  graph.eraseNode(node);  // frees the names
  if (renames.empty()) return;
  for (auto& [value, name] : renames) value->name = name;
  graph.reindexNames();
}

void eraseDeadProducers(ir::Graph& graph, std::vector<ir::Value*> values) {
  while (!values.empty()) {
    ir::Value* value = values.back();
    values.pop_back();
    ir::Node* producer = value->producer;
    if (!producer) continue;
    bool used = false;
    for (ir::Value* result : producer->results) used = used || graph.useCount(result) > 0;
    if (used) continue;
    for (ir::Value* operand : producer->operands)
      if (operand) values.push_back(operand);
    // The same producer may be queued twice (two results, or an operand used
    // twice); drop later entries pointing into it before erasing.
    std::erase_if(values, [&](ir::Value* v) { return v->producer == producer; });
    graph.eraseNode(producer);
  }
}

namespace {
bool isUnknownDim(const ir::Dim& d) { return !d.isStatic() && (d.symbol.empty() || d.symbol == "?"); }
}  // namespace

Expected<bool> refineResultTypes(ir::Node& node) {
  NUTSHELL_ASSIGN(std::vector<ir::TensorType> inferred, ir::inferResultTypes(node));
  bool changed = false;
  for (size_t i = 0; i < node.results.size() && i < inferred.size(); ++i) {
    ir::TensorType& current = node.results[i]->type;
    ir::TensorType merged = inferred[i];
    if (merged.rank() == current.rank() && merged.dtype == current.dtype)
      for (size_t d = 0; d < merged.rank(); ++d)
        if (isUnknownDim(merged.dims[d])) merged.dims[d] = current.dims[d];
    if (!(merged == current)) {
      current = std::move(merged);
      changed = true;
    }
  }
  return changed;
}

Expected<bool> refineAllTypes(ir::Graph& graph) {
  bool changed = false;
  for (const auto& node : graph.nodes()) {
    NUTSHELL_ASSIGN(bool nodeChanged, refineResultTypes(*node));
    changed = changed || nodeChanged;
  }
  return changed;
}

}  // namespace nutshell::passes
