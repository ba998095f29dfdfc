// Converter for LSTM. nutshell's `lstm` always takes B, initial_h and
// initial_c, so absent optional inputs become zeros here. Supported: the
// default activations, sequence_lens absent or all equal to T; layout 1
// (batch-major) is transposed to the lstm's sequence-major form and back.
#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::OpKind;

/// Largest zero tensor the importer materialises as a constant.
constexpr int64_t kMaxInlineZeros = int64_t(1) << 22;

/// Zeros of shape [D, batch, H] for an absent initial state: a constant when
/// the batch is static, else constant_of_shape over the batch taken from X
/// (the same sub-graph exporters write; it folds once shapes are bound).
Expected<ir::Value*> zeroState(const NodeView& node, ir::Value* x, int64_t directions, int64_t hidden) {
  const ir::Dim& batch = x->type.dims[1];
  // Small static states are constants; large or symbolic ones are computed
  // (no import-time allocation sized by a declared dim).
  if (batch.isStatic() && batch.size <= kMaxInlineZeros / (directions * hidden)) {
    int64_t count = directions * batch.size * hidden;
    return node.ctx.graph.addConstant(
        ir::makeF32({directions, batch.size, hidden}, std::vector<float>(size_t(count), 0.0f)),
        node.helperName("zero_state"));
  }
  ir::Graph& g = node.ctx.graph;
  NUTSHELL_ASSIGN(ir::Node * shape, node.add(OpKind::Shape, {x}, {{"start", int64_t(1)}, {"end", int64_t(2)}},
                                             {node.helperName("batch")}));
  ir::Value* d = g.addConstant(ir::makeI64({1}, {directions}), node.helperName("directions"));
  ir::Value* h = g.addConstant(ir::makeI64({1}, {hidden}), node.helperName("hidden"));
  NUTSHELL_ASSIGN(ir::Node * dims, node.add(OpKind::Concat, {d, shape->result(), h}, {{"axis", int64_t(0)}},
                                            {node.helperName("state_shape")}));
  NUTSHELL_ASSIGN(ir::Node * zeros,
                  node.add(OpKind::ConstantOfShape, {dims->result()}, {}, {node.helperName("zero_state")}));
  return zeros->result();
}

