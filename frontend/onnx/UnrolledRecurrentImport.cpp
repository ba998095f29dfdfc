// Converters for GRU and RNN, unrolled over time at import.
//
// nutshell has no gru/rnn op: each direction becomes the straight-line graph
// of its T steps on existing ops. The input projection of every step is one
// matmul up front (X [T,B,I] · Wᵀ [I,G·H] plus the biases that do not depend
// on the state); each step then slices its row block, multiplies the state by
// Rᵀ and applies the gates elementwise (the fuse pass turns those chains into
// fused_elementwise kernels). ONNX semantics: gate order z, r, h for GRU,
// h' = (1 - z) ⊙ ĥ + z ⊙ h; linear_before_reset; activations Sigmoid, Tanh
// or Relu (RNN default Tanh, GRU Sigmoid/Tanh); clip; directions forward,
// reverse, bidirectional; layout 0 ([T,B,I]) and 1 ([B,T,I], transposed in
// and out). T and B must be static (bind them with --input-shape), and
// sequence_lens absent or all equal to T. The graph grows by a dozen nodes
// per step and direction, so very long sequences compile slowly.
#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::AttrMap;
using ir::OpKind;

/// Longest sequence unrolled at import (about a dozen nodes per step).
constexpr int64_t kMaxUnrolledSteps = 4096;

/// What the step graph of one GRU or RNN node needs.
struct Recurrence {
  bool gru = false;
  int64_t T = 0, B = 0, I = 0, H = 0, D = 1;
  bool reverseOnly = false;
  bool linearBeforeReset = false;
  double clip = 0.0;
  /// Per direction: GRU [f, g] (gates z/r, then the candidate), RNN [f].
  std::vector<std::vector<OpKind>> activations;
};

Expected<OpKind> activationOp(const NodeView& node, const std::string& name) {
  if (name == "Sigmoid") return OpKind::Sigmoid;
  if (name == "Tanh") return OpKind::Tanh;
  if (name == "Relu") return OpKind::Relu;
  return node.unsupported(fmt::format("activation '{}' (Sigmoid, Tanh and Relu are supported)", name));
}

/// Adds the nodes of the step graphs, one call per node, handing back its result.
class StepBuilder {
public:
  explicit StepBuilder(const NodeView& node) : node_(node) {}

  Expected<ir::Value*> op(OpKind kind, std::vector<ir::Value*> operands, AttrMap attrs = {},
                          const std::string& name = "") const {
    std::vector<std::string> names;
    if (!name.empty()) names.push_back(name);
    NUTSHELL_ASSIGN(ir::Node * n, node_.add(kind, std::move(operands), std::move(attrs), std::move(names)));
    return n->result();
  }
  /// x[begin:end] along `axis`.
  Expected<ir::Value*> slice(ir::Value* x, int64_t axis, int64_t begin, int64_t end) const {
    return op(OpKind::Slice, {x},
              {{"starts", std::vector<int64_t>{begin}},
               {"ends", std::vector<int64_t>{end}},
               {"axes", std::vector<int64_t>{axis}}});
  }
  /// x[index] along axis 0, that axis dropped.
  Expected<ir::Value*> row(ir::Value* x, int64_t index) const {
    NUTSHELL_ASSIGN(ir::Value * s, slice(x, 0, index, index + 1));
    return op(OpKind::Squeeze, {s}, {{"axes", std::vector<int64_t>{0}}});
  }
  Expected<ir::Value*> transpose(ir::Value* x, std::vector<int64_t> perm,
                                 const std::string& name = "") const {
    return op(OpKind::Transpose, {x}, {{"perm", std::move(perm)}}, name);
  }
  Expected<ir::Value*> activate(OpKind kind, ir::Value* x, double clip) const {
    if (clip > 0.0) {
      NUTSHELL_ASSIGN(x, op(OpKind::Clip, {x}, {{"min", -clip}, {"max", clip}}));
    }
    return op(kind, {x});
  }
  ir::Value* constant(ir::TensorDataPtr data, const std::string& what) const {
    return node_.ctx.graph.addConstant(std::move(data), node_.helperName(what));
  }

private:
  const NodeView& node_;
};

/// One direction's hidden states: [T, B, H] in time order, and the last.
struct DirectionResult {
  ir::Value* states = nullptr;
  ir::Value* last = nullptr;
};

