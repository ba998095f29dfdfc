// fold-constants: evaluate at compile time what does not depend on the
// inputs. One walk in topological order:
//  - `shape` of a value whose dims in [start, end) are static becomes a
//    constant (no values needed, only the type), and so does a `gather` of
//    static dims out of a `shape` whose other dims are still symbolic;
//  - a Foldable node (ir/ops.def) whose operands are all constants is
//    evaluated with its reference kernel (ConstantEvaluator);
//  - reshape(x, shape) moves its shape operand into the `shape` attribute
//    when the operand is constant, or computed from dims that are static or
//    named (a symbolic batch N equal to x's dim becomes 0, see
//    reshapeAttribute).
// Results are not folded when they would hold more than `max-elements`
// elements (default 65536) and more than all their constant operands
// together: folding must not grow the model (a transpose of a weight may
// fold, a constant_of_shape of [1000,1000] may not). Nodes this pass made
// unused are erased; finally types are refined (refineResultTypes), since
// folded values can make `?` dims static.
#include "ir/OpViews.h"
#include "passes/ConstantEvaluator.h"
#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"
#include "passes/RewriteUtils.h"

namespace nutshell::passes {

namespace {

constexpr int64_t kDefaultMaxElements = 65536;

/// Dims [start, end) of a shape node's operand, when all static (with
/// staticMask: always, -1 where not static, the mask saying which are).
std::optional<std::vector<int64_t>> staticShapeRange(const ir::Node& shapeNode, std::vector<bool>* staticMask) {
  std::vector<int64_t> dims = ir::shapeDims(shapeNode);
  bool all = true;
  for (int64_t d : dims) {
    if (staticMask) staticMask->push_back(d >= 0);
    all = all && d >= 0;
  }
  if (!all && !staticMask) return std::nullopt;
  return dims;
}

/// gather(shape(x), indices) picking only static dims of x.
std::optional<ir::TensorDataPtr> foldGatherOfShape(const ir::Node& gather) {
  const ir::Value* data = gather.operands[0];
  const ir::TensorData* indices = constantPayload(gather.operands[1]);
  if (!data->producer || data->producer->op != ir::OpKind::Shape || !indices || gather.getInt("axis") != 0)
    return std::nullopt;
  std::vector<bool> isStatic;
  auto dims = staticShapeRange(*data->producer, &isStatic);
  int64_t count = int64_t(dims->size());
  std::vector<int64_t> values;
  for (int64_t index : indices->i64) {
    if (index < 0) index += count;
    if (index < 0 || index >= count || !isStatic[size_t(index)]) return std::nullopt;
    values.push_back((*dims)[size_t(index)]);
  }
  return ir::makeI64(indices->type.shape(), values);
}

/// Entries of a 1-D i64 shape value as dims (static, or a named symbol such
/// as the batch N) when they can be read off the graph: constants, `shape`
/// of a value whose dims are static or named, and gather (of constant
/// indices) / unsqueeze / squeeze / concat / cast / identity of those.
std::optional<std::vector<ir::Dim>> shapeEntries(const ir::Value* value, int depth = 0) {
  if (depth > 16 || !value->producer || value->type.dtype != ir::DType::I64 || value->type.rank() > 1)
    return std::nullopt;
  const ir::Node& node = *value->producer;
  auto operandEntries = [&](size_t i) { return shapeEntries(node.operands[i], depth + 1); };
  switch (node.op) {
    case ir::OpKind::Const: {
      const ir::TensorData* data = constantPayload(value);
      if (!data) return std::nullopt;
      return std::vector<ir::Dim>(data->i64.begin(), data->i64.end());
    }
    case ir::OpKind::Shape: {
      std::vector<bool> isStatic;
      auto dims = staticShapeRange(node, &isStatic);
      const ir::TensorType& type = node.operands[0]->type;
      int64_t rank = int64_t(type.rank()), start = node.getInt("start");
      if (start < 0) start = std::max<int64_t>(start + rank, 0);
      std::vector<ir::Dim> entries;
      for (size_t i = 0; i < dims->size(); ++i) {
        const ir::Dim& d = type.dims[size_t(start) + i];
        if (!d.isStatic() && (d.symbol.empty() || d.symbol == "?")) return std::nullopt;
        entries.push_back(d);
      }
      return entries;
    }
    case ir::OpKind::Gather: {
      const ir::TensorData* indices = constantPayload(node.operands[1]);
      auto source = operandEntries(0);
      if (!indices || !source || node.getInt("axis") != 0) return std::nullopt;
      std::vector<ir::Dim> entries;
      for (int64_t index : indices->i64) {
        if (index < 0) index += int64_t(source->size());
        if (index < 0 || index >= int64_t(source->size())) return std::nullopt;
        entries.push_back((*source)[size_t(index)]);
      }
      return entries;
    }
    case ir::OpKind::Concat: {
      std::vector<ir::Dim> entries;
      for (size_t i = 0; i < node.operands.size(); ++i) {
        auto part = operandEntries(i);
        if (!part) return std::nullopt;
        entries.insert(entries.end(), part->begin(), part->end());
      }
      return entries;
    }
    case ir::OpKind::Unsqueeze:
    case ir::OpKind::Squeeze:
    case ir::OpKind::Cast:
    case ir::OpKind::Identity:
      // Rank 0 <-> 1 changes only (checked above): the entries stay.
      return operandEntries(0);
    default:  // not shape arithmetic
      return std::nullopt;
  }
}

/// The `shape` attribute for reshape(x, s) when s is computed from dims that
/// are known or named: a named dim equal to x's dim at the same position is
/// 0 (copy), one other named dim is -1 (inferred). The ONNX export of
/// x.view(x.size(0), -1) with a symbolic batch becomes shape=[0,-1].
std::optional<std::vector<int64_t>> reshapeAttribute(const ir::Node& reshape) {
  auto entries = shapeEntries(reshape.operands[1]);
  if (!entries) return std::nullopt;
  const ir::TensorType& x = reshape.operands[0]->type;
  std::vector<int64_t> shape;
  bool inferred = false;
  for (size_t i = 0; i < entries->size(); ++i) {
    const ir::Dim& d = (*entries)[i];
    if (d.isStatic()) {
      // Literal 0 and -1 keep their reshape meaning, as in the operand.
      shape.push_back(d.size);
      inferred = inferred || d.size == -1;
    } else if (i < x.rank() && x.dims[i] == d) {
      shape.push_back(0);
    } else if (!inferred) {
      shape.push_back(-1);
      inferred = true;
    } else {
      return std::nullopt;
    }
  }
  return shape;
}

class FoldConstantsPass final : public Pass {
public:
  std::string_view name() const override { return "fold-constants"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_TRY(checkOptions(name(), context, {"max-elements"}));
    NUTSHELL_ASSIGN(int64_t maxElements, intOption(name(), context, "max-elements", kDefaultMaxElements));
    bool changed = false;
    std::vector<ir::Value*> retired;  // operands that may have lost their last use
    std::vector<ir::Node*> order;
    for (const auto& node : graph.nodes()) order.push_back(node.get());

    for (ir::Node* node : order) {
      if (node->op == ir::OpKind::Const || node->results.size() != 1) continue;
      // Operands folded earlier in this walk can make this node's `?` dims
      // static; refresh its type first so that size limits see real sizes.
      if (changed) (void)refineResultTypes(*node);
      std::optional<ir::TensorDataPtr> folded;
      if (node->op == ir::OpKind::Shape) {
        if (auto dims = staticShapeRange(*node, nullptr)) folded = ir::makeI64({int64_t(dims->size())}, *dims);
      } else if (node->op == ir::OpKind::Gather) {
        folded = foldGatherOfShape(*node);
      }
      if (!folded) folded = evaluate(*node, maxElements);
      if (folded) {
        // A folded value must agree with the type the graph already has.
        const ir::TensorType& type = node->result()->type;
        if ((*folded)->type.dtype != type.dtype || (*folded)->type.rank() != type.rank()) continue;
        if (type.isStatic() && !((*folded)->type == type)) continue;
        std::string name = node->result()->name;
        ir::Value* constant = graph.insertConstantBefore(node, *folded, name + "_folded");
        for (ir::Value* operand : node->operands) retired.push_back(operand);
        replaceNode(graph, node, {constant});
        // The constant takes the folded value's name (freed by the erase).
        if (constant->name != name) {
          constant->name = name;
          graph.reindexNames();
        }
        changed = true;
        continue;
      }
      if (node->op == ir::OpKind::Reshape && node->operands.size() == 2 && node->operands[1]->type.rank() == 1) {
        auto shape = reshapeAttribute(*node);
        if (!shape) continue;
        retired.push_back(node->operands[1]);
        node->operands.resize(1);
        node->setAttr("shape", *shape);
        changed = true;
      }
    }
    if (!changed) return false;
    eraseDeadProducers(graph, std::move(retired));
    NUTSHELL_TRY(refineAllTypes(graph));
    return true;
  }

private:
  static std::optional<ir::TensorDataPtr> evaluate(const ir::Node& node, int64_t maxElements) {
    if (!node.info().has(ir::Trait::Foldable)) return std::nullopt;
    std::vector<const ir::TensorData*> operands;
    int64_t operandElements = 0;
    for (const ir::Value* operand : node.operands) {
      const ir::TensorData* data = constantPayload(operand);
      if (!data) return std::nullopt;
      operands.push_back(data);
      operandElements += data->numElements();
    }
    // Estimate before evaluating: broadcasting and constant_of_shape can grow.
    // Only static results: their size is known before any allocation.
    const ir::TensorType& type = node.result()->type;
    if (!type.isStatic()) return std::nullopt;
    if (type.numElements() > maxElements && type.numElements() > operandElements) return std::nullopt;
    auto results = evaluateConstantNode(node, operands);
    if (!results) return std::nullopt;
    int64_t elements = results->front()->numElements();
    if (elements > maxElements && elements > operandElements) return std::nullopt;
    return results->front();
  }
};

}  // namespace

std::unique_ptr<Pass> createFoldConstantsPass() { return std::make_unique<FoldConstantsPass>(); }

}  // namespace nutshell::passes