Status importLstm(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(3, 8));
  if (node.proto.output_size() > 3)
    return node.error(fmt::format("has {} outputs, LSTM has 3", node.proto.output_size()));

  NUTSHELL_ASSIGN(int64_t layout, node.intAttr("layout", 0));
  if (layout != 0 && layout != 1) return node.error(fmt::format("layout {} must be 0 or 1", layout));
  auto transposed = [&](ir::Value* v, std::vector<int64_t> perm,
                        const std::string& name) -> Expected<ir::Value*> {
    std::vector<std::string> names;
    if (!name.empty()) names.push_back(name);
    NUTSHELL_ASSIGN(ir::Node * t, node.add(OpKind::Transpose, {v}, {{"perm", std::move(perm)}}, names));
    return t->result();
  };
  if (node.hasAttr("activation_alpha") || node.hasAttr("activation_beta"))
    return node.unsupported("activation_alpha/activation_beta (only the default activations are supported)");
  NUTSHELL_ASSIGN(std::string direction, node.stringAttr("direction", "forward"));
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return node.error(fmt::format("unknown direction '{}'", direction));
  const int64_t directions = direction == "bidirectional" ? 2 : 1;
  NUTSHELL_ASSIGN(std::vector<std::string> activations, node.stringsAttr("activations"));
  if (!activations.empty()) {
    bool defaults = activations.size() == size_t(3 * directions);
    for (size_t i = 0; defaults && i < activations.size(); ++i)
      defaults = activations[i] == (i % 3 == 0 ? "Sigmoid" : "Tanh");
    if (!defaults)
      return node.unsupported("non-default activations (only Sigmoid, Tanh, Tanh are supported)");
  }

  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * w, node.input(1));
  NUTSHELL_ASSIGN(ir::Value * r, node.input(2));
  if (x->type.rank() != 3) return node.error(fmt::format("X must be [T,B,I], got {}", x->type.str()));
  if (layout == 1) {
    NUTSHELL_ASSIGN(x, transposed(x, {1, 0, 2}, ""));
  }
  if (r->type.rank() != 3) return node.error(fmt::format("R must be [D,4H,H], got {}", r->type.str()));

  int64_t hidden = -1;
  if (node.hasAttr("hidden_size")) {
    NUTSHELL_ASSIGN(hidden, node.intAttr("hidden_size", 0));
  } else if (r->type.dims[2].isStatic()) {
    hidden = r->type.dims[2].size;
  }
  if (hidden < 1 || hidden > ir::kMaxElements / 8)
    return node.error(fmt::format("hidden_size {} must be >= 1", hidden));
  const ir::Dim& rHidden = r->type.dims[2];
  if (rHidden.isStatic() && rHidden.size != hidden)
    return node.error(fmt::format("hidden_size {} does not match R {}", hidden, r->type.str()));
  if (directions * 8 * hidden > kMaxInlineZeros)
    return node.error(fmt::format("hidden_size {} is too large", hidden));

  NUTSHELL_ASSIGN(double clip, node.floatAttr("clip", 0.0));
  NUTSHELL_ASSIGN(int64_t inputForget, node.intAttr("input_forget", 0));

  // sequence_lens: fine when every sequence has the full length T.
  if (node.hasInput(4)) {
    ir::TensorDataPtr lens = node.ctx.constantOf(node.inputName(4));
    const ir::Dim& t = x->type.dims[0];
    if (!lens) return node.unsupported("sequence_lens computed at run time (only absent or all equal to T)");
    if (lens->type.dtype != ir::DType::I64)
      return node.error(fmt::format("sequence_lens must be int32 or int64, got {}", lens->type.str()));
    for (int64_t i = 0; i < lens->numElements(); ++i)
      if (!t.isStatic() || lens->i64[size_t(i)] != t.size)
        return node.unsupported(fmt::format(
            "sequence_lens value {} differs from the sequence length {} (only "
            "full-length sequences are supported)",
            lens->i64[size_t(i)], x->type.dims[0].isStatic() ? std::to_string(t.size) : t.symbol));
  }

  ir::Value* b = nullptr;
  if (node.hasInput(3)) {
    NUTSHELL_ASSIGN(b, node.input(3));
  } else {
    b = node.ctx.graph.addConstant(
        ir::makeF32({directions, 8 * hidden}, std::vector<float>(size_t(directions * 8 * hidden), 0.0f)),
        node.helperName("zero_bias"));
  }
  ir::Value* zeros = nullptr;
  auto state = [&](int index) -> Expected<ir::Value*> {
    if (node.hasInput(index)) {
      NUTSHELL_ASSIGN(ir::Value * given, node.input(index));
      if (layout == 1) return transposed(given, {1, 0, 2}, "");
      return given;
    }
    if (!zeros) {
      NUTSHELL_ASSIGN(zeros, zeroState(node, x, directions, hidden));
    }
    return zeros;
  };
  NUTSHELL_ASSIGN(ir::Value * h0, state(5));
  NUTSHELL_ASSIGN(ir::Value * c0, state(6));
  std::vector<ir::Value*> operands{x, w, r, b, h0, c0};
  if (node.hasInput(7)) {
    NUTSHELL_ASSIGN(ir::Value * p, node.input(7));
    operands.push_back(p);
  }

  ir::AttrMap attrs{{"hidden_size", hidden}};
  if (direction != "forward") attrs["direction"] = direction;
  if (clip != 0.0) attrs["clip"] = clip;
  if (inputForget) attrs["input_forget"] = inputForget;
  if (layout == 0) return node.emit(OpKind::Lstm, operands, attrs);
  // Batch-major results: Y [B,T,D,H], Y_h and Y_c [B,D,H].
  NUTSHELL_ASSIGN(ir::Node * lstm, node.add(OpKind::Lstm, operands, attrs));
  for (int i = 0; i < node.proto.output_size() && i < 3; ++i) {
    if (node.proto.output(i).empty()) continue;
    std::vector<int64_t> perm = i == 0 ? std::vector<int64_t>{2, 0, 1, 3} : std::vector<int64_t>{1, 0, 2};
    NUTSHELL_ASSIGN(ir::Value * out, transposed(lstm->results[size_t(i)], perm, node.proto.output(i)));
    node.bindOutput(i, out);
  }
  return Status::success();
}

}  // namespace

void addRecurrentConverters(ConverterTable& table) {
  table["LSTM"] = importLstm;
}

}  // namespace nutshell::onnx
