// Converters for elementwise math, activations, softmax, reductions and dense
// algebra: Add, Sub, Mul, Div, Pow, PRelu, Max, Min, Sum, Mean, the unary
// ops of unaryOps() (Relu, LeakyRelu, Sigmoid, Tanh, Exp, HardSigmoid,
// HardSwish, Elu, Selu, Softplus, Softsign, ThresholdedRelu, Celu, Neg, Abs,
// Sqrt, Reciprocal, Erf, Log, Floor, Ceil, Round, Sign, Shrink, Identity),
// Clip, Softmax, LogSoftmax, the reductions of reduceOps()
// (ReduceMax/Mean/Sum/Min/Prod/L1/L2/SumSquare/LogSumExp/LogSum), ArgMax,
// ArgMin, MatMul, Gemm, Dropout.
#include <limits>

#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::AttrMap;
using ir::OpKind;

Status importBinary(NodeView& node) {
  static const std::map<std::string, OpKind, std::less<>> kinds{
      {"Add", OpKind::Add}, {"Sub", OpKind::Sub}, {"Mul", OpKind::Mul}, {"Div", OpKind::Div}};
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  if (node.opset() < 7) {
    // Before opset 7, broadcasting was opt-in and could align b at `axis`;
    // without an axis it right-aligns b, which numpy broadcasting also does.
    NUTSHELL_ASSIGN(int64_t broadcast, node.intAttr("broadcast", 0));
    if (broadcast && node.hasAttr("axis"))
      return node.unsupported("legacy broadcasting with an axis (opset < 7)");
  }
  NUTSHELL_ASSIGN(ir::Value * a, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * b, node.input(1));
  return node.emit(kinds.at(node.opType()), {a, b});
}

/// Pow (numpy's power) and PRelu (slope broadcast to x). An integer
/// exponent is cast to f32 (exact for the exponents models use); an integer
/// base is not supported (the result would be an integer tensor).
Status importPowOrPRelu(NodeView& node) {
  const bool isPow = node.opType() == "Pow";
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  if (node.opset() < 7) return node.unsupported(node.opType() + " before opset 7 (legacy broadcasting)");
  NUTSHELL_ASSIGN(ir::Value * a, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * b, node.input(1));
  if (a->type.dtype != ir::DType::F32)
    return node.unsupported(fmt::format("{} of an integer ({}) input: nutshell computes it in float",
                                        node.opType(), ir::dtypeName(a->type.dtype)));
  if (isPow && ir::isIntegerType(b->type.dtype)) {
    NUTSHELL_ASSIGN(ir::Node * cast,
                    node.add(OpKind::Cast, {b}, {{"to", std::string("f32")}}, {node.helperName("exponent")}));
    b = cast->result();
  }
  return node.emit(isPow ? OpKind::Pow : OpKind::PRelu, {a, b});
}

/// Max, Min, Sum, Mean: 1..N inputs, numpy broadcasting. One input is the
/// identity; more are a chain of binary nodes (which -O2 fuses into one
/// fused_elementwise); Mean divides the sum by N.
Status importVariadic(NodeView& node) {
  static const std::map<std::string, OpKind, std::less<>> kinds{
      {"Max", OpKind::Max}, {"Min", OpKind::Min}, {"Sum", OpKind::Add}, {"Mean", OpKind::Add}};
  NUTSHELL_TRY(node.expectInputs(1, std::numeric_limits<int>::max()));
  NUTSHELL_TRY(node.expectOutputs(1));
  // Before opset 8 the inputs had to have one shape; broadcasting gives the
  // same result then, so every opset imports alike.
  const bool mean = node.opType() == "Mean";
  const int count = node.proto.input_size();
  std::vector<ir::Value*> inputs;
  for (int i = 0; i < count; ++i) {
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    if (mean && v->type.dtype != ir::DType::F32)
      return node.unsupported(fmt::format("Mean of an integer ({}) input", ir::dtypeName(v->type.dtype)));
    inputs.push_back(v);
  }
  if (count == 1) return node.emit(OpKind::Identity, {inputs[0]});
  const OpKind kind = kinds.at(node.opType());
  ir::Value* acc = inputs[0];
  for (int i = 1; i < count; ++i) {
    if (i + 1 == count && !mean) return node.emit(kind, {acc, inputs[size_t(i)]});
    NUTSHELL_ASSIGN(ir::Node * step, node.add(kind, {acc, inputs[size_t(i)]}, {}, {node.helperName("acc")}));
    acc = step->result();
  }
  ir::Value* n = node.ctx.graph.addConstant(ir::makeF32({}, {float(count)}), node.helperName("count"));
  return node.emit(OpKind::Div, {acc, n});
}

