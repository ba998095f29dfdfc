// Graph-level shape inference (inferShapes, bindInputShapes), numpy
// broadcasting, and the helpers the shape rules share.
#include "ir/ShapeInference.h"

#include <algorithm>

#include "ir/ShapeRuleSupport.h"
#include "ir/Verifier.h"

namespace nutshell::ir {
namespace rules {

std::string dimStr(const Dim& d) { return d.isStatic() ? std::to_string(d.size) : d.symbol; }

bool typesCompatible(const TensorType& a, const TensorType& b) {
  if (a.dtype != b.dtype || a.rank() != b.rank()) return false;
  for (size_t i = 0; i < a.rank(); ++i) {
    // `?` matches anything; two symbols must be the same one.
    if (isUnknown(a.dims[i]) || isUnknown(b.dims[i])) continue;
    if (!(a.dims[i] == b.dims[i])) return false;
  }
  return true;
}

Error nodeError(const Node& node, const std::string& message) {
  std::string text = node.describe() + ": " + message;
  if (!node.operands.empty()) {
    text += " (";
    for (size_t i = 0; i < node.operands.size(); ++i) {
      if (i) text += ", ";
      text += node.info().operandName(i) + ": ";
      text += node.operands[i] ? node.operands[i]->type.str() : "null";
    }
    text += ")";
  }
  return makeError(text);
}

bool checkedMul(int64_t a, int64_t b, int64_t& out) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r) || r > kMaxElements || r < -kMaxElements) return false;
  out = r;
  return true;
}

bool checkedAdd(int64_t a, int64_t b, int64_t& out) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r) || r > kMaxElements || r < -kMaxElements) return false;
  out = r;
  return true;
}

Expected<int64_t> normalizeAxis(const Node& node, int64_t axis, int64_t rank, std::string_view what) {
  if (axis < -rank || axis >= rank)
    return nodeError(node, std::string(what) + " " + std::to_string(axis) + " out of range for rank " +
                               std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Status requireRank(const Node& node, size_t operand, size_t rank) {
  const TensorType& t = node.operands[operand]->type;
  if (t.rank() != rank)
    return nodeError(node, node.info().operandName(operand) + " must have rank " + std::to_string(rank) +
                               ", got " + t.str());
  return Status::success();
}

static Status requireDType(const Node& node, size_t operand, DType dtype) {
  const TensorType& t = node.operands[operand]->type;
  if (t.dtype != dtype)
    return nodeError(node, node.info().operandName(operand) + " must be " + std::string(dtypeName(dtype)) +
                               ", got " + t.str());
  return Status::success();
}
Status requireF32(const Node& node, size_t operand) { return requireDType(node, operand, DType::F32); }
Status requireI64(const Node& node, size_t operand) { return requireDType(node, operand, DType::I64); }

std::optional<std::vector<int64_t>> knownValues(const Value* value, int depth) {
  // Shape sub-graphs are short; the limits keep odd graphs cheap.
  if (!value || !value->producer || depth > 32 || value->type.dtype != DType::I64) return std::nullopt;
  int64_t count = value->type.numElements();
  if (count < 0 || count > 4096) return std::nullopt;
  const Node& node = *value->producer;
  auto operandValues = [&](size_t i) -> std::optional<std::vector<int64_t>> {
    if (i >= node.operands.size()) return std::nullopt;
    return knownValues(node.operands[i], depth + 1);
  };
  std::optional<std::vector<int64_t>> result;
  // An if-chain, not a switch: only these ops pass shape values through.
  OpKind op = node.op;
  if (op == OpKind::Const) {
    if (node.constant && !node.constant->elided && node.constant->type.dtype == DType::I64)
      result = node.constant->i64;
  } else if (op == OpKind::Identity || op == OpKind::Unsqueeze || op == OpKind::Squeeze || op == OpKind::Reshape ||
             op == OpKind::Flatten) {
    result = operandValues(0);
  } else if (op == OpKind::Shape) {
    if (node.operands.empty() || !node.operands[0] || !verifyAttributes(node)) return std::nullopt;
    const TensorType& t = node.operands[0]->type;
    int64_t rank = int64_t(t.rank());
    int64_t start = node.getInt("start"), end = node.getInt("end");
    if (start < 0) start = std::max<int64_t>(start, -rank) + rank;
    if (end < 0) end = std::max<int64_t>(end, -rank) + rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    std::vector<int64_t> dims;
    for (int64_t i = start; i < end; ++i) {
      if (!t.dims[size_t(i)].isStatic()) return std::nullopt;
      dims.push_back(t.dims[size_t(i)].size);
    }
    result = dims;
  } else if (op == OpKind::Gather) {
    auto data = operandValues(0), indices = operandValues(1);
    if (!data || !indices || node.operands[0]->type.rank() != 1) return std::nullopt;
    std::vector<int64_t> picked;
    int64_t n = int64_t(data->size());
    for (int64_t index : *indices) {
      if (index < -n || index >= n) return std::nullopt;
      picked.push_back((*data)[size_t(index < 0 ? index + n : index)]);
    }
    result = picked;
  } else if (op == OpKind::Concat) {
    std::vector<int64_t> joined;
    for (size_t i = 0; i < node.operands.size(); ++i) {
      auto part = operandValues(i);
      if (!part || node.operands[i]->type.rank() > 1) return std::nullopt;
      joined.insert(joined.end(), part->begin(), part->end());
    }
    result = joined;
  } else if (op == OpKind::Cast) {
    // Only i64 -> i64 keeps values exactly; f32 sources are not tracked.
    if (!node.operands.empty() && node.operands[0] && node.operands[0]->type.dtype == DType::I64)
      result = operandValues(0);
  }
  if (result && int64_t(result->size()) != count) return std::nullopt;
  return result;
}

}  // namespace rules

Expected<std::vector<Dim>> broadcastDims(const std::vector<Dim>& a, const std::vector<Dim>& b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<Dim> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; missing dims count as 1.
    Dim da = i < rank - a.size() ? Dim(1) : a[i - (rank - a.size())];
    Dim db = i < rank - b.size() ? Dim(1) : b[i - (rank - b.size())];
    if (da.isStatic() && db.isStatic()) {
      if (da.size != db.size && da.size != 1 && db.size != 1)
        return makeError("cannot broadcast " + TensorType(DType::F32, a).str().substr(3) + " with " +
                         TensorType(DType::F32, b).str().substr(3));
      out[i] = da.size == 1 ? db : da;
    } else if (da.isStatic()) {
      // A symbol against 1 keeps the symbol; against n it must be 1 or n: n.
      out[i] = da.size == 1 ? db : da;
    } else if (db.isStatic()) {
      out[i] = db.size == 1 ? da : db;
    } else {
      out[i] = da == db ? da : rules::unknownDim();
    }
  }
  return out;
}