Expected<DirectionResult> runDirection(const StepBuilder& sb, const Recurrence& rc, int64_t d, bool reverse,
                                       ir::Value* x, ir::Value* w, ir::Value* r, ir::Value* bias,
                                       ir::Value* h0) {
  const int64_t G = rc.gru ? 3 : 1, H = rc.H;
  // Input projection for all steps: X · Wᵀ + Wb (+ Rb where it is not gated).
  NUTSHELL_ASSIGN(ir::Value * wd, sb.row(w, d));
  NUTSHELL_ASSIGN(ir::Value * wt, sb.transpose(wd, {1, 0}));
  NUTSHELL_ASSIGN(ir::Value * xw, sb.op(OpKind::MatMul, {x, wt}));
  ir::Value* rbCandidate = nullptr;
  if (bias) {
    NUTSHELL_ASSIGN(ir::Value * bd, sb.row(bias, d));
    NUTSHELL_ASSIGN(ir::Value * wb, sb.slice(bd, 0, 0, G * H));
    NUTSHELL_ASSIGN(ir::Value * rb, sb.slice(bd, 0, G * H, 2 * G * H));
    ir::Value* inputBias = nullptr;
    if (rc.gru && rc.linearBeforeReset) {
      // Rb of the candidate is scaled by r: it stays in the step.
      NUTSHELL_ASSIGN(ir::Value * rbGates, sb.slice(rb, 0, 0, 2 * H));
      NUTSHELL_ASSIGN(rbCandidate, sb.slice(rb, 0, 2 * H, 3 * H));
      ir::Value* zeros = sb.constant(ir::makeF32({H}, std::vector<float>(size_t(H), 0.0f)), "zero_bias");
      NUTSHELL_ASSIGN(ir::Value * rbPart, sb.op(OpKind::Concat, {rbGates, zeros}, {{"axis", int64_t(0)}}));
      NUTSHELL_ASSIGN(inputBias, sb.op(OpKind::Add, {wb, rbPart}));
    } else {
      NUTSHELL_ASSIGN(inputBias, sb.op(OpKind::Add, {wb, rb}));
    }
    NUTSHELL_ASSIGN(xw, sb.op(OpKind::Add, {xw, inputBias}));
  }
  NUTSHELL_ASSIGN(ir::Value * rd, sb.row(r, d));
  NUTSHELL_ASSIGN(ir::Value * rt, sb.transpose(rd, {1, 0}));  // [H, G*H]
  ir::Value* rtGates = rt;
  ir::Value* rtCandidate = nullptr;
  if (rc.gru) {
    NUTSHELL_ASSIGN(rtGates, sb.slice(rt, 1, 0, 2 * H));
    NUTSHELL_ASSIGN(rtCandidate, sb.slice(rt, 1, 2 * H, 3 * H));
  }
  const std::vector<OpKind>& act = rc.activations[size_t(d)];
  ir::Value* h = h0;
  std::vector<ir::Value*> states(size_t(rc.T));
  for (int64_t step = 0; step < rc.T; ++step) {
    const int64_t t = reverse ? rc.T - 1 - step : step;
    NUTSHELL_ASSIGN(ir::Value * xt, sb.row(xw, t));  // [B, G*H]
    if (!rc.gru) {
      NUTSHELL_ASSIGN(ir::Value * hr, sb.op(OpKind::MatMul, {h, rt}));
      NUTSHELL_ASSIGN(ir::Value * pre, sb.op(OpKind::Add, {xt, hr}));
      NUTSHELL_ASSIGN(h, sb.activate(act[0], pre, rc.clip));
    } else {
      NUTSHELL_ASSIGN(ir::Value * xGates, sb.slice(xt, 1, 0, 2 * H));
      NUTSHELL_ASSIGN(ir::Value * xCandidate, sb.slice(xt, 1, 2 * H, 3 * H));
      NUTSHELL_ASSIGN(ir::Value * hr, sb.op(OpKind::MatMul, {h, rtGates}));
      NUTSHELL_ASSIGN(ir::Value * preGates, sb.op(OpKind::Add, {xGates, hr}));
      NUTSHELL_ASSIGN(ir::Value * gates, sb.activate(act[0], preGates, rc.clip));
      NUTSHELL_ASSIGN(ir::Value * z, sb.slice(gates, 1, 0, H));
      NUTSHELL_ASSIGN(ir::Value * reset, sb.slice(gates, 1, H, 2 * H));
      ir::Value* recurrent = nullptr;
      if (rc.linearBeforeReset) {
        NUTSHELL_ASSIGN(ir::Value * hc, sb.op(OpKind::MatMul, {h, rtCandidate}));
        if (rbCandidate) {
          NUTSHELL_ASSIGN(hc, sb.op(OpKind::Add, {hc, rbCandidate}));
        }
        NUTSHELL_ASSIGN(recurrent, sb.op(OpKind::Mul, {reset, hc}));
      } else {
        NUTSHELL_ASSIGN(ir::Value * rh, sb.op(OpKind::Mul, {reset, h}));
        NUTSHELL_ASSIGN(recurrent, sb.op(OpKind::MatMul, {rh, rtCandidate}));
      }
      NUTSHELL_ASSIGN(ir::Value * preCandidate, sb.op(OpKind::Add, {xCandidate, recurrent}));
      NUTSHELL_ASSIGN(ir::Value * candidate, sb.activate(act[1], preCandidate, rc.clip));
      // h' = candidate + z * (h - candidate)
      NUTSHELL_ASSIGN(ir::Value * delta, sb.op(OpKind::Sub, {h, candidate}));
      NUTSHELL_ASSIGN(ir::Value * kept, sb.op(OpKind::Mul, {z, delta}));
      NUTSHELL_ASSIGN(h, sb.op(OpKind::Add, {candidate, kept}));
    }
    NUTSHELL_ASSIGN(states[size_t(t)], sb.op(OpKind::Unsqueeze, {h}, {{"axes", std::vector<int64_t>{0}}}));
  }
  DirectionResult result;
  result.last = h;
  if (rc.T == 1) {
    result.states = states[0];
  } else {
    NUTSHELL_ASSIGN(result.states, sb.op(OpKind::Concat, states, {{"axis", int64_t(0)}}));
  }
  return result;
}