/// A unary ONNX op that maps to one nutshell op, and the first opset that has it.
struct UnaryOp {
  OpKind kind;
  int64_t since = 1;
};

const std::map<std::string, UnaryOp, std::less<>>& unaryOps() {
  static const std::map<std::string, UnaryOp, std::less<>> ops{
      {"Relu", {OpKind::Relu}},
      {"LeakyRelu", {OpKind::LeakyRelu}},
      {"Sigmoid", {OpKind::Sigmoid}},
      {"Tanh", {OpKind::Tanh}},
      {"Exp", {OpKind::Exp}},
      {"Identity", {OpKind::Identity}},
      {"HardSigmoid", {OpKind::HardSigmoid}},
      {"HardSwish", {OpKind::HardSwish, 14}},
      {"Elu", {OpKind::Elu}},
      {"Selu", {OpKind::Selu}},
      {"Softplus", {OpKind::Softplus}},
      {"Softsign", {OpKind::Softsign}},
      {"Neg", {OpKind::Neg}},
      {"Abs", {OpKind::Abs}},
      {"Sqrt", {OpKind::Sqrt}},
      {"Reciprocal", {OpKind::Reciprocal}},
      {"Erf", {OpKind::Erf, 9}},
      {"ThresholdedRelu", {OpKind::ThresholdedRelu, 10}},
      {"Celu", {OpKind::Celu, 12}},
      {"Log", {OpKind::Log}},
      {"Floor", {OpKind::Floor}},
      {"Ceil", {OpKind::Ceil}},
      {"Round", {OpKind::Round, 11}},
      {"Sign", {OpKind::Sign, 9}},
      {"Shrink", {OpKind::Shrink, 9}},
  };
  return ops;
}

/// The op's float attributes (LeakyRelu alpha, HardSigmoid alpha and beta,
/// Selu alpha and gamma, ...) have the ONNX names and defaults in ops.def, so
/// they are read by the table's rows.
Status importUnary(NodeView& node) {
  const UnaryOp& op = unaryOps().at(node.opType());
  if (node.opset() < op.since)
    return node.error(fmt::format("{} is an opset-{} op; the model imports opset {}", node.opType(), op.since,
                                  node.opset()));
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  AttrMap attrs;
  for (const ir::AttrSpec& spec : ir::opInfo(op.kind).attrs) {
    if (spec.kind != ir::AttrKind::Float) continue;
    NUTSHELL_ASSIGN(double value,
                    node.floatAttr(spec.name, std::get<double>(ir::defaultAttr(op.kind, spec.name))));
    attrs[std::string(spec.name)] = value;
  }
  return node.emit(op.kind, {x}, attrs);
}

/// Dropout at inference is the identity; the mask output and training mode are not supported.
Status importDropout(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 3));
  if (node.proto.output_size() > 1 && !node.proto.output(1).empty())
    return node.unsupported("Dropout's mask output (inference-only import)");
  NUTSHELL_TRY(node.expectOutputs(1));
  if (node.hasInput(2)) {
    NUTSHELL_ASSIGN(double training, node.constantScalar(2, "training_mode"));
    if (training != 0) return node.unsupported("training_mode=true; nutshell imports inference only");
  }
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  return node.emit(OpKind::Identity, {x});
}

Status importClip(NodeView& node) {
  AttrMap attrs;
  if (node.opset() < 11) {
    NUTSHELL_TRY(node.expectInputs(1, 1));
    if (node.hasAttr("min")) {
      NUTSHELL_ASSIGN(double lo, node.floatAttr("min", 0));
      attrs["min"] = lo;
    }
    if (node.hasAttr("max")) {
      NUTSHELL_ASSIGN(double hi, node.floatAttr("max", 0));
      attrs["max"] = hi;
    }
  } else {
    // min and max are optional scalar inputs since opset 11.
    NUTSHELL_TRY(node.expectInputs(1, 3));
    if (node.hasInput(1)) {
      NUTSHELL_ASSIGN(double lo, node.constantScalar(1, "Clip min"));
      attrs["min"] = lo;
    }
    if (node.hasInput(2)) {
      NUTSHELL_ASSIGN(double hi, node.constantScalar(2, "Clip max"));
      attrs["max"] = hi;
    }
  }
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  return node.emit(OpKind::Clip, {x}, attrs);
}

