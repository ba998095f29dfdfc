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

/// How the interpreter holds a value of `dtype`: floating types (f32, f64) in
/// f32 tensors, integers and bool in i64 tensors, so each kernel is written
/// for f32 and i64 only. Graph inputs convert to this on entry, outputs back
/// to their declared type on exit.
ElementType slotType(ir::DType dtype);
/// A kernel result of declared type `dtype` with its values brought into that
/// type's range (i32, i8 and u8 wrap; bool is 0 or 1), as the type's own
/// arithmetic would have left them; other types come back unchanged.
Tensor narrowToDeclared(Tensor t, ir::DType dtype);

}  // namespace nutshell::reference
