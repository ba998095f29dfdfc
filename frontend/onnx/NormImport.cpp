// Converters for the normalisations over computed statistics:
// LayerNormalization (layer_norm, all three outputs), InstanceNormalization
// and GroupNormalization (both group_norm: instance norm is one group per
// channel). BatchNormalization and LRN are in ConvPoolImport.cpp.
#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::AttrMap;
using ir::OpKind;

/// `v` broadcast to `dims` (an expand node) unless it has them already.
Expected<ir::Value*> broadcastTo(NodeView& node, ir::Value* v, const std::vector<ir::Dim>& dims,
                                 const std::string& what) {
  if (v->type.dims == dims) return v;
  std::vector<int64_t> shape;
  for (const ir::Dim& d : dims) {
    if (!d.isStatic())
      return node.unsupported(fmt::format("{} {} broadcast to the symbolic dims {}", what, v->type.str(),
                                          ir::TensorType(v->type.dtype, dims).str()));
    shape.push_back(d.size);
  }
  NUTSHELL_ASSIGN(ir::Node * expand,
                  node.add(OpKind::Expand, {v}, {{"shape", shape}}, {node.helperName(what)}));
  if (!(expand->result()->type.dims == dims))
    return node.error(fmt::format("{} {} does not broadcast to {}", what, v->type.str(),
                                  ir::TensorType(v->type.dtype, dims).str()));
  return expand->result();
}

/// LayerNormalization (opset 17): normalises over the axes [axis, rank).
/// Mean and InvStdDev, when the node names them, are layer_norm's other
/// results; scale and bias that broadcast to the normalised dims are
/// expanded to them.
Status importLayerNorm(NodeView& node) {
  if (node.opset() < 17)
    return node.error(
        fmt::format("LayerNormalization is an opset-17 op; the model imports opset {}", node.opset()));
  NUTSHELL_TRY(node.expectInputs(2, 3));
  NUTSHELL_TRY(node.expectOutputs(3));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (x->type.rank() == 0) return node.error("input must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, node.intAttr("axis", -1));
  NUTSHELL_ASSIGN(axis, node.normalizeAxis(axis, x->type.rank(), "axis"));
  NUTSHELL_ASSIGN(double epsilon, node.floatAttr("epsilon", 1e-5));
  NUTSHELL_ASSIGN(int64_t stash, node.intAttr("stash_type", 1));
  if (stash != 1)
    return node.unsupported(fmt::format("stash_type {} (nutshell computes statistics in float)", stash));
  const std::vector<ir::Dim> normalized(x->type.dims.begin() + axis, x->type.dims.end());
  std::vector<ir::Value*> operands{x};
  for (int i = 1; i < node.proto.input_size(); ++i) {
    if (!node.hasInput(i)) continue;  // an absent bias
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    NUTSHELL_ASSIGN(v, broadcastTo(node, v, normalized, i == 1 ? "scale" : "bias"));
    operands.push_back(v);
  }
  return node.emit(OpKind::LayerNorm, operands, {{"axis", axis}, {"epsilon", epsilon}});
}

/// The channel count of an N,C,... input, which group_norm needs statically.
Expected<int64_t> channels(NodeView& node, const ir::Value* x) {
  if (x->type.rank() < 2) return node.error(fmt::format("input must be [N,C,...], got {}", x->type.str()));
  const ir::Dim& c = x->type.dims[1];
  if (!c.isStatic()) return node.unsupported(fmt::format("a symbolic channel count {}", c.symbol));
  return c.size;
}

Status importInstanceNorm(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(3, 3));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(double epsilon, node.floatAttr("epsilon", 1e-5));
  std::vector<ir::Value*> operands;
  for (int i = 0; i < 3; ++i) {
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    operands.push_back(v);
  }
  NUTSHELL_ASSIGN(int64_t c, channels(node, operands[0]));
  if (c < 1) return node.error("input has no channels");
  return node.emit(OpKind::GroupNorm, operands, {{"num_groups", c}, {"epsilon", epsilon}});
}

/// GroupNormalization (opset 18): scale and bias have one value per group,
/// repeated here for each of the group's channels (unsqueeze, expand,
/// reshape; a constant folds). One value per channel (opset 21's form) is
/// taken as it is.
Status importGroupNorm(NodeView& node) {
  if (node.opset() < 18)
    return node.error(
        fmt::format("GroupNormalization is an opset-18 op; the model imports opset {}", node.opset()));
  NUTSHELL_TRY(node.expectInputs(3, 3));
  NUTSHELL_TRY(node.expectOutputs(1));
  if (!node.hasAttr("num_groups")) return node.error("attribute 'num_groups' is missing");
  NUTSHELL_ASSIGN(int64_t groups, node.intAttr("num_groups", 1));
  NUTSHELL_ASSIGN(double epsilon, node.floatAttr("epsilon", 1e-5));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(int64_t c, channels(node, x));
  if (groups < 1 || c % groups != 0)
    return node.error(fmt::format("channels {} not divisible by num_groups {}", c, groups));
  std::vector<ir::Value*> operands{x};
  for (int i = 1; i < 3; ++i) {
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    const std::string what = i == 1 ? "scale" : "bias";
    const bool perGroup = v->type.rank() == 1 && v->type.dims[0] == ir::Dim(groups) && groups != c;
    if (perGroup) {
      NUTSHELL_ASSIGN(ir::Node * column, node.add(OpKind::Unsqueeze, {v}, {{"axes", std::vector<int64_t>{1}}},
                                                  {node.helperName(what)}));
      NUTSHELL_ASSIGN(ir::Node * repeated, node.add(OpKind::Expand, {column->result()},
                                                    {{"shape", std::vector<int64_t>{groups, c / groups}}},
                                                    {node.helperName(what)}));
      NUTSHELL_ASSIGN(ir::Node * flat,
                      node.add(OpKind::Reshape, {repeated->result()}, {{"shape", std::vector<int64_t>{c}}},
                               {node.helperName(what)}));
      v = flat->result();
    }
    operands.push_back(v);
  }
  return node.emit(OpKind::GroupNorm, operands, {{"num_groups", groups}, {"epsilon", epsilon}});
}

}  // namespace

void addNormConverters(ConverterTable& table) {
  table["LayerNormalization"] = importLayerNorm;
  table["InstanceNormalization"] = importInstanceNorm;
  table["GroupNormalization"] = importGroupNorm;
}

}  // namespace nutshell::onnx
