// The reference interpreter: binds inputs, walks the nodes in order and
// evaluates each with the plain kernels of this folder. Every result is
// checked against the node's declared type, so the oracle also catches shape
// rules and passes that declare something other than what the op computes.
#include "backends/reference/ReferenceInterpreter.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/common/ExecutableShell.h"
#include "backends/reference/Kernels.h"

namespace nutshell::reference {

ElementType slotType(ir::DType dtype) {
  return ir::isFloatType(dtype) ? ElementType::F32 : ElementType::I64;
}

Tensor narrowToDeclared(Tensor t, ir::DType dtype) {
  if (ir::isFloatType(dtype) || dtype == ir::DType::I64 || t.type() != ElementType::I64) return t;
  return t.convertedTo(common::elementTypeOf(dtype)).convertedTo(ElementType::I64);
}

namespace {

ElementType toElementType(ir::DType dtype) {
  return slotType(dtype);
}

std::string tensorTypeString(const Tensor& t) { return t.typeString(); }

Results evaluateConst(const ir::Node& node) {
  const ir::TensorData* data = node.constant.get();
  if (!data) return nodeError(node, "constant has no payload");
  if (data->elided) return makeError(fmt::format("constant '%{}' has elided values", node.name()));
  if (!data->type.isStatic()) return nodeError(node, fmt::format("constant type {} is not static", data->type.str()));
  const int64_t n = data->type.numElements();
  const bool isF32 = ir::isFloatType(data->type.dtype);
  const size_t stored = isF32 ? data->f32.size() : data->i64.size();
  if (n < 0 || stored != size_t(n))
    return nodeError(node, fmt::format("constant {} holds {} values", data->type.str(), stored));
  Tensor out(toElementType(data->type.dtype), data->type.shape());
  if (isF32)
    std::copy(data->f32.begin(), data->f32.end(), out.f32());
  else
    std::copy(data->i64.begin(), data->i64.end(), out.i64());
  return single(std::move(out));
}

Results evaluateEmpty(const ir::Node& node) {
  const ir::TensorType& type = node.result()->type;
  if (!type.isStatic())
    return nodeError(node, fmt::format("result type {} must be static to allocate it", type.str()));
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, toElementType(type.dtype), type.shape()));
  return single(std::move(out));
}

/// Attributes the kernels read through Node's getters: required ones present,
/// every explicit one of the table's kind (the getters would throw otherwise).
Status checkAttributes(const ir::Node& node) {
  const ir::OpInfo& info = node.info();
  for (const ir::AttrSpec& spec : info.attrs) {
    auto it = node.attrs.find(std::string(spec.name));
    if (it == node.attrs.end()) {
      if (spec.required()) return nodeError(node, fmt::format("missing required attribute '{}'", spec.name));
      continue;
    }
    if (ir::kindOf(it->second) != spec.kind)
      return nodeError(node, fmt::format("attribute '{}' must be {}, got {}", spec.name, ir::attrKindName(spec.kind),
                                         ir::attrKindName(ir::kindOf(it->second))));
  }
  return Status::success();
}

