// Structural and type checks. Every error names the node, its op and the
// shapes involved.
#pragma once

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

/// Checks: operand/result counts, attribute names/kinds/ranges, operands
/// defined before use (topological order), unique value names, operand dtypes,
/// and that each result type equals what the op's shape rule infers.
Status verifyGraph(const Graph& graph);

/// Checks of one node only (no ordering checks).
Status verifyNode(const Node& node);

/// Attribute checks of one node: known names, kinds, required ones present,
/// ranges and allowed strings (part of verifyNode; shape inference runs it
/// first so that rules can read attributes safely).
Status verifyAttributes(const Node& node);

}  // namespace nutshell::ir
