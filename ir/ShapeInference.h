// Shape rules, one per ShapeRule name in ops.def (ir/ShapeRules.cpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/TensorData.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

/// Result types of `node` computed from its operand types and attributes.
/// Symbolic dims propagate where the rule allows; errors name node and shapes.
Expected<std::vector<TensorType>> inferResultTypes(const Node& node);
/// Whether the node's op accepts its operands' element types (bool, i32,
/// i8, u8 and f64 reach only some ops; see ShapeRules.cpp). inferResultTypes
/// checks this first; the importer asks on its own to call a refusal
/// unsupported rather than wrong.
Status checkOperandDTypes(const Node& node);

/// Recompute every node's result types in order (after inputs changed).
Status inferShapes(Graph& graph);

/// Replace symbolic dims of the graph inputs: by input name
/// (`x` -> {1,3,224,224}); any symbol left unbound in an input is an error.
/// Then re-infers all shapes.
Status bindInputShapes(Graph& graph, const std::map<std::string, std::vector<int64_t>>& shapes);
/// Fixes the values of graph inputs at compile time: each named input
/// becomes a `const` with the given payload (its dtype must be the input's,
/// its shape fit the input's dims) and leaves the graph's inputs; then the
/// result types are inferred again, so shape operands read from it fold.
Status bindInputValues(Graph& graph, const std::map<std::string, TensorDataPtr>& values);

/// numpy broadcasting of two shapes; error text names both.
Expected<std::vector<Dim>> broadcastDims(const std::vector<Dim>& a, const std::vector<Dim>& b);

}  // namespace nutshell::ir