Results dispatch(const ir::Node& node, const Operands& ops) {
  using ir::OpKind;
  switch (node.op) {
    case OpKind::Const: return evaluateConst(node);
    case OpKind::Identity: return single(*ops[0]);
    case OpKind::Empty: return evaluateEmpty(node);
    case OpKind::Conv2d: return runConv2d(node, ops);
    case OpKind::FusedConv2d: return runFusedConv2d(node, ops);
    case OpKind::MaxPool2d: return runMaxPool2d(node, ops);
    case OpKind::AvgPool2d: return runAvgPool2d(node, ops);
    case OpKind::GlobalAvgPool: return runGlobalPool(node, ops, false);
    case OpKind::GlobalMaxPool: return runGlobalPool(node, ops, true);
    case OpKind::Dense: return runDense(node, ops);
    case OpKind::FusedDense: return runFusedDense(node, ops);
    case OpKind::Maxout: return runMaxout(node, ops);
    case OpKind::Gemm: return runGemm(node, ops);
    case OpKind::MatMul: return runMatMul(node, ops);
    case OpKind::Add: return runBinary(node, ops, BinaryOp::Add);
    case OpKind::Sub: return runBinary(node, ops, BinaryOp::Sub);
    case OpKind::Mul: return runBinary(node, ops, BinaryOp::Mul);
    case OpKind::Div: return runBinary(node, ops, BinaryOp::Div);
    case OpKind::Pow: return runBinary(node, ops, BinaryOp::Pow);
    case OpKind::Max: return runBinary(node, ops, BinaryOp::Max);
    case OpKind::Min: return runBinary(node, ops, BinaryOp::Min);
    case OpKind::PRelu: return runBinary(node, ops, BinaryOp::PRelu);
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
    case OpKind::Exp:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish:
    case OpKind::Elu:
    case OpKind::Selu:
    case OpKind::Softplus:
    case OpKind::Softsign:
    case OpKind::Neg:
    case OpKind::Abs:
    case OpKind::Sqrt:
    case OpKind::Reciprocal:
    case OpKind::Erf:
    case OpKind::ThresholdedRelu:
    case OpKind::Celu:
    case OpKind::Log:
    case OpKind::Floor:
    case OpKind::Ceil:
    case OpKind::Round:
    case OpKind::Sign:
    case OpKind::Shrink: return runUnary(node, ops);
    case OpKind::FusedElementwise: return runFusedElementwise(node, ops);
    case OpKind::Softmax: return runSoftmax(node, ops, false);
    case OpKind::LogSoftmax: return runSoftmax(node, ops, true);
    case OpKind::ReduceMax: return runReduce(node, ops, ReduceOp::Max);
    case OpKind::ReduceMean: return runReduce(node, ops, ReduceOp::Mean);
    case OpKind::ReduceSum: return runReduce(node, ops, ReduceOp::Sum);
    case OpKind::ReduceMin: return runReduce(node, ops, ReduceOp::Min);
    case OpKind::ReduceProd: return runReduce(node, ops, ReduceOp::Prod);
    case OpKind::ReduceL1: return runReduce(node, ops, ReduceOp::L1);
    case OpKind::ReduceL2: return runReduce(node, ops, ReduceOp::L2);
    case OpKind::ReduceSumSquare: return runReduce(node, ops, ReduceOp::SumSquare);
    case OpKind::ReduceLogSumExp: return runReduce(node, ops, ReduceOp::LogSumExp);
    case OpKind::ArgMax: return runArgReduce(node, ops, true);
    case OpKind::ArgMin: return runArgReduce(node, ops, false);
    case OpKind::BatchNorm: return runBatchNorm(node, ops);
    case OpKind::Lrn: return runLrn(node, ops);
    case OpKind::LayerNorm: return runLayerNorm(node, ops);
    case OpKind::GroupNorm: return runGroupNorm(node, ops);
    case OpKind::Reshape: return runReshape(node, ops);
    case OpKind::Flatten: return runFlatten(node, ops);
    case OpKind::Transpose: return runTranspose(node, ops);
    case OpKind::Concat: return runConcat(node, ops);
    case OpKind::Slice: return runSlice(node, ops);
    case OpKind::Pad: return runPad(node, ops);
    case OpKind::Tile: return runTile(node, ops);
    case OpKind::Expand: return runExpand(node, ops);
    case OpKind::DepthToSpace: return runDepthToSpace(node, ops);
    case OpKind::SpaceToDepth: return runSpaceToDepth(node, ops);
    case OpKind::Lstm: return runLstm(node, ops);
    case OpKind::Shape: return runShape(node, ops);
    case OpKind::Gather: return runGather(node, ops);
    case OpKind::Unsqueeze: return runUnsqueeze(node, ops);
    case OpKind::Squeeze: return runSqueeze(node, ops);
    case OpKind::ConstantOfShape: return runConstantOfShape(node, ops);
    case OpKind::Cast: return runCast(node, ops);
    case OpKind::Equal:
    case OpKind::Less:
    case OpKind::Greater:
    case OpKind::LessEqual:
    case OpKind::GreaterEqual: return runCompare(node, ops);
    case OpKind::Not:
    case OpKind::And:
    case OpKind::Or:
    case OpKind::Xor: return runLogical(node, ops);
    case OpKind::Where: return runWhere(node, ops);
  }
  return nodeError(node, "unknown op");
}