Expected<Recurrence> recurrenceParams(const NodeView& node, const ir::Value* x, const ir::Value* r,
                                      int64_t layout) {
  Recurrence rc;
  rc.gru = node.opType() == "GRU";
  NUTSHELL_ASSIGN(std::string direction, node.stringAttr("direction", "forward"));
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return node.error(fmt::format("unknown direction '{}'", direction));
  rc.D = direction == "bidirectional" ? 2 : 1;
  rc.reverseOnly = direction == "reverse";
  if (node.hasAttr("activation_alpha") || node.hasAttr("activation_beta"))
    return node.unsupported("activation_alpha/activation_beta (Sigmoid, Tanh and Relu take none)");
  NUTSHELL_ASSIGN(std::vector<std::string> names, node.stringsAttr("activations"));
  const size_t perDirection = rc.gru ? 2 : 1;
  if (names.empty()) {
    const std::vector<std::string> defaults =
        rc.gru ? std::vector<std::string>{"Sigmoid", "Tanh"} : std::vector<std::string>{"Tanh"};
    for (int64_t d = 0; d < rc.D; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  }
  if (names.size() != perDirection * size_t(rc.D))
    return node.error(fmt::format("{} activations for {} direction(s); {} needs {} each", names.size(), rc.D,
                                  node.opType(), perDirection));
  for (int64_t d = 0; d < rc.D; ++d) {
    std::vector<OpKind> ops;
    for (size_t k = 0; k < perDirection; ++k) {
      NUTSHELL_ASSIGN(OpKind op, activationOp(node, names[size_t(d) * perDirection + k]));
      ops.push_back(op);
    }
    rc.activations.push_back(ops);
  }
  NUTSHELL_ASSIGN(rc.clip, node.floatAttr("clip", 0.0));
  if (rc.clip < 0.0) return node.error(fmt::format("clip {} must be >= 0", rc.clip));
  if (rc.gru) {
    NUTSHELL_ASSIGN(int64_t lbr, node.intAttr("linear_before_reset", 0));
    rc.linearBeforeReset = lbr != 0;
  }
  if (x->type.rank() != 3) return node.error(fmt::format("X must have rank 3, got {}", x->type.str()));
  const ir::Dim& t = x->type.dims[layout == 0 ? 0 : 1];
  const ir::Dim& b = x->type.dims[layout == 0 ? 1 : 0];
  if (!t.isStatic() || !b.isStatic() || !x->type.dims[2].isStatic())
    return node.error(
        fmt::format("X {} must be static: {} is unrolled over its sequence; bind it with --input-shape",
                    x->type.str(), node.opType()));
  rc.T = t.size, rc.B = b.size, rc.I = x->type.dims[2].size;
  if (rc.T < 1) return node.error(fmt::format("X {} has no time steps", x->type.str()));
  if (rc.T > kMaxUnrolledSteps)
    return node.unsupported(fmt::format("{} time steps (X {}): {} is unrolled at import, at most {} steps",
                                        rc.T, x->type.str(), node.opType(), kMaxUnrolledSteps));
  if (r->type.rank() != 3 || !r->type.dims[2].isStatic())
    return node.error(fmt::format("R must be a static [D, {}H, H], got {}", rc.gru ? 3 : 1, r->type.str()));
  rc.H = r->type.dims[2].size;
  if (node.hasAttr("hidden_size")) {
    NUTSHELL_ASSIGN(int64_t hidden, node.intAttr("hidden_size", 0));
    if (hidden != rc.H)
      return node.error(fmt::format("hidden_size {} does not match R {}", hidden, r->type.str()));
  }
  if (rc.H < 1 || __int128(rc.B) * rc.H * 6 > ir::kMaxElements ||
      __int128(rc.I) * rc.H * 6 > ir::kMaxElements)
    return node.error(fmt::format("hidden size {} with batch {} is out of range", rc.H, rc.B));
  return rc;
}

Status importGruRnn(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(3, 6));
  // Y and Y_h are both optional (torch exports Y_h alone as ["", "Y_h"]).
  if (node.proto.output_size() > 2)
    return node.error(fmt::format("has {} outputs, {} has 2", node.proto.output_size(), node.opType()));
  NUTSHELL_ASSIGN(int64_t layout, node.intAttr("layout", 0));
  if (layout != 0 && layout != 1) return node.error(fmt::format("layout {} must be 0 or 1", layout));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * w, node.input(1));
  NUTSHELL_ASSIGN(ir::Value * r, node.input(2));
  NUTSHELL_ASSIGN(Recurrence rc, recurrenceParams(node, x, r, layout));
  const StepBuilder sb(node);
  if (node.hasInput(4)) {
    ir::TensorDataPtr lens = node.ctx.constantOf(node.inputName(4));
    if (!lens) return node.unsupported("sequence_lens computed at run time (only absent or all equal to T)");
    for (int64_t i = 0; i < lens->numElements(); ++i)
      if (int64_t(lens->at(i)) != rc.T)
        return node.unsupported(
            fmt::format("sequence_lens value {} differs from the sequence length {} (only full-length "
                        "sequences are supported)",
                        int64_t(lens->at(i)), rc.T));
  }
  if (layout == 1) {
    NUTSHELL_ASSIGN(x, sb.transpose(x, {1, 0, 2}));
  }
  ir::Value* bias = nullptr;
  if (node.hasInput(3)) {
    NUTSHELL_ASSIGN(bias, node.input(3));
  }
  ir::Value* h0 = nullptr;
  if (node.hasInput(5)) {
    NUTSHELL_ASSIGN(h0, node.input(5));
    if (layout == 1) {
      NUTSHELL_ASSIGN(h0, sb.transpose(h0, {1, 0, 2}));
    }
  }
  std::vector<ir::Value*> states, lasts;
  for (int64_t d = 0; d < rc.D; ++d) {
    ir::Value* initial = nullptr;
    if (h0) {
      NUTSHELL_ASSIGN(initial, sb.row(h0, d));
    } else {
      initial =
          sb.constant(ir::makeF32({rc.B, rc.H}, std::vector<float>(size_t(rc.B * rc.H), 0.0f)), "zero_state");
    }
    NUTSHELL_ASSIGN(DirectionResult dr,
                    runDirection(sb, rc, d, rc.reverseOnly || d == 1, x, w, r, bias, initial));
    NUTSHELL_ASSIGN(ir::Value * s,
                    sb.op(OpKind::Unsqueeze, {dr.states}, {{"axes", std::vector<int64_t>{1}}}));
    NUTSHELL_ASSIGN(ir::Value * l, sb.op(OpKind::Unsqueeze, {dr.last}, {{"axes", std::vector<int64_t>{0}}}));
    states.push_back(s);
    lasts.push_back(l);
  }
  // Y [T, D, B, H] and Y_h [D, B, H]; layout 1: [B, T, D, H] and [B, D, H].
  auto finish = [&](std::vector<ir::Value*> parts, int64_t axis, std::vector<int64_t> perm,
                    int output) -> Status {
    if (output >= node.proto.output_size() || node.proto.output(output).empty()) return Status::success();
    const std::string& name = node.proto.output(output);
    const bool transposed = layout == 1;
    ir::Value* v = parts[0];
    if (parts.size() > 1 || !transposed) {
      NUTSHELL_ASSIGN(v,
                      sb.op(parts.size() > 1 ? OpKind::Concat : OpKind::Identity, parts,
                            parts.size() > 1 ? AttrMap{{"axis", axis}} : AttrMap{}, transposed ? "" : name));
    }
    if (transposed) {
      NUTSHELL_ASSIGN(v, sb.transpose(v, perm, name));
    }
    node.bindOutput(output, v);
    return Status::success();
  };
  NUTSHELL_TRY(finish(states, 1, {2, 0, 1, 3}, 0));
  NUTSHELL_TRY(finish(lasts, 0, {1, 0, 2}, 1));
  return Status::success();
}

}  // namespace

void addUnrolledRecurrentConverters(ConverterTable& table) {
  table["GRU"] = importGruRnn;
  table["RNN"] = importGruRnn;
}

}  // namespace nutshell::onnx