Status inferShapes(Graph& graph) {
  for (const auto& node : graph.nodes()) {
    NUTSHELL_ASSIGN(std::vector<TensorType> types, inferResultTypes(*node));
    if (types.size() != node->results.size())
      return rules::nodeError(*node, "has " + std::to_string(node->results.size()) + " results, expected " +
                                         std::to_string(types.size()));
    for (size_t i = 0; i < types.size(); ++i) node->results[i]->type = std::move(types[i]);
  }
  return Status::success();
}

Status bindInputShapes(Graph& graph, const std::map<std::string, std::vector<int64_t>>& shapes) {
  std::map<std::string, int64_t> symbols;
  for (const auto& [name, shape] : shapes) {
    auto it = std::find_if(graph.inputs.begin(), graph.inputs.end(), [&](Value* v) { return v->name == name; });
    if (it == graph.inputs.end())
      return makeError("input shapes: the graph has no input named '" + name + "'");
    const TensorType& type = (*it)->type;
    std::string given = TensorType(type.dtype, std::vector<Dim>(shape.begin(), shape.end())).str();
    if (shape.size() != type.rank())
      return makeError("input '" + name + "' has type " + type.str() + " but the shape given is " + given);
    for (size_t i = 0; i < shape.size(); ++i) {
      const Dim& d = type.dims[i];
      if (shape[i] < 0 || shape[i] > kMaxElements)
        return makeError("input '" + name + "': dims too large or negative in " + given);
      if (d.isStatic()) {
        if (d.size != shape[i])
          return makeError("input '" + name + "' has type " + type.str() + " but the shape given is " + given);
        continue;
      }
      auto [pos, inserted] = symbols.emplace(d.symbol, shape[i]);
      if (!inserted && pos->second != shape[i])
        return makeError("symbol " + d.symbol + " bound to both " + std::to_string(pos->second) + " and " +
                         std::to_string(shape[i]));
    }
  }
  auto bind = [&](TensorType& type) {
    for (Dim& d : type.dims) {
      auto it = d.isStatic() ? symbols.end() : symbols.find(d.symbol);
      if (it != symbols.end()) d = Dim(it->second);
    }
  };
  for (Value* input : graph.inputs) {
    bind(input->type);
    for (const Dim& d : input->type.dims)
      if (!d.isStatic())
        return makeError("input '" + input->name + "' (" + input->type.str() + ") has unbound symbol " +
                         d.symbol +
                         "; bind its shape (nutshell-run --input-shape, or CompileOptions::inputShapes)");
  }
  // `empty` buffers carry their type as written; bind their symbols too.
  for (const auto& node : graph.nodes())
    if (node->op == OpKind::Empty)
      for (Value* result : node->results) bind(result->type);
  return inferShapes(graph);
}

Status bindInputValues(Graph& graph, const std::map<std::string, TensorDataPtr>& values) {
  for (const auto& [name, data] : values) {
    auto it =
        std::find_if(graph.inputs.begin(), graph.inputs.end(), [&](Value* v) { return v->name == name; });
    if (it == graph.inputs.end())
      return makeError("bound value: the graph has no input named '" + name + "'");
    Value* input = *it;
    if (!data || data->elided) return makeError("bound value for input '" + name + "' has no values");
    bool fits = data->type.dtype == input->type.dtype && data->type.rank() == input->type.rank() &&
                data->type.isStatic() && int64_t(data->storedCount()) == data->numElements();
    for (size_t d = 0; fits && d < input->type.rank(); ++d)
      fits = !input->type.dims[d].isStatic() || input->type.dims[d].size == data->type.dims[d].size;
    if (!fits)
      return makeError("input '" + name + "' has type " + input->type.str() + " but the value bound is " +
                       data->type.str());
    Value* constant = graph.nodes().empty()
                          ? graph.addConstant(data, name)
                          : graph.insertConstantBefore(graph.nodes().front().get(), data, name);
    graph.replaceAllUsesWith(input, constant);
    graph.inputs.erase(it);
  }
  return inferShapes(graph);
}

}  // namespace nutshell::ir
