// The rewrites of the fuse pass (passes/Fuse.cpp runs them in order) and the
// small graph helpers they share with select-conv-algo.
//
// Every rewrite keeps the graph valid: the fused node is inserted just before
// the last node of the matched chain (all its operands are defined there),
// takes over the last value's uses and name (so graph outputs and dumps keep
// their names), and the chain's nodes are erased last-first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::passes::fusion {

/// The one node that uses `value`, when it has exactly one use and is not a
/// graph output; null otherwise. Fusion never hides a value anyone else reads.
ir::Node* soleUser(const ir::Graph& graph, const ir::Value* value);

/// Make `replacement` stand for `chain.back()`'s result: every use moves to
/// it, the chain's nodes are erased (last first), operands they leave unused
/// are erased too (all ops are pure), and the replacement's result takes the
/// last value's name.
void replaceChain(ir::Graph& graph, const std::vector<ir::Node*>& chain, ir::Node* replacement);

/// Erase the producer of `value` (and, recursively, of its operands) when
/// nothing uses it any more.
void eraseIfDead(ir::Graph& graph, ir::Value* value);

/// Give `value` the name `name` (which must be free) and refresh the name table.
void renameValue(ir::Graph& graph, ir::Value* value, const std::string& name);

/// A const f32[k] of zeros inserted before `position` (the bias operand that
/// fused_conv2d and maxout always carry).
ir::Value* insertZeroBias(ir::Graph& graph, ir::Node* position, int64_t k, const std::string& baseName);

/// conv2d (+ bias add) (+ activation) (+ pool) -> fused_conv2d.
Expected<bool> fuseConvolutions(ir::Graph& graph);
/// dense (+ bias add) (+ activation) -> fused_dense.
Expected<bool> fuseDenseLayers(ir::Graph& graph);
/// dense -> reshape [M,N/p,p] -> reduce_max(last axis) -> maxout{pieces=p}.
Expected<bool> fuseMaxout(ir::Graph& graph);
/// Chains of >= 2 single-use f32 elementwise nodes -> fused_elementwise.
Expected<bool> fuseElementwiseChains(ir::Graph& graph);
/// concat(axis=1) of single-use fused_conv2d results -> destination-writing
/// chain into an `empty` buffer.
Expected<bool> eliminateConcats(ir::Graph& graph);

/// A conv2d node turned into fused_conv2d with act none (same operands, a
/// zero bias when it had none); returns the new node. Used by
/// select-conv-algo so every convolution carries `algo`.
ir::Node* convertToFusedConv(ir::Graph& graph, ir::Node* conv);

}  // namespace nutshell::passes::fusion
