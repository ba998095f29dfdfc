// Constant folding's evaluator: runs one node on constant payloads with the
// reference interpreter's kernel for its op, as XLA folds with its
// evaluator. The folded value is then exactly what the oracle computes, and
// a new op folds once it is marked Foldable in ir/ops.def: no second
// implementation to keep in step.
#pragma once

#include <optional>
#include <vector>

#include "ir/Graph.h"

namespace nutshell::passes {

/// Results of `node` for the given constant operand payloads, or nullopt
/// when the op is not Foldable or the reference kernel refuses this case (an
/// i64 division by zero, an index out of range, ...). Never an error: an
/// unfolded node is left for the verifier or the backend to report.
std::optional<std::vector<ir::TensorDataPtr>> evaluateConstantNode(const ir::Node& node,
                                                                   const std::vector<const ir::TensorData*>& operands);

}  // namespace nutshell::passes