using SymbolBindings = std::unordered_map<std::string, int64_t>;

/// Does `t` have type `type`? Symbols bound in `symbols` must match their
/// size; unbound symbols are bound when `bind` is set and accepted otherwise.
bool matchesType(const Tensor& t, const ir::TensorType& type, SymbolBindings& symbols, bool bind) {
  if (t.type() != toElementType(type.dtype) || t.rank() != type.rank()) return false;
  SymbolBindings added;
  for (size_t i = 0; i < type.rank(); ++i) {
    const ir::Dim& d = type.dims[i];
    const int64_t actual = t.shape()[i];
    if (d.isStatic()) {
      if (d.size != actual) return false;
      continue;
    }
    auto bound = symbols.find(d.symbol);
    if (bound != symbols.end()) {
      if (bound->second != actual) return false;
      continue;
    }
    auto pending = added.find(d.symbol);
    if (pending != added.end() && pending->second != actual) return false;
    if (bind) added[d.symbol] = actual;
  }
  symbols.insert(added.begin(), added.end());
  return true;
}

/// Checks the given tensors against the graph inputs, binding symbolic dims.
Status bindInputs(const ir::Graph& graph, const TensorMap& inputs, SymbolBindings& symbols,
                  std::unordered_map<const ir::Value*, Tensor>& values) {
  std::vector<std::string> expected;
  for (const ir::Value* input : graph.inputs) expected.push_back("'" + input->name + "'");
  for (const auto& [name, tensor] : inputs) {
    bool known = false;
    for (const ir::Value* input : graph.inputs) known = known || input->name == name;
    if (!known)
      return makeError(fmt::format("unknown input '{}' (graph '@{}' takes {})", name, graph.name,
                                   expected.empty() ? std::string("no inputs") : fmt::format("{}", fmt::join(expected, ", "))));
  }
  for (const ir::Value* input : graph.inputs) {
    auto it = inputs.find(input->name);
    if (it == inputs.end())
      return makeError(fmt::format("missing input '{}' of type {}", input->name, input->type.str()));
    if (it->second.numElements() > 0 && it->second.data() == nullptr)
      return makeError(fmt::format("input '{}' has no data", input->name));
    if (it->second.type() != common::elementTypeOf(input->type.dtype))
      return makeError(fmt::format("input '{}' expects {} but was given {}", input->name, input->type.str(),
                                   tensorTypeString(it->second)));
    const Tensor t = it->second.type() == slotType(input->type.dtype)
                         ? it->second
                         : it->second.convertedTo(slotType(input->type.dtype));
    if (!matchesType(t, input->type, symbols, true)) {
      std::string bound;
      for (const ir::Dim& d : input->type.dims)
        if (!d.isStatic() && symbols.count(d.symbol))
          bound += fmt::format(" ({} = {} from an earlier input)", d.symbol, symbols.at(d.symbol));
      return makeError(fmt::format("input '{}' expects {} but was given {}{}", input->name, input->type.str(),
                                   tensorTypeString(t), bound));
    }
    values.emplace(input, t);
  }
  return Status::success();
}

}  // namespace

Expected<std::vector<Tensor>> evaluateNode(const ir::Node& node, const std::vector<const Tensor*>& operands) {
  const ir::OpInfo& info = node.info();
  const int count = int(operands.size());
  if (count < info.minOperands || (info.maxOperands >= 0 && count > info.maxOperands))
    return nodeError(node, fmt::format("takes {}..{} operands, got {}", info.minOperands,
                                       info.maxOperands < 0 ? std::string("n") : std::to_string(info.maxOperands),
                                       count));
  for (const Tensor* t : operands)
    if (!t) return nodeError(node, "an operand has no value");
  NUTSHELL_TRY(checkAttributes(node));
  try {
    Results results = dispatch(node, operands);
    if (results && results->size() != size_t(info.numResults))
      return nodeError(node, fmt::format("kernel produced {} results, expected {}", results->size(), info.numResults));
    if (results)
      for (size_t r = 0; r < results->size() && r < node.results.size(); ++r)
        (*results)[r] = narrowToDeclared(std::move((*results)[r]), node.results[r]->type.dtype);
    return results;
  } catch (const std::bad_alloc&) {
    return nodeError(node, "out of memory");
  } catch (const std::bad_variant_access&) {
    return nodeError(node, "an attribute has the wrong kind");
  }
}

