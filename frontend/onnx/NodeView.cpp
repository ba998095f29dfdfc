// ImportContext and NodeView: value lookup, typed attribute access and node
// emission shared by all op converters.
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"
#include "ir/OpViews.h"
#include "ir/ShapeInference.h"
#include "passes/ConstantEvaluator.h"
#include "passes/RewriteUtils.h"

namespace nutshell::onnx {

using ::onnx::AttributeProto;

// ---- ImportContext ----------------------------------------------------------

ir::Value* ImportContext::value(const std::string& name) {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  auto c = constants_.find(name);
  if (c == constants_.end()) return nullptr;
  ir::Value* v = graph.addConstant(c->second, name);
  values_[name] = v;
  return v;
}

ir::TensorDataPtr ImportContext::constantOf(const std::string& name) {
  auto c = constants_.find(name);
  if (c != constants_.end()) return c->second;
  auto it = values_.find(name);
  return it != values_.end() ? foldValue(it->second) : nullptr;
}

namespace {

/// Folding never makes a result larger than this, unless its constant
/// operands are larger together (the rule fold-constants keeps): a weight may
/// be transposed at import, a constant_of_shape of [1000,1000] is not built.
constexpr int64_t kMaxFoldElements = 65536;
/// Shape computations are short; deeper chains are left to fold-constants.
constexpr int kMaxFoldDepth = 64;

bool allStatic(const std::vector<int64_t>& dims) {
  return std::find(dims.begin(), dims.end(), -1) == dims.end();
}

const ir::Value* nonStaticShapeSource(const ir::Value* value, int depth, std::set<const ir::Node*>& visited) {
  if (!value || !value->producer || depth > kMaxFoldDepth || !visited.insert(value->producer).second)
    return nullptr;
  const ir::Node& node = *value->producer;
  if (node.op == ir::OpKind::Shape && !allStatic(ir::shapeDims(node))) return node.operands[0];
  for (const ir::Value* operand : node.operands)
    if (const ir::Value* source = nonStaticShapeSource(operand, depth + 1, visited)) return source;
  return nullptr;
}

}  // namespace

ir::TensorDataPtr ImportContext::foldValue(const ir::Value* value, int depth) {
  if (!value || !value->producer) return nullptr;
  const ir::Node& node = *value->producer;
  if (node.op == ir::OpKind::Const) return node.constant && !node.constant->elided ? node.constant : nullptr;
  auto memo = folded_.find(value);
  if (memo != folded_.end()) return memo->second;
  if (depth > kMaxFoldDepth || !value->type.isStatic()) return nullptr;
  // Memoised, failures too (null); map references stay valid as it grows.
  ir::TensorDataPtr& result = folded_[value];
  if (node.op == ir::OpKind::Shape) {
    std::vector<int64_t> dims = ir::shapeDims(node);
    if (allStatic(dims)) result = ir::makeI64({int64_t(dims.size())}, dims);
    return result;
  }
  // gather(shape(x), i) needs only the picked dims of x to be static.
  const ir::Node* source = node.operands.empty() ? nullptr : node.operands[0]->producer;
  if (node.op == ir::OpKind::Gather && source && source->op == ir::OpKind::Shape &&
      node.getInt("axis") == 0) {
    ir::TensorDataPtr indices = foldValue(node.operands[1], depth + 1);
    if (indices && indices->type.dtype == ir::DType::I64) {
      std::vector<int64_t> dims = ir::shapeDims(*source), values;
      for (int64_t index : indices->i64) {
        if (index < 0) index += int64_t(dims.size());
        if (index < 0 || index >= int64_t(dims.size()) || dims[size_t(index)] < 0) break;
        values.push_back(dims[size_t(index)]);
      }
      if (values.size() == indices->i64.size()) {
        result = ir::makeI64(indices->type.shape(), values);
        return result;
      }
    }
  }
  if (!node.info().has(ir::Trait::Foldable)) return result;
  std::vector<ir::TensorDataPtr> payloads;
  std::vector<const ir::TensorData*> operands;
  int64_t operandElements = 0;
  for (const ir::Value* operand : node.operands) {
    ir::TensorDataPtr data = foldValue(operand, depth + 1);
    if (!data) return result;
    operandElements += data->numElements();
    operands.push_back(data.get());
    payloads.push_back(std::move(data));
  }
  const int64_t elements = value->type.numElements();
  if (elements > kMaxFoldElements && elements > operandElements) return result;
  auto results = passes::evaluateConstantNode(node, operands);
  auto index = std::find(node.results.begin(), node.results.end(), value) - node.results.begin();
  if (!results || size_t(index) >= results->size()) return result;
  ir::TensorDataPtr data = (*results)[size_t(index)];
  // The folded value must be what the graph's types already say.
  if (!(data->type == value->type)) return result;
  result = data;
  return result;
}

const ir::Value* nonStaticShapeSource(const ir::Value* value) {
  std::set<const ir::Node*> visited;
  return nonStaticShapeSource(value, 0, visited);
}

void ImportContext::eraseFoldedChains() {
  std::vector<ir::Value*> values;
  for (const auto& [value, data] : folded_)
    if (data && value->producer) values.push_back(value->producer->results[0]);
  folded_.clear();
  passes::eraseDeadProducers(graph, std::move(values));
}

const ir::TensorType* ImportContext::typeOf(const std::string& name) const {
  auto c = constants_.find(name);
  if (c != constants_.end()) return &c->second->type;
  auto it = values_.find(name);
  return it != values_.end() ? &it->second->type : nullptr;
}

// ---- NodeView -----------------------------------------------------------------

NodeView::NodeView(const ::onnx::NodeProto& p, ImportContext& c) : proto(p), ctx(c) {
  std::string name = proto.name();
  if (name.empty())
    for (const auto& out : proto.output())
      if (!out.empty()) {
        name = out;
        break;
      }
  label_ = fmt::format("node '{}' ({})", name, proto.op_type());
}

Status NodeView::expectInputs(int minCount, int maxCount) const {
  if (proto.input_size() < minCount || proto.input_size() > maxCount) {
    std::string range =
        minCount == maxCount ? std::to_string(minCount) : fmt::format("{} to {}", minCount, maxCount);
    return error(fmt::format("has {} inputs, expected {}", proto.input_size(), range));
  }
  for (int i = 0; i < minCount; ++i)
    if (proto.input(i).empty()) return error(fmt::format("required input {} is empty", i));
  return Status::success();
}

Status NodeView::expectOutputs(int count) const {
  if (proto.output_size() < 1 || proto.output(0).empty()) return error("has no output");
  for (int i = count; i < proto.output_size(); ++i)
    if (!proto.output(i).empty())
      return unsupported(fmt::format("output {} ('{}') is not supported", i, proto.output(i)));
  return Status::success();
}

Expected<ir::Value*> NodeView::input(int i) const {
  if (!hasInput(i)) return error(fmt::format("input {} is missing", i));
  ir::Value* v = ctx.value(proto.input(i));
  if (!v) return error(fmt::format("input '{}' is not defined", proto.input(i)));
  return v;
}

Expected<ir::TensorDataPtr> NodeView::constantInput(int i, const std::string& what) const {
  if (!hasInput(i)) return error(fmt::format("{} (input {}) is missing", what, i));
  ir::TensorDataPtr data = ctx.constantOf(proto.input(i));
  if (data) return data;
  std::string message = fmt::format(
      "{} (input '{}') must be a constant (an initializer or a Constant output); it is computed at run time",
      what, proto.input(i));
  if (const ir::Value* source = nonStaticShapeSource(ctx.value(proto.input(i))))
    message +=
        fmt::format(" from the shape of '{}' ({}), which is not static: bind the input shapes to fold it",
                    source->name, source->type.str());
  const ir::Value* value = ctx.value(proto.input(i));
  if (value && !value->producer)
    message += fmt::format(
        ": it is a graph input; fix its value at compile time (nutshell-run --bind {}=FILE, "
        "or CompileOptions::bindings)",
        proto.input(i));
  return unsupported(message);
}

Expected<std::vector<int64_t>> NodeView::constantInts(int i, const std::string& what) const {
  NUTSHELL_ASSIGN(ir::TensorDataPtr data, constantInput(i, what));
  if (data->type.rank() > 1)
    return error(fmt::format("{} must be a 1-D tensor, got {}", what, data->type.str()));
  if (!ir::isFloatType(data->type.dtype)) return data->i64;  // every integer type and bool
  std::vector<int64_t> ints;
  for (float f : data->f32) {
    if (!std::isfinite(f) || f != std::trunc(f) || std::fabs(f) > 9.0e18f)
      return error(fmt::format("{} must hold integers, got {}", what, f));
    ints.push_back(int64_t(f));
  }
  return ints;
}

Expected<double> NodeView::constantScalar(int i, const std::string& what) const {
  NUTSHELL_ASSIGN(ir::TensorDataPtr data, constantInput(i, what));
  if (data->numElements() != 1)
    return error(fmt::format("{} must be a scalar, got {}", what, data->type.str()));
  return data->at(0);
}

const AttributeProto* NodeView::findAttr(std::string_view name) const {
  for (const auto& a : proto.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

namespace {
std::string attrTypeName(int type) {
  switch (type) {
    case AttributeProto::FLOAT:
      return "float";
    case AttributeProto::INT:
      return "int";
    case AttributeProto::STRING:
      return "string";
    case AttributeProto::TENSOR:
      return "tensor";
    case AttributeProto::GRAPH:
      return "graph";
    case AttributeProto::FLOATS:
      return "floats";
    case AttributeProto::INTS:
      return "ints";
    case AttributeProto::STRINGS:
      return "strings";
    case AttributeProto::TENSORS:
      return "tensors";
    case AttributeProto::GRAPHS:
      return "graphs";
    case AttributeProto::SPARSE_TENSOR:
      return "sparse tensor";
    default:
      return "undefined";
  }
}
/// The attribute kinds whose fields are set in `a` (an empty list is not set).
std::vector<int> fieldsSet(const AttributeProto& a) {
  std::vector<int> kinds;
  if (a.has_f()) kinds.push_back(AttributeProto::FLOAT);
  if (a.has_i()) kinds.push_back(AttributeProto::INT);
  if (a.has_s()) kinds.push_back(AttributeProto::STRING);
  if (a.has_t()) kinds.push_back(AttributeProto::TENSOR);
  if (a.has_g()) kinds.push_back(AttributeProto::GRAPH);
  if (a.has_sparse_tensor()) kinds.push_back(AttributeProto::SPARSE_TENSOR);
  if (a.floats_size()) kinds.push_back(AttributeProto::FLOATS);
  if (a.ints_size()) kinds.push_back(AttributeProto::INTS);
  if (a.strings_size()) kinds.push_back(AttributeProto::STRINGS);
  if (a.tensors_size()) kinds.push_back(AttributeProto::TENSORS);
  if (a.graphs_size()) kinds.push_back(AttributeProto::GRAPHS);
  if (a.sparse_tensors_size()) kinds.push_back(AttributeProto::SPARSE_TENSORS);
  return kinds;
}

bool isListKind(int type) {
  return type == AttributeProto::FLOATS || type == AttributeProto::INTS || type == AttributeProto::STRINGS ||
         type == AttributeProto::TENSORS || type == AttributeProto::GRAPHS ||
         type == AttributeProto::SPARSE_TENSORS;
}
}  // namespace

Status NodeView::checkAttributes() const {
  std::set<std::string> seen;
  for (const AttributeProto& a : proto.attribute()) {
    if (a.name().empty()) return error("has an attribute without a name");
    if (!seen.insert(a.name()).second) return error(fmt::format("attribute '{}' is given twice", a.name()));
    if (a.has_ref_attr_name()) continue;  // a function-body reference; refused by the op's converter
    std::vector<int> kinds = fieldsSet(a);
    if (kinds.size() > 1)
      return error(fmt::format("attribute '{}' sets both {} and {} values", a.name(), attrTypeName(kinds[0]),
                               attrTypeName(kinds[1])));
    // Models from IR version 1 may leave `type` out; the one field set says it.
    if (a.type() == AttributeProto::UNDEFINED) continue;
    const bool matches = kinds.empty() ? isListKind(a.type()) : kinds[0] == a.type();
    if (!matches)
      return error(fmt::format(
          "attribute '{}' has type {} but {}", a.name(), attrTypeName(a.type()),
          kinds.empty() ? std::string("no value") : "holds a " + attrTypeName(kinds[0]) + " value"));
  }
  return Status::success();
}

#define NUTSHELL_CHECK_ATTR_TYPE(a, expected)                                      \
  if ((a)->type() != AttributeProto::expected)                                     \
  return error(fmt::format("attribute '{}' has type {}, expected {}", (a)->name(), \
                           attrTypeName((a)->type()), attrTypeName(AttributeProto::expected)))

Expected<int64_t> NodeView::intAttr(std::string_view name, int64_t fallback) const {
  const AttributeProto* a = findAttr(name);
  if (!a) return fallback;
  NUTSHELL_CHECK_ATTR_TYPE(a, INT);
  return int64_t(a->i());
}

Expected<double> NodeView::floatAttr(std::string_view name, double fallback) const {
  const AttributeProto* a = findAttr(name);
  if (!a) return fallback;
  NUTSHELL_CHECK_ATTR_TYPE(a, FLOAT);
  return double(a->f());
}

Expected<std::string> NodeView::stringAttr(std::string_view name, const std::string& fallback) const {
  const AttributeProto* a = findAttr(name);
  if (!a) return fallback;
  NUTSHELL_CHECK_ATTR_TYPE(a, STRING);
  return a->s();
}

Expected<std::vector<int64_t>> NodeView::intsAttr(std::string_view name,
                                                  std::vector<int64_t> fallback) const {
  const AttributeProto* a = findAttr(name);
  if (!a) return fallback;
  NUTSHELL_CHECK_ATTR_TYPE(a, INTS);
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Expected<std::vector<double>> NodeView::floatsAttr(std::string_view name) const {
  const AttributeProto* a = findAttr(name);
  if (!a) return std::vector<double>{};
  NUTSHELL_CHECK_ATTR_TYPE(a, FLOATS);
  return std::vector<double>(a->floats().begin(), a->floats().end());
}

Expected<std::vector<std::string>> NodeView::stringsAttr(std::string_view name) const {
  const AttributeProto* a = findAttr(name);
  if (!a) return std::vector<std::string>{};
  NUTSHELL_CHECK_ATTR_TYPE(a, STRINGS);
  return std::vector<std::string>(a->strings().begin(), a->strings().end());
}

Expected<ir::TensorDataPtr> NodeView::tensorAttr(std::string_view name) const {
  const AttributeProto* a = findAttr(name);
  if (!a) return error(fmt::format("attribute '{}' is missing", name));
  NUTSHELL_CHECK_ATTR_TYPE(a, TENSOR);
  return convertTensor(a->t(), fmt::format("{}: attribute '{}'", label_, name), ctx.baseDir);
}

#undef NUTSHELL_CHECK_ATTR_TYPE

Expected<int64_t> NodeView::normalizeAxis(int64_t axis, size_t rank, const std::string& what) const {
  const int64_t r = int64_t(rank);
  if (axis < -r || axis >= r)
    return error(fmt::format("{} {} is out of range for rank {}", what, axis, rank));
  return axis < 0 ? axis + r : axis;
}

std::string NodeView::helperName(const std::string& suffix) const {
  for (const auto& out : proto.output())
    if (!out.empty()) return out + "_" + suffix;
  return suffix;
}

Expected<ir::Node*> NodeView::add(ir::OpKind op, std::vector<ir::Value*> operands, ir::AttrMap attrs,
                                  std::vector<std::string> names) const {
  const ir::OpInfo& info = ir::opInfo(op);
  std::vector<ir::TensorType> placeholders(size_t(info.numResults));
  ir::Node* node =
      ctx.graph.addNode(op, std::move(operands), std::move(placeholders), std::move(attrs), std::move(names));
  if (Status accepted = ir::checkOperandDTypes(*node); !accepted) {
    std::string message = accepted.message();
    ctx.graph.eraseNode(node);
    return unsupported(message);
  }
  auto types = ir::inferResultTypes(*node);
  if (!types) {
    std::string message = types.message();
    ctx.graph.eraseNode(node);
    return error(message);
  }
  if (types->size() != node->results.size()) {
    ctx.graph.eraseNode(node);
    return error(fmt::format("shape rule of {} gave {} result types", info.name, types->size()));
  }
  for (size_t i = 0; i < types->size(); ++i) node->results[i]->type = (*types)[i];
  return node;
}

Status NodeView::emit(ir::OpKind op, std::vector<ir::Value*> operands, ir::AttrMap attrs) const {
  std::vector<std::string> names;
  for (const auto& out : proto.output()) names.push_back(out);
  NUTSHELL_ASSIGN(ir::Node * node, add(op, std::move(operands), std::move(attrs), std::move(names)));
  for (int i = 0; i < proto.output_size() && i < int(node->results.size()); ++i)
    bindOutput(i, node->results[size_t(i)]);
  return Status::success();
}

void NodeView::bindOutput(int i, ir::Value* value) const {
  if (i < proto.output_size() && !proto.output(i).empty()) ctx.defineValue(proto.output(i), value);
}

}  // namespace nutshell::onnx
