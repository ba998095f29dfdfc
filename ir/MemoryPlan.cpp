#include "ir/MemoryPlan.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace nutshell::ir {

int64_t valueBytes(const TensorType& type) {
  int64_t n = type.numElements();
  if (n < 0) return -1;
  return n * int64_t(elementSize(type.dtype));
}

bool mayWriteInPlace(const Node& node, size_t operandIndex) {
  if (operandIndex >= node.operands.size() || node.results.size() != 1) return false;
  if (!node.info().has(Trait::Elementwise)) return false;
  // Same type as the result: a broadcast operand is smaller, and reading it
  // while overwriting would mix indices.
  return node.operands[operandIndex] && node.operands[operandIndex]->type == node.result()->type;
}

Status checkDestWrite(const Graph& graph, const Node& node) {
  const Value* dest = node.operands[3];
  std::string prefix = fmt::format("node '{}' (fused_conv2d) writes into %{}", node.name(), dest->name);
  if (!dest->producer || dest->producer->op == OpKind::Const)
    return makeError(prefix + ", which is not a node result");
  if (graph.isOutput(dest))
    return makeError(fmt::format("{} in place, but %{} is a graph output", prefix, dest->name));
  if (graph.useCount(dest) != 1)
    return makeError(fmt::format("{} in place, but %{} has other uses", prefix, dest->name));
  return Status::success();
}

namespace {

std::string valueRef(const Value* v) {
  return "%" + v->name;
}

/// Position of each node and last use of each value, in topological order.
struct Liveness {
  std::unordered_map<const Node*, int> position;
  std::unordered_map<const Value*, int> lastUse;

  explicit Liveness(const Graph& graph) {
    int i = 0;
    for (const auto& node : graph.nodes()) {
      position[node.get()] = i;
      for (const Value* result : node->results) lastUse[result] = i;
      for (const Value* operand : node->operands)
        if (operand) lastUse[operand] = i;
      ++i;
    }
  }
  int def(const Value* v) const { return v->producer ? position.at(v->producer) : -1; }
};

/// Values whose dest chain ends in a graph output (they live in the output).
std::unordered_set<const Value*> outputChains(const Graph& graph) {
  std::unordered_set<const Value*> inOutput;
  for (const Value* out : graph.outputs) {
    // Walk back from the output through dest operands.
    const Value* v = out;
    while (v && !inOutput.count(v)) {
      inOutput.insert(v);
      v = (v->producer && writesIntoDest(*v->producer)) ? v->producer->operands[3] : nullptr;
    }
  }
  return inOutput;
}

}  // namespace

Status verifyMemoryPlan(const Graph& graph) {
  if (graph.arenaBytes < 0) return makeError("graph has no memory plan (arena size -1)");
  Liveness live(graph);
  auto inOutput = outputChains(graph);

  for (const Value* input : graph.inputs)
    if (input->arenaOffset != -1)
      return makeError(fmt::format("graph input {} must not be in the arena (offset {})", valueRef(input),
                                   input->arenaOffset));

  // Arena values, with their placement checked one by one.
  struct Slot {
    const Value* value;
    int64_t begin, end;  // bytes
    int def, last;       // node positions
  };
  std::vector<Slot> slots;
  for (const auto& node : graph.nodes()) {
    if (writesIntoDest(*node)) {
      const Value* dest = node->operands[3];
      NUTSHELL_TRY(checkDestWrite(graph, *node));
      if (dest->arenaOffset != node->result()->arenaOffset)
        return makeError(
            fmt::format("node '{}' (fused_conv2d) writes into dest {} at offset {} but its result is "
                        "planned at offset {}",
                        node->name(), valueRef(dest), dest->arenaOffset, node->result()->arenaOffset));
    }
    for (const Value* result : node->results) {
      bool outside = node->op == OpKind::Const || inOutput.count(result);
      if (outside) {
        if (result->arenaOffset != -1)
          return makeError(fmt::format("{} ({}) lives outside the arena but has offset {}", valueRef(result),
                                       node->op == OpKind::Const ? "constant" : "graph output",
                                       result->arenaOffset));
        continue;
      }
      int64_t bytes = valueBytes(result->type);
      if (bytes < 0)
        return makeError(fmt::format("{} has non-static type {}", valueRef(result), result->type.str()));
      if (result->arenaOffset < 0) return makeError(fmt::format("{} is not planned", valueRef(result)));
      if (result->arenaOffset % kArenaAlignment != 0)
        return makeError(fmt::format("{} has offset {}, not a multiple of {}", valueRef(result),
                                     result->arenaOffset, kArenaAlignment));
      if (result->arenaOffset + bytes > graph.arenaBytes)
        return makeError(fmt::format("{} ({} bytes at {}) ends past the arena ({} bytes)", valueRef(result),
                                     bytes, result->arenaOffset, graph.arenaBytes));
      slots.push_back({result, result->arenaOffset, result->arenaOffset + bytes, live.def(result),
                       live.lastUse.at(result)});
    }
  }

  // Pairs live at the same time must not overlap, unless the later one is
  // written over the earlier one at the node where the earlier one dies.
  auto sharesLegally = [&](const Slot& a, const Slot& b) {
    // a is defined no later than b.
    if (a.last != b.def || a.begin != b.begin || a.end != b.end) return false;
    const Node* producer = b.value->producer;
    if (writesIntoDest(*producer) && producer->operands[3] == a.value) return true;
    for (size_t i = 0; i < producer->operands.size(); ++i)
      if (producer->operands[i] == a.value && mayWriteInPlace(*producer, i)) return true;
    return false;
  };
  std::sort(slots.begin(), slots.end(), [](const Slot& x, const Slot& y) { return x.def < y.def; });
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& a = slots[i];
    for (size_t j = i + 1; j < slots.size() && slots[j].def <= a.last; ++j) {
      const Slot& b = slots[j];
      bool bytesOverlap = a.begin < b.end && b.begin < a.end;
      if (!bytesOverlap || sharesLegally(a, b)) continue;
      return makeError(
          fmt::format("{} [{}, {}) and {} [{}, {}) overlap while both are live (nodes {}..{} and {}..{})",
                      valueRef(a.value), a.begin, a.end, valueRef(b.value), b.begin, b.end, a.def, a.last,
                      b.def, b.last));
    }
  }
  return Status::success();
}

}  // namespace nutshell::ir