/// Softmax / LogSoftmax. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1) and normalised over the flattened trailing dims:
/// flatten -> softmax(axis=1) -> reshape back.
Status importSoftmax(NodeView& node) {
  const OpKind kind = node.opType() == "LogSoftmax" ? OpKind::LogSoftmax : OpKind::Softmax;
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  const size_t rank = x->type.rank();
  if (rank == 0) return node.error("input must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, node.intAttr("axis", node.opset() >= 13 ? -1 : 1));
  NUTSHELL_ASSIGN(axis, node.normalizeAxis(axis, rank, "axis"));
  // Per-axis semantics (opset >= 13), or the 2-D coercion over a single
  // trailing axis, which is the same thing.
  if (node.opset() >= 13 || axis == int64_t(rank) - 1) return node.emit(kind, {x}, {{"axis", axis}});

  NUTSHELL_ASSIGN(ir::Node * flat, node.add(OpKind::Flatten, {x}, {{"axis", axis}}, {node.helperName("2d")}));
  NUTSHELL_ASSIGN(ir::Node * soft,
                  node.add(kind, {flat->result()}, {{"axis", int64_t(1)}}, {node.helperName("2d_out")}));
  if (x->type.isStatic()) return node.emit(OpKind::Reshape, {soft->result()}, {{"shape", x->type.shape()}});
  NUTSHELL_ASSIGN(ir::Node * shape, node.add(OpKind::Shape, {x}, {}, {node.helperName("shape")}));
  return node.emit(OpKind::Reshape, {soft->result(), shape->result()});
}

/// The ONNX reductions and their ops.
const std::map<std::string, OpKind, std::less<>>& reduceOps() {
  static const std::map<std::string, OpKind, std::less<>> ops{
      {"ReduceMax", OpKind::ReduceMax},
      {"ReduceMean", OpKind::ReduceMean},
      {"ReduceSum", OpKind::ReduceSum},
      {"ReduceMin", OpKind::ReduceMin},
      {"ReduceProd", OpKind::ReduceProd},
      {"ReduceL1", OpKind::ReduceL1},
      {"ReduceL2", OpKind::ReduceL2},
      {"ReduceSumSquare", OpKind::ReduceSumSquare},
      {"ReduceLogSumExp", OpKind::ReduceLogSumExp},
      {"ReduceLogSum", OpKind::ReduceSum},  // then log
  };
  return ops;
}

/// The reductions of reduceOps() (ReduceLogSum is reduce_sum, then log).
/// Axes are an attribute, or a constant input for ReduceSum since opset 13
/// and the others since opset 18.
Status importReduce(NodeView& node) {
  const auto& kinds = reduceOps();
  const bool axesInput = node.opset() >= 18 || (node.opType() == "ReduceSum" && node.opset() >= 13);
  NUTSHELL_TRY(node.expectInputs(1, axesInput ? 2 : 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  std::vector<int64_t> axes;
  if (axesInput) {
    if (node.hasInput(1)) {
      NUTSHELL_ASSIGN(axes, node.constantInts(1, "axes"));
    }
  } else {
    NUTSHELL_ASSIGN(axes, node.intsAttr("axes"));
  }
  for (int64_t& a : axes) {
    NUTSHELL_ASSIGN(a, node.normalizeAxis(a, x->type.rank(), "axes"));
  }
  NUTSHELL_ASSIGN(int64_t keepdims, node.intAttr("keepdims", 1));
  NUTSHELL_ASSIGN(int64_t noop, node.intAttr("noop_with_empty_axes", 0));
  if (axes.empty() && noop) return node.emit(OpKind::Identity, {x});
  AttrMap attrs{{"axes", axes}};
  if (!keepdims) attrs["keepdims"] = int64_t(0);
  if (node.opType() == "ReduceLogSum") {
    NUTSHELL_ASSIGN(ir::Node * sum, node.add(OpKind::ReduceSum, {x}, attrs, {node.helperName("sum")}));
    return node.emit(OpKind::Log, {sum->result()});
  }
  return node.emit(kinds.at(node.opType()), {x}, attrs);
}

/// ArgMax / ArgMin: axis (0), keepdims (1), select_last_index (0; opset 12).
Status importArgReduce(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (x->type.dtype != ir::DType::F32)
    return node.unsupported(
        fmt::format("{} of an integer ({}) input", node.opType(), ir::dtypeName(x->type.dtype)));
  if (x->type.rank() == 0) return node.error("input must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, node.intAttr("axis", 0));
  NUTSHELL_ASSIGN(axis, node.normalizeAxis(axis, x->type.rank(), "axis"));
  NUTSHELL_ASSIGN(int64_t keepdims, node.intAttr("keepdims", 1));
  NUTSHELL_ASSIGN(int64_t last, node.intAttr("select_last_index", 0));
  return node.emit(node.opType() == "ArgMax" ? OpKind::ArgMax : OpKind::ArgMin, {x},
                   {{"axis", axis}, {"keepdims", keepdims}, {"select_last_index", last}});
}

Status importMatMul(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * a, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * b, node.input(1));
  return node.emit(OpKind::MatMul, {a, b});
}

/// Gemm becomes `gemm`, except in the common fully-connected case
/// (alpha = beta = 1, transA = 0, B a constant matrix, C absent or of shape
/// [N]) which becomes `dense` with the weight stored K-major ([K,N]),
/// transposing it here when transB = 1.
Status importGemm(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(node.opset() >= 11 ? 2 : 3, 3));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(double alpha, node.floatAttr("alpha", 1.0));
  NUTSHELL_ASSIGN(double beta, node.floatAttr("beta", 1.0));
  NUTSHELL_ASSIGN(int64_t transA, node.intAttr("transA", 0));
  NUTSHELL_ASSIGN(int64_t transB, node.intAttr("transB", 0));
  NUTSHELL_ASSIGN(ir::Value * a, node.input(0));

  ir::TensorDataPtr b = node.ctx.constantOf(node.inputName(1));
  bool dense = alpha == 1.0 && beta == 1.0 && transA == 0 && a->type.rank() == 2 && b &&
               b->type.rank() == 2 && b->type.dtype == ir::DType::F32;
  if (node.hasInput(2)) {
    // Peek at C's type so the weight's const is emitted before the bias's.
    const ir::TensorType* c = node.ctx.typeOf(node.inputName(2));
    // B's N axis, read only once B is known to be a matrix (dense requires it).
    const int64_t n = dense ? b->type.dims[transB ? 0 : 1].size : -1;
    dense = dense && c && c->rank() == 1 && c->dims[0].isStatic() && c->dims[0].size == n;
  }
  auto biasOperand = [&](std::vector<ir::Value*>& operands) -> Status {
    if (!node.hasInput(2)) return Status::success();
    NUTSHELL_ASSIGN(ir::Value * c, node.input(2));
    operands.push_back(c);
    return Status::success();
  };
  if (dense) {
    ir::TensorDataPtr weight = b;
    if (transB) {
      const int64_t rows = b->type.dims[0].size, cols = b->type.dims[1].size;  // [N,K]
      auto t = std::make_shared<ir::TensorData>();
      t->type = ir::TensorType::f32({cols, rows});
      t->f32.resize(b->f32.size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < cols; ++k) t->f32[size_t(k * rows + r)] = b->f32[size_t(r * cols + k)];
      weight = std::move(t);
    }
    ir::Value* w = node.ctx.graph.addConstant(weight, node.inputName(1));
    std::vector<ir::Value*> operands{a, w};
    NUTSHELL_TRY(biasOperand(operands));
    return node.emit(OpKind::Dense, operands);
  }

  NUTSHELL_ASSIGN(ir::Value * bv, node.input(1));
  std::vector<ir::Value*> operands{a, bv};
  NUTSHELL_TRY(biasOperand(operands));
  AttrMap attrs;
  if (alpha != 1.0) attrs["alpha"] = alpha;
  if (beta != 1.0) attrs["beta"] = beta;
  if (transA) attrs["trans_a"] = int64_t(1);
  if (transB) attrs["trans_b"] = int64_t(1);
  return node.emit(OpKind::Gemm, operands, attrs);
}

}  // namespace

void addMathConverters(ConverterTable& table) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) table[op] = importBinary;
  for (const auto& [name, op] : unaryOps()) table[name] = importUnary;
  table["Dropout"] = importDropout;
  table["Clip"] = importClip;
  table["Softmax"] = importSoftmax;
  table["LogSoftmax"] = importSoftmax;
  for (const auto& [name, op] : reduceOps()) table[name] = importReduce;
  table["ArgMax"] = importArgReduce;
  table["ArgMin"] = importArgReduce;
  table["Pow"] = importPowOrPRelu;
  table["PRelu"] = importPowOrPRelu;
  for (const char* op : {"Max", "Min", "Sum", "Mean"}) table[op] = importVariadic;
  table["MatMul"] = importMatMul;
  table["Gemm"] = importGemm;
}

}  // namespace nutshell::onnx
