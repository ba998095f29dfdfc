// Shape rules, one per ShapeRule name in ops.def (ir/ShapeRules.cpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

/// Result types of `node` computed from its operand types and attributes.
/// Symbolic dims propagate where the rule allows; errors name node and shapes.
Expected<std::vector<TensorType>> inferResultTypes(const Node& node);

/// Recompute every node's result types in order (after inputs changed).
Status inferShapes(Graph& graph);

/// Replace symbolic dims of the graph inputs: by input name
/// (`x` -> {1,3,224,224}); any symbol left unbound in an input is an error.
/// Then re-infers all shapes.
Status bindInputShapes(Graph& graph, const std::map<std::string, std::vector<int64_t>>& shapes);

/// numpy broadcasting of two shapes; error text names both.
Expected<std::vector<Dim>> broadcastDims(const std::vector<Dim>& a, const std::vector<Dim>& b);

}  // namespace nutshell::ir
