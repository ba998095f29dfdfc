// Small graph-rewriting helpers shared by the clean-up passes.
#pragma once

#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::passes {

/// Values of `value` when a const node with known (not elided) values
/// produces it; null otherwise.
const ir::TensorData* constantPayload(const ir::Value* value);

/// Whether every use of `from` may be redirected to `to` without renaming a
/// graph input or merging two graph outputs: a graph output keeps its name,
/// so `to` must be a node result that is not already an output.
bool canReplace(const ir::Graph& graph, const ir::Value* from, const ir::Value* to);

/// Redirect the uses of each result of `node` to the matching replacement
/// and erase `node`. A replaced graph output keeps its name: the replacement
/// is renamed to it. Precondition: canReplace for every pair.
void replaceNode(ir::Graph& graph, ir::Node* node, const std::vector<ir::Value*>& replacements);

/// Erase the producers of `values` (and, transitively, their operands'
/// producers) that no longer have any use. Used by rewrites that retire
/// weights, so that one pass leaves no garbage behind.
void eraseDeadProducers(ir::Graph& graph, std::vector<ir::Value*> values);

/// Recompute the result types of `node` from its operands and merge them
/// into the current ones dim by dim: an inferred static or named dim wins,
/// an inferred `?` keeps what the graph already knew (a declared N stays N
/// where the rule cannot see through a computed shape). True when a type
/// changed. Errors come from the shape rule.
Expected<bool> refineResultTypes(ir::Node& node);

/// refineResultTypes over the whole graph in topological order.
Expected<bool> refineAllTypes(ir::Graph& graph);

}  // namespace nutshell::passes
