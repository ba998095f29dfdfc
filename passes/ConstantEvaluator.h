// A small evaluator for the ops fold-constants folds: the ONNX shape
// sub-graph ops, elementwise ops, and layout ops on constant tensors. It is
// private to passes/ (passes may not depend on backends); its arithmetic
// matches the reference interpreter (unary functions in double, rounded
// once; i64 wraps around; i64 division truncates).
#pragma once

#include <optional>
#include <vector>

#include "ir/Graph.h"

namespace nutshell::passes {

/// Results of `node` for the given constant operand payloads, or nullopt
/// when the op (or this case of it: an i64 division by zero, an index out
/// of range, a non-static result type) is not folded. Never an error: an
/// unfolded node is left for the verifier or the backend to report.
std::optional<std::vector<ir::TensorDataPtr>> evaluateConstantNode(const ir::Node& node,
                                                                   const std::vector<const ir::TensorData*>& operands);

/// Whether evaluateConstantNode handles `op` at all.
bool isFoldableOp(ir::OpKind op);

}  // namespace nutshell::passes
