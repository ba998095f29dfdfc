// What plan-memory decides and what its checker asserts, shared by the pass,
// --verify-each and the tests.
//
// The arena holds every intermediate value: results of nodes other than
// `const`, except graph outputs (the caller's buffers). Graph inputs and
// constants live outside the arena too. Each arena value occupies
// [arenaOffset, arenaOffset + bytes) from the node that defines it through its
// last use, in topological order, both ends inclusive.
//
// Sharing storage is allowed in exactly two cases:
//  - in place: a node with the Elementwise trait writes its result over an
//    operand that dies at that node and has the same type;
//  - destination writes: fused_conv2d(x, w, b, dest) writes into dest's
//    buffer, so its result MUST have dest's offset. Chains (empty -> conv ->
//    conv ...) thus share one buffer. When the last value of such a chain is a
//    graph output, the whole chain lives in that output buffer and every
//    member keeps arenaOffset -1.
#pragma once

#include <cstdint>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

/// Arena offsets and sizes are rounded to this (cache line, AVX-512 vector).
inline constexpr int64_t kArenaAlignment = 64;

/// Bytes of a value of `type`, or -1 when the type is not static.
int64_t valueBytes(const TensorType& type);

/// True when `node` may write its result into the buffer of operand
/// `operandIndex` (the operand must still die at the node; the planner checks).
bool mayWriteInPlace(const Node& node, size_t operandIndex);

/// True for fused_conv2d with a `dest` operand (operand 3).
inline bool writesIntoDest(const Node& node) {
  return node.op == OpKind::FusedConv2d && node.operands.size() == 4;
}

/// Whether fused_conv2d `node` may write into its dest in place, as it must:
/// dest is a node result other than a constant, used only by this node, and
/// not a graph output (the caller would see it overwritten). Errors name the
/// node and dest.
Status checkDestWrite(const Graph& graph, const Node& node);

/// Plans the arena (ir/MemoryPlanner.cpp): sets every arena value's offset
/// and graph.arenaBytes; returns whether anything changed. A graph with
/// symbolic dims is left unplanned (arena -1). Errors: a dest that cannot be
/// written in place (checkDestWrite).
Expected<bool> planMemory(Graph& graph);

/// Checks a planned graph (arenaBytes >= 0): offsets aligned and inside the
/// arena, outside values unplanned, every arena value planned, dest chains
/// sharing storage, and no two values live at the same time overlapping
/// unless one legally writes over the other. Errors name both values.
Status verifyMemoryPlan(const Graph& graph);

}  // namespace nutshell::ir
