// Activations and elementwise chains as typed values of the IR.
//
// An activation is the kind of a unary op (relu, leaky_relu, sigmoid, tanh,
// clip, exp, hard_sigmoid, elu, ...) plus its parameters, or none. The
// parameters are the op's float attributes in ops.def order (leaky_relu
// alpha; clip min, max; hard_sigmoid alpha, beta; elu alpha; selu alpha,
// gamma), so an op with parameters needs nothing here but its ATTR rows. In text it is still the op's name
// in an attribute (fused_conv2d's `act`, fused_elementwise's `steps`) with
// the parameters beside it (`act_params`, `params`); this file is the one
// place that text is read and written, so kernels switch over OpKind and an
// unknown name is an error here, never a silent identity in a backend.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

struct Activation {
  OpKind op = OpKind::Identity;  // Identity: none
  double p0 = 0.0, p1 = 0.0;  // the op's float attributes in table order (leaky_relu: alpha; clip: min, max)

  bool isNone() const { return op == OpKind::Identity; }
  /// "none" or the op's name, as in the `act` attribute.
  std::string_view name() const;
  /// The `act_params` that print this activation: one entry per float
  /// attribute of the op ([alpha], [min, max], [alpha, beta]) or [].
  std::vector<double> params() const;
};

/// The activation named `name` ("none" or a unary op) with `params` as
/// act_params gives them: [] (the table's defaults: leaky_relu alpha 0.01,
/// clip unbounded, ...) or one value per float attribute of the op (leaky_relu
/// [alpha], clip [min, max], hard_sigmoid [alpha, beta]). Errors name what is
/// allowed.
Expected<Activation> activationNamed(std::string_view name, const std::vector<double>& params);

/// The epilogue of a fused op (`act` and `act_params`); none for ops
/// without an `act` attribute.
Expected<Activation> fusedActivation(const Node& node);

/// A unary op node as an activation (relu, leaky_relu with its alpha, clip
/// with its bounds, hard_sigmoid with alpha and beta, ...); nullopt for other
/// ops.
std::optional<Activation> activationOf(const Node& node);

/// One step of an elementwise chain: a binary op (add, sub, mul, div) that
/// takes the next operand, or an activation applied to the accumulator.
struct ChainStep {
  OpKind op = OpKind::Identity;
  Activation act;  // for unary steps

  bool isBinary() const { return opInfo(op).has(Trait::Binary); }
};

/// Whether `name` is a step of fused_elementwise (a binary or unary
/// elementwise op), and all of them as "add|sub|...", from the op table.
bool isChainStepName(std::string_view name);
std::string chainStepNames();

/// The steps of fused_elementwise (`steps`, `params`: 2 values per step),
/// or of a plain binary or unary elementwise node as one step; checks that
/// the binary steps match the operands.
Expected<std::vector<ChainStep>> chainSteps(const Node& node);

}  // namespace nutshell::ir