Expected<TensorMap> runGraph(const ir::Graph& graph, const TensorMap& inputs) {
  SymbolBindings symbols;
  std::unordered_map<const ir::Value*, Tensor> values;
  NUTSHELL_TRY(bindInputs(graph, inputs, symbols, values));

  // Free each intermediate after its last use so big models fit in memory.
  const auto& nodes = graph.nodes();
  std::unordered_map<const ir::Value*, size_t> lastUse;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const ir::Value* v : nodes[i]->operands) lastUse[v] = i;
  for (const ir::Value* v : graph.outputs) lastUse[v] = nodes.size();

  for (size_t i = 0; i < nodes.size(); ++i) {
    const ir::Node& node = *nodes[i];
    std::vector<const Tensor*> operands;
    for (const ir::Value* v : node.operands) {
      auto it = values.find(v);
      if (it == values.end())
        return nodeError(node, fmt::format("operand '%{}' is used before it is defined", v ? v->name : "?"));
      operands.push_back(&it->second);
    }
    NUTSHELL_ASSIGN(std::vector<Tensor> results, evaluateNode(node, operands));
    if (results.size() != node.results.size())
      return nodeError(node, fmt::format("has {} results, the op computes {}", node.results.size(), results.size()));
    for (size_t r = 0; r < results.size(); ++r) {
      const ir::Value* value = node.results[r];
      if (!matchesType(results[r], value->type, symbols, false))
        return nodeError(node, fmt::format("computed {} for '%{}', which is declared {}", results[r].typeString(),
                                           value->name, value->type.str()));
      if (lastUse.count(value)) values[value] = std::move(results[r]);  // else: never read
    }
    for (const ir::Value* v : node.operands) {
      auto last = lastUse.find(v);
      if (last != lastUse.end() && last->second == i) values.erase(v);
    }
  }

  TensorMap outputs;
  for (const ir::Value* v : graph.outputs) {
    auto it = values.find(v);
    if (it == values.end()) return makeError(fmt::format("graph output '%{}' is never computed", v->name));
    const ElementType declared = common::elementTypeOf(v->type.dtype);
    outputs[v->name] = it->second.type() == declared ? it->second : it->second.convertedTo(declared);
  }
  return outputs;
}

namespace {

class ReferenceExecutable : public Executable {
public:
  explicit ReferenceExecutable(std::unique_ptr<ir::Graph> graph)
      : graph_(std::move(graph)), specs_(common::inputSpecs(*graph_)) {}
  /// The shell's checks first, so every backend words input mistakes alike;
  /// runGraph then checks that symbolic dims agree across inputs.
  Expected<TensorMap> run(const TensorMap& inputs) override {
    NUTSHELL_TRY(common::checkInputs(specs_, inputs));
    return runGraph(*graph_, inputs);
  }

private:
  std::unique_ptr<ir::Graph> graph_;
  std::vector<common::TensorSpec> specs_;
};

class ReferenceBackend : public Backend {
public:
  std::string name() const override { return "reference"; }
  Expected<CompileResult> compile(const ir::Graph& graph, const BackendOptions& options) override {
    NUTSHELL_TRY(checkBackendSettings(name(), options, {}));
    // Nothing to compile: the interpreter walks its own copy of the graph.
    CompileResult result;
    result.executable = std::make_unique<ReferenceExecutable>(graph.clone());
    return result;
  }
};

}  // namespace

std::unique_ptr<Backend> createReferenceBackend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace nutshell::reference
