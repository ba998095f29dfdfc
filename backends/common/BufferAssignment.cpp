#include "backends/common/BufferAssignment.h"

#include "ir/MemoryPlan.h"

namespace nutshell::common {

bool BufferAssignment::sameBuffer(const ir::Value* a, const ir::Value* b) const {
  const BufferLocation& x = at(a);
  const BufferLocation& y = at(b);
  if (x.kind != y.kind) return false;
  switch (x.kind) {
    case BufferLocation::Input:
    case BufferLocation::Output: return x.index == y.index;
    case BufferLocation::Arena: return x.offset == y.offset;
    case BufferLocation::Constant: return a == b;
  }
  return false;
}

Expected<BufferAssignment> assignBuffers(const ir::Graph& graph) {
  if (graph.arenaBytes < 0) return makeError("the graph has no memory plan; run plan-memory first");
  Status plan = ir::verifyMemoryPlan(graph);
  if (!plan)
    return makeError("the graph's memory plan is invalid (" + plan.message() +
                     "); run plan-memory again or remove the @arena offsets");

  BufferAssignment a;
  a.workspaceBytes = (graph.arenaBytes + ir::kArenaAlignment - 1) / ir::kArenaAlignment * ir::kArenaAlignment;
  for (size_t i = 0; i < graph.inputs.size(); ++i)
    a.locations[graph.inputs[i]] = {BufferLocation::Input, int64_t(i), 0};
  for (const auto& node : graph.nodes())
    for (const ir::Value* v : node->results)
      if (node->op == ir::OpKind::Const)
        a.locations[v] = {BufferLocation::Constant, 0, 0};
      else if (v->arenaOffset >= 0)
        a.locations[v] = {BufferLocation::Arena, 0, v->arenaOffset};
  // Outputs, and the dest chains ending in them (plan-memory leaves their
  // members outside the arena: they are written in the output buffer).
  for (size_t j = 0; j < graph.outputs.size(); ++j) {
    const ir::Value* out = graph.outputs[j];
    if (a.locations.count(out)) {
      a.outputCopies.push_back({out, j});
      continue;
    }
    for (const ir::Value* v = out; v;
         v = v->producer && ir::writesIntoDest(*v->producer) ? v->producer->operands[3] : nullptr)
      a.locations[v] = {BufferLocation::Output, int64_t(j), 0};
  }
  for (const auto& node : graph.nodes())
    for (const ir::Value* v : node->results)
      if (!a.locations.count(v))
        return makeError("the memory plan leaves %" + v->name +
                         " outside the arena, but it is not a graph output");
  return a;
}

Expected<const ir::Graph*> withMemoryPlan(const ir::Graph& graph, std::unique_ptr<ir::Graph>& storage) {
  if (graph.arenaBytes >= 0) return &graph;
  storage = graph.clone();
  NUTSHELL_TRY(ir::planMemory(*storage));
  if (storage->arenaBytes < 0)
    return makeError("cannot plan memory: the graph has symbolic dims; bind the input shapes first");
  return static_cast<const ir::Graph*>(storage.get());
}

}  // namespace nutshell::common
