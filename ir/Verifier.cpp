// Structural and type checks of graphs and nodes. The table-driven parts
// (arity, attribute names, kinds and value ranges) come from ops.def; what
// is left here relates attributes to each other (act_params to act, slice
// lengths) or to operands.
#include "ir/Verifier.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "ir/Activation.h"
#include "ir/ShapeInference.h"
#include "ir/ShapeRuleSupport.h"

namespace nutshell::ir {
namespace {

/// `node '%name' (op): message`, for errors where operand shapes do not matter.
Error attrError(const Node& node, const std::string& message) {
  return makeError(node.describe() + ": " + message);
}

Status checkInts(const Node& node, const std::string& name, size_t size, int64_t lo, int64_t hi) {
  const auto& values = node.getInts(name);
  std::string text = formatAttrValue(AttrValue(values));
  if (size && values.size() != size)
    return attrError(node, "attribute '" + name + "' must have " + std::to_string(size) + " entries, got " + text);
  for (int64_t v : values)
    if (v < lo || v > hi)
      return attrError(node, "attribute '" + name + "' = " + text + " must have entries in [" + std::to_string(lo) +
                                 ", " + std::to_string(hi) + "]");
  return Status::success();
}

Status checkInt(const Node& node, const std::string& name, int64_t lo, int64_t hi) {
  int64_t v = node.getInt(name);
  if (v < lo || v > hi)
    return attrError(node, "attribute '" + name + "' = " + std::to_string(v) + " must be in [" + std::to_string(lo) +
                               ", " + std::to_string(hi) + "]");
  return Status::success();
}

std::string joined(const std::vector<std::string_view>& names) {
  std::string s;
  for (std::string_view n : names) s += (s.empty() ? "" : "|") + std::string(n);
  return s;
}

/// The range column of ops.def for one attribute (explicit or default).
Status checkTableRange(const Node& node, const AttrSpec& spec) {
  const AttrRange& range = attrRange(node.op, spec.name);
  std::string name(spec.name);
  if (!range.choices.empty() && spec.kind == AttrKind::String) {
    const std::string& v = node.getString(name);
    if (std::find(range.choices.begin(), range.choices.end(), v) == range.choices.end())
      return attrError(node, "attribute '" + name + "' = " + formatAttrValue(AttrValue(v)) +
                                 " must be one of " + joined(range.choices));
  }
  if (!range.bounded) return Status::success();
  if (spec.kind == AttrKind::Ints)
    return checkInts(node, name, range.entries, int64_t(range.lo), int64_t(range.hi));
  if (spec.kind == AttrKind::Int) return checkInt(node, name, int64_t(range.lo), int64_t(range.hi));
  if (spec.kind == AttrKind::Float) {
    double v = node.getFloat(name);
    if (!(v >= range.lo && v <= range.hi))
      return attrError(node,
                       "attribute '" + name + "' must be " +
                           (std::isinf(range.hi) ? ">= " + formatAttrValue(AttrValue(range.lo))
                                                 : "in [" + formatAttrValue(AttrValue(range.lo)) + ", " +
                                                       formatAttrValue(AttrValue(range.hi)) + "]"));
  }
  return Status::success();
}

/// Checks that relate an attribute to others, or depend on the op.
Status checkAttrRelations(const Node& node, const std::string& name) {
  if (name == "act_params") {
    const std::string& act = node.getString("act");
    size_t n = node.getFloats(name).size();
    Expected<Activation> named = activationNamed(act, {});
    size_t allowed = named ? named->params().size() : 0;
    if (n != 0 && n != allowed)
      return attrError(node, "attribute 'act_params' has " + std::to_string(n) + " entries; act \"" + act +
                                 "\" takes " + std::to_string(allowed));
    return Status::success();
  }
  if (node.op == OpKind::FusedElementwise && name == "steps") {
    const auto& steps = node.getStrings(name);
    if (steps.empty()) return attrError(node, "attribute 'steps' must not be empty");
    for (const std::string& step : steps)
      if (!isChainStepName(step))
        return attrError(node,
                         "step \"" + step + "\" in attribute 'steps' must be one of " + chainStepNames());
    return Status::success();
  }
  if (node.op == OpKind::FusedElementwise && name == "params") {
    size_t n = node.getFloats(name).size(), steps = node.getStrings("steps").size();
    if (n != 0 && n != 2 * steps)
      return attrError(node, "attribute 'params' has " + std::to_string(n) + " entries; " + std::to_string(steps) +
                                 " steps need " + std::to_string(2 * steps));
    return Status::success();
  }
  if (node.op == OpKind::Slice && name == "starts") {
    size_t n = node.getInts("starts").size();
    if (n == 0) return attrError(node, "attribute 'starts' must not be empty");
    if (node.getInts("ends").size() != n) return attrError(node, "attributes 'starts' and 'ends' differ in length");
    for (const char* other : {"axes", "steps"})
      if (!node.getInts(other).empty() && node.getInts(other).size() != n)
        return attrError(node, std::string("attribute '") + other + "' must be empty or as long as 'starts'");
    for (int64_t step : node.getInts("steps"))
      if (step == 0) return attrError(node, "attribute 'steps' must not contain 0");
    return Status::success();
  }
  return Status::success();
}

/// Article-prefixed kind for messages: "an int list", "a string".
std::string kindPhrase(AttrKind kind) {
  std::string name(attrKindName(kind));
  return (name[0] == 'i' ? "an " : "a ") + name;
}

Status verifyConstPayload(const Node& node) {
  if (!node.constant) return attrError(node, "const node has no payload");
  const TensorData& data = *node.constant;
  const TensorType& type = node.results[0]->type;
  if (!(data.type == type))
    return attrError(node, "payload type " + data.type.str() + " != result type " + type.str());
  if (!type.isStatic()) return attrError(node, "const type " + type.str() + " must be static");
  int64_t n = type.numElements();
  if (n < 0) return attrError(node, "dims too large: " + type.str());
  if (data.elided) return Status::success();
  size_t f32 = data.f32.size(), i64 = data.i64.size();
  size_t have = isFloatType(type.dtype) ? f32 : i64;
  size_t other = isFloatType(type.dtype) ? i64 : f32;
  if (int64_t(have) != n || other != 0)
    return attrError(node, "const payload has " + std::to_string(have) + " values, type " + type.str() + " needs " +
                               std::to_string(n));
  // Integer payloads live in i64: each value must fit the declared type.
  if (!isFloatType(type.dtype) && type.dtype != DType::I64) {
    const int64_t lo = type.dtype == DType::I32 ? INT32_MIN : type.dtype == DType::I8 ? INT8_MIN : 0;
    const int64_t hi = type.dtype == DType::I32  ? INT32_MAX
                       : type.dtype == DType::I8 ? INT8_MAX
                       : type.dtype == DType::U8 ? UINT8_MAX
                                                 : 1;
    for (int64_t v : data.i64)
      if (v < lo || v > hi)
        return attrError(node, "const value " + std::to_string(v) + " does not fit " + type.str());
  }
  return Status::success();
}

Status verifyTypeSize(const std::string& what, const TensorType& type) {
  for (const Dim& d : type.dims) {
    if (d.isStatic() && d.size > kMaxElements) return makeError(what + ": dims too large: " + type.str());
    if (!d.isStatic() && d.symbol.empty()) return makeError(what + ": empty dim symbol in " + type.str());
  }
  if (type.isStatic() && type.numElements() < 0) return makeError(what + ": dims too large: " + type.str());
  return Status::success();
}

}  // namespace

Status verifyAttributes(const Node& node) {
  const OpInfo& info = node.info();
  for (const auto& [name, value] : node.attrs) {
    const AttrSpec* spec = info.findAttr(name);
    if (!spec) {
      std::string known;
      for (const AttrSpec& s : info.attrs) known += (known.empty() ? "" : ", ") + std::string(s.name);
      return attrError(node, "unknown attribute '" + name + "'" +
                                 (known.empty() ? " (the op takes none)" : " (known: " + known + ")"));
    }
    if (kindOf(value) != spec->kind)
      return attrError(node, "attribute '" + name + "' must be " + kindPhrase(spec->kind) + ", got " +
                                 kindPhrase(kindOf(value)) + " " + formatAttrValue(value));
  }
  for (const AttrSpec& spec : info.attrs)
    if (spec.required() && !node.hasAttr(std::string(spec.name)))
      return attrError(node, "missing required attribute '" + std::string(spec.name) + "' (" +
                                 kindPhrase(spec.kind) + ")");
  for (const AttrSpec& spec : info.attrs) {
    NUTSHELL_TRY(checkTableRange(node, spec));
    NUTSHELL_TRY(checkAttrRelations(node, std::string(spec.name)));
  }
  return Status::success();
}

Status verifyNode(const Node& node) {
  const OpInfo& info = node.info();
  if (int(node.results.size()) != info.numResults)
    return attrError(node, "has " + std::to_string(node.results.size()) + " results, expected " +
                               std::to_string(info.numResults));
  for (const Value* result : node.results)
    if (!result) return attrError(node, "null result");
  // Arity, null operands and attributes are checked by inferResultTypes first.
  for (const Value* operand : node.operands)
    if (operand) NUTSHELL_TRY(verifyTypeSize("node '%" + node.name() + "' operand %" + operand->name, operand->type));
  for (const Value* result : node.results)
    NUTSHELL_TRY(verifyTypeSize("node '%" + node.name() + "' (" + std::string(info.name) + ") result", result->type));
  if (node.op == OpKind::Const) {
    if (!node.operands.empty()) return attrError(node, "const takes no operands");
    NUTSHELL_TRY(verifyConstPayload(node));
  } else if (node.constant) {
    return attrError(node, "only const nodes carry a payload");
  }
  NUTSHELL_ASSIGN(std::vector<TensorType> inferred, inferResultTypes(node));
  if (inferred.size() != node.results.size())
    return attrError(node, "shape rule gives " + std::to_string(inferred.size()) + " results");
  for (size_t i = 0; i < inferred.size(); ++i) {
    const TensorType& declared = node.results[i]->type;
    if (!rules::typesCompatible(declared, inferred[i])) {
      std::string which = node.results.size() > 1 ? "result %" + node.results[i]->name + " type " : "result type ";
      return rules::nodeError(node, which + declared.str() + " != inferred " + inferred[i].str());
    }
  }
  return Status::success();
}

Status verifyGraph(const Graph& graph) {
  std::unordered_set<const Value*> all, defined;
  std::unordered_set<std::string> names;
  for (const Value* input : graph.inputs) {
    if (input) all.insert(input);
  }
  for (const auto& node : graph.nodes())
    for (const Value* result : node->results)
      if (result) all.insert(result);

  auto define = [&](const Value* value, const std::string& what) -> Status {
    if (value->name.empty()) return makeError(what + " has an empty name");
    if (!names.insert(value->name).second) return makeError("duplicate value name %" + value->name);
    defined.insert(value);
    return Status::success();
  };
  for (const Value* input : graph.inputs) {
    if (!input) return makeError("graph input is null");
    NUTSHELL_TRY(define(input, "graph input"));
    if (input->producer) return makeError("graph input %" + input->name + " has a producer");
    NUTSHELL_TRY(verifyTypeSize("graph input %" + input->name, input->type));
  }
  for (const auto& node : graph.nodes()) {
    for (size_t i = 0; i < node->operands.size(); ++i) {
      const Value* operand = node->operands[i];
      if (!operand) continue;  // reported by verifyNode
      if (!all.count(operand))
        return attrError(*node, "operand %" + operand->name + " is not defined in the graph");
      if (!defined.count(operand))
        return attrError(*node, "operand %" + operand->name + " is used before its definition");
    }
    NUTSHELL_TRY(verifyNode(*node));
    for (const Value* result : node->results) {
      if (result->producer != node.get())
        return attrError(*node, "result %" + result->name + " does not point back to its node");
      NUTSHELL_TRY(define(result, "node result"));
    }
  }
  if (graph.outputs.empty()) return makeError("graph @" + graph.name + " has no outputs");
  for (const Value* output : graph.outputs) {
    if (!output) return makeError("graph output is null");
    if (!defined.count(output)) return makeError("graph output %" + output->name + " is not defined in the graph");
  }
  return Status::success();
}

}  // namespace nutshell::ir
