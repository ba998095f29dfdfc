// The memory planner (ir::planMemory; the plan-memory pass runs it, and so do
// backends for graphs they bind shapes of): give every intermediate value a
// byte offset in one arena.
//
// 1. Liveness: each value lives from the position of its defining node to
//    its last use, in the current topological order (both ends inclusive).
// 2. Storage groups (union-find): a fused_conv2d with a `dest` operand joins
//    its result to dest (it writes in place; mandatory), and an elementwise
//    node joins its result to an operand of the same type that dies at that
//    node and is itself in the arena (in place; optional, saves a buffer).
//    A group lives from its first definition to its last use.
// 3. Groups that contain a graph output live in the caller's output buffer:
//    every member keeps arenaOffset -1 (for a concat-elimination chain
//    empty -> fused_conv2d... ending in an output, the whole chain does).
// 4. Placement: groups by decreasing size (ties: earlier first), each at the
//    lowest 64-byte aligned offset that does not overlap a placed group with
//    an intersecting lifetime (greedy by size, first fit).
// Graph::arenaBytes is the peak; verifyMemoryPlan checks the result.
// A graph with symbolic dims is left unplanned (arena -1, no change): sizes
// are unknown until input shapes are bound.
#include <algorithm>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/MemoryPlan.h"

namespace nutshell::ir {
namespace {

int64_t alignUp(int64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int i) {
    while (parent[size_t(i)] != i) i = parent[size_t(i)] = parent[size_t(parent[size_t(i)])];
    return i;
  }
  void unite(int a, int b) { parent[size_t(find(a))] = find(b); }
};

Expected<bool> leaveUnplanned(Graph& graph) {
  bool changed = graph.arenaBytes != -1;
  graph.arenaBytes = -1;
  for (const auto& node : graph.nodes())
    for (Value* result : node->results) {
      changed = changed || result->arenaOffset != -1;
      result->arenaOffset = -1;
    }
  return changed;
}

}  // namespace

Expected<bool> planMemory(Graph& graph) {
  // Every node result except constants is a candidate; index them.
  std::vector<Value*> values;
  std::unordered_map<const Value*, int> index;
  std::unordered_map<const Node*, int> position;
  int pos = 0;
  for (const auto& node : graph.nodes()) {
    position[node.get()] = pos++;
    if (node->op == OpKind::Const) continue;
    for (Value* result : node->results) {
      if (valueBytes(result->type) < 0) return leaveUnplanned(graph);
      index[result] = int(values.size());
      values.push_back(result);
    }
  }
  std::vector<int> def(values.size()), last(values.size());
  for (size_t i = 0; i < values.size(); ++i) def[i] = last[i] = position.at(values[i]->producer);
  for (const auto& node : graph.nodes())
    for (const Value* operand : node->operands) {
      auto it = index.find(operand);
      if (it != index.end())
        last[size_t(it->second)] = std::max(last[size_t(it->second)], position.at(node.get()));
    }

  UnionFind groups(values.size());
  std::vector<bool> inOutput(values.size(), false);
  for (const Value* out : graph.outputs) {
    auto it = index.find(out);
    if (it != index.end()) inOutput[size_t(it->second)] = true;
  }
  // Destination writes first: they are mandatory.
  for (const auto& node : graph.nodes()) {
    if (!writesIntoDest(*node)) continue;
    NUTSHELL_TRY(checkDestWrite(graph, *node));
    groups.unite(index.at(node->result()), index.at(node->operands[3]));
  }
  std::vector<bool> rootInOutput(values.size(), false);
  for (size_t i = 0; i < values.size(); ++i)
    if (inOutput[i]) rootInOutput[size_t(groups.find(int(i)))] = true;

  // In place, in topological order so chains (relu -> sigmoid -> ...) join.
  for (const auto& node : graph.nodes()) {
    if (node->results.size() != 1 || !index.count(node->result())) continue;
    int r = index.at(node->result());
    if (rootInOutput[size_t(groups.find(r))] || groups.find(r) != r) continue;
    for (size_t k = 0; k < node->operands.size(); ++k) {
      auto it = index.find(node->operands[k]);
      if (it == index.end() || !mayWriteInPlace(*node, k)) continue;
      int a = it->second;
      if (last[size_t(a)] != position.at(node.get()) || rootInOutput[size_t(groups.find(a))]) continue;
      // The operand's group must end here too (true when the operand is
      // the group's latest member, which dies here).
      groups.unite(r, a);
      break;
    }
  }

  // Group extents.
  struct Group {
    int first = 1 << 30, last = -1;
    int64_t bytes = 0;
    int64_t offset = -1;
    bool output = false;
  };
  std::unordered_map<int, Group> extents;
  for (size_t i = 0; i < values.size(); ++i) {
    Group& g = extents[groups.find(int(i))];
    g.first = std::min(g.first, def[i]);
    g.last = std::max(g.last, last[i]);
    g.bytes = std::max(g.bytes, alignUp(valueBytes(values[i]->type)));
    g.output = g.output || inOutput[i];
  }
  std::vector<Group*> order;
  for (auto& [root, g] : extents)
    if (!g.output) order.push_back(&g);
  std::sort(order.begin(), order.end(), [](const Group* a, const Group* b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes : a->first < b->first;
  });
  int64_t arena = 0;
  std::vector<const Group*> placed;
  for (Group* g : order) {
    // Intervals of already placed groups that are live at the same time,
    // sorted by offset; take the first gap that fits.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Group* p : placed)
      if (p->first <= g->last && g->first <= p->last) busy.emplace_back(p->offset, p->offset + p->bytes);
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + g->bytes <= begin) break;
      offset = std::max(offset, end);
    }
    g->offset = offset;
    arena = std::max(arena, offset + g->bytes);
    placed.push_back(g);
  }

  bool changed = graph.arenaBytes != arena;
  for (size_t i = 0; i < values.size(); ++i) {
    const Group& g = extents.at(groups.find(int(i)));
    int64_t offset = g.output ? -1 : g.offset;
    changed = changed || values[i]->arenaOffset != offset;
    values[i]->arenaOffset = offset;
  }
  graph.arenaBytes = arena;
  return changed;
}

}  // namespace nutshell::ir
