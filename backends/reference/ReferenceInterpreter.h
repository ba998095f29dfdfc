// The reference interpreter: plain C++ loops for every op in ops.def, double
// accumulation where it matters. The oracle every other backend, pass and
// algorithm is tested against.
#pragma once

#include <memory>
#include <vector>

#include "backends/Backend.h"

namespace nutshell::reference {

/// Run `graph` on named inputs; returns the graph outputs by value name.
/// Errors: missing/extra inputs, wrong dtype or shape (binding symbolic dims),
/// elided constants, and op-level failures, each naming the node.
Expected<TensorMap> runGraph(const ir::Graph& graph, const TensorMap& inputs);

/// Evaluate one node on concrete operand tensors (used by runGraph).
Expected<std::vector<Tensor>> evaluateNode(const ir::Node& node, const std::vector<const Tensor*>& operands);

/// The Backend wrapper ("reference").
std::unique_ptr<Backend> createReferenceBackend();

}  // namespace nutshell::reference
