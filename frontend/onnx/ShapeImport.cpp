// Converters for layout and shape ops: Reshape, Flatten, Transpose, Concat,
// Slice, Split (slices), Pad, Tile, Expand, DepthToSpace, SpaceToDepth,
// Shape, Gather, Unsqueeze, Squeeze, ConstantOfShape, Cast, Constant.
//
// Parameters ONNX passes as inputs (Slice starts, Pad pads, Unsqueeze axes,
// ...) must be constants at import and become attributes. Reshape's target
// may be computed (ONNX shape sub-graphs); it then stays an operand and the
// shape ops that compute it stay in the IR until fold-constants removes them.
#include <algorithm>

#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::AttrMap;
using ir::OpKind;

Status importReshape(NodeView& node) {
  if (node.opset() < 5) {
    // The target shape was an attribute before opset 5.
    NUTSHELL_TRY(node.expectInputs(1, 1));
    NUTSHELL_TRY(node.expectOutputs(1));
    NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
    NUTSHELL_ASSIGN(std::vector<int64_t> shape, node.intsAttr("shape"));
    return node.emit(OpKind::Reshape, {x}, {{"shape", shape}});
  }
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(int64_t allowZero, node.intAttr("allowzero", 0));
  if (node.ctx.constantOf(node.inputName(1))) {
    NUTSHELL_ASSIGN(std::vector<int64_t> shape, node.constantInts(1, "shape"));
    if (allowZero && std::find(shape.begin(), shape.end(), 0) != shape.end())
      return node.unsupported("allowzero=1 with a 0 in the shape (a real zero-size dim)");
    return node.emit(OpKind::Reshape, {x}, {{"shape", shape}});
  }
  if (allowZero) return node.unsupported("allowzero=1 with a computed shape");
  NUTSHELL_ASSIGN(ir::Value * shape, node.input(1));
  if (shape->type.dtype != ir::DType::I64 || shape->type.rank() != 1)
    return node.error(fmt::format("shape input must be i64[K], got {}", shape->type.str()));
  return node.emit(OpKind::Reshape, {x, shape});
}

Status importFlatten(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(int64_t axis, node.intAttr("axis", 1));
  const int64_t rank = int64_t(x->type.rank());
  if (axis < -rank || axis > rank)
    return node.error(fmt::format("axis {} is out of range for rank {}", axis, rank));
  if (axis < 0) axis += rank;
  return node.emit(OpKind::Flatten, {x}, {{"axis", axis}});
}

Status importTranspose(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(std::vector<int64_t> perm, node.intsAttr("perm"));
  AttrMap attrs;
  if (!perm.empty()) attrs["perm"] = perm;
  return node.emit(OpKind::Transpose, {x}, attrs);
}

Status importConcat(NodeView& node) {
  if (node.proto.input_size() < 1) return node.error("has no inputs");
  NUTSHELL_TRY(node.expectOutputs(1));
  std::vector<ir::Value*> operands;
  for (int i = 0; i < node.proto.input_size(); ++i) {
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    operands.push_back(v);
  }
  if (!node.hasAttr("axis")) return node.error("attribute 'axis' is missing");
  NUTSHELL_ASSIGN(int64_t axis, node.intAttr("axis", 0));
  NUTSHELL_ASSIGN(axis, node.normalizeAxis(axis, operands[0]->type.rank(), "axis"));
  return node.emit(OpKind::Concat, operands, {{"axis", axis}});
}

/// Slice: attributes before opset 10, constant inputs since.
Status importSlice(NodeView& node) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (node.opset() < 10) {
    NUTSHELL_TRY(node.expectInputs(1, 1));
    NUTSHELL_ASSIGN(starts, node.intsAttr("starts"));
    NUTSHELL_ASSIGN(ends, node.intsAttr("ends"));
    NUTSHELL_ASSIGN(axes, node.intsAttr("axes"));
  } else {
    NUTSHELL_TRY(node.expectInputs(3, 5));
    NUTSHELL_ASSIGN(starts, node.constantInts(1, "starts"));
    NUTSHELL_ASSIGN(ends, node.constantInts(2, "ends"));
    if (node.hasInput(3)) {
      NUTSHELL_ASSIGN(axes, node.constantInts(3, "axes"));
    }
    if (node.hasInput(4)) {
      NUTSHELL_ASSIGN(steps, node.constantInts(4, "steps"));
    }
  }
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (starts.size() != ends.size() || (!axes.empty() && axes.size() != starts.size()) ||
      (!steps.empty() && steps.size() != starts.size()))
    return node.error(fmt::format("starts, ends, axes and steps differ in length ({}, {}, {}, {})",
                                  starts.size(), ends.size(), axes.size(), steps.size()));
  for (int64_t& a : axes) {
    NUTSHELL_ASSIGN(a, node.normalizeAxis(a, x->type.rank(), "axes"));
  }
  for (int64_t s : steps)
    if (s == 0) return node.error("steps must not be 0");
  AttrMap attrs{{"starts", starts}, {"ends", ends}};
  if (!axes.empty()) attrs["axes"] = axes;
  if (!steps.empty()) attrs["steps"] = steps;
  return node.emit(OpKind::Slice, {x}, attrs);
}

/// Split: one slice per output along `axis`. The sizes come from `split`
/// (an attribute before opset 13, a constant input since), or are equal
/// parts (opset 18's num_outputs: ceil-sized parts, the last one smaller).
Status importSplit(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, node.opset() >= 13 ? 2 : 1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(int64_t axis, node.intAttr("axis", 0));
  NUTSHELL_ASSIGN(axis, node.normalizeAxis(axis, x->type.rank(), "axis"));
  const int outputs = node.proto.output_size();
  if (outputs < 1) return node.error("has no output");
  std::vector<int64_t> sizes;
  if (node.opset() >= 13) {
    if (node.hasInput(1)) {
      NUTSHELL_ASSIGN(sizes, node.constantInts(1, "split"));
    }
  } else {
    NUTSHELL_ASSIGN(sizes, node.intsAttr("split"));
  }
  const ir::Dim& dim = x->type.dims[size_t(axis)];
  if (sizes.empty()) {
    if (!dim.isStatic())
      return node.unsupported(fmt::format("an equal Split of the symbolic dim {}", dim.symbol));
    int64_t parts = outputs;
    if (node.opset() >= 18 && node.hasAttr("num_outputs")) {
      NUTSHELL_ASSIGN(parts, node.intAttr("num_outputs", outputs));
      if (parts != outputs) return node.error(fmt::format("num_outputs {} but {} outputs", parts, outputs));
    }
    // Equal parts; opset 18 allows a smaller last part, earlier opsets need an exact division.
    const int64_t part = (dim.size + parts - 1) / parts;
    if (node.opset() < 18 && dim.size % parts != 0)
      return node.error(
          fmt::format("axis {} of size {} does not split into {} equal parts", axis, dim.size, parts));
    for (int64_t i = 0; i < parts; ++i) sizes.push_back(std::clamp<int64_t>(dim.size - i * part, 0, part));
  }
  if (int64_t(sizes.size()) != outputs)
    return node.error(fmt::format("split has {} sizes for {} outputs", sizes.size(), outputs));
  int64_t begin = 0;
  for (int i = 0; i < outputs; ++i) {
    if (sizes[size_t(i)] < 0) return node.error(fmt::format("split size {} is negative", sizes[size_t(i)]));
    const int64_t end = begin + sizes[size_t(i)];
    if (dim.isStatic() && end > dim.size)
      return node.error(fmt::format("split sizes add up to more than axis {} of size {}", axis, dim.size));
    AttrMap attrs{{"starts", std::vector<int64_t>{begin}},
                  {"ends", std::vector<int64_t>{end}},
                  {"axes", std::vector<int64_t>{axis}}};
    const std::string& name = node.proto.output(i);
    NUTSHELL_ASSIGN(ir::Node * slice,
                    node.add(OpKind::Slice, {x}, attrs, {name.empty() ? node.helperName("part") : name}));
    node.bindOutput(i, slice->result());
    begin = end;
  }
  if (dim.isStatic() && begin != dim.size)
    return node.error(fmt::format("split sizes add up to {}, not axis {} of size {}", begin, axis, dim.size));
  return Status::success();
}

/// Tile (repeats) and Expand (shape): the second input must be a constant
/// (or fold to one) and becomes the attribute.
Status importTileOrExpand(NodeView& node) {
  const bool tile = node.opType() == "Tile";
  if (node.opset() < (tile ? 6 : 8))
    return node.unsupported(fmt::format("{} before opset {}", node.opType(), tile ? 6 : 8));
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(std::vector<int64_t> values, node.constantInts(1, tile ? "repeats" : "shape"));
  return node.emit(tile ? OpKind::Tile : OpKind::Expand, {x}, {{tile ? "repeats" : "shape", values}});
}

/// DepthToSpace (mode DCR, or CRD since opset 11) and SpaceToDepth.
Status importDepthSpace(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (!node.hasAttr("blocksize")) return node.error("attribute 'blocksize' is missing");
  NUTSHELL_ASSIGN(int64_t blocksize, node.intAttr("blocksize", 1));
  AttrMap attrs{{"blocksize", blocksize}};
  if (node.opType() == "SpaceToDepth") return node.emit(OpKind::SpaceToDepth, {x}, attrs);
  NUTSHELL_ASSIGN(std::string mode, node.stringAttr("mode", "DCR"));
  if (mode != "DCR" && mode != "CRD")
    return node.error(fmt::format("mode must be DCR or CRD, got '{}'", mode));
  attrs["mode"] = std::string(mode == "CRD" ? "crd" : "dcr");
  return node.emit(OpKind::DepthToSpace, {x}, attrs);
}

/// Pad: attributes before opset 11; pads and constant_value as constant inputs
/// since, plus an optional axes input since opset 18.
Status importPad(NodeView& node) {
  NUTSHELL_ASSIGN(std::string mode, node.stringAttr("mode", "constant"));
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return node.unsupported(fmt::format("mode '{}'", mode));
  std::vector<int64_t> pads;
  double value = 0.0;
  if (node.opset() < 2) {
    return node.unsupported("Pad before opset 2 ('paddings' attribute)");
  } else if (node.opset() < 11) {
    NUTSHELL_TRY(node.expectInputs(1, 1));
    NUTSHELL_ASSIGN(pads, node.intsAttr("pads"));
    NUTSHELL_ASSIGN(value, node.floatAttr("value", 0.0));
  } else {
    NUTSHELL_TRY(node.expectInputs(2, node.opset() >= 18 ? 4 : 3));
    NUTSHELL_ASSIGN(pads, node.constantInts(1, "pads"));
    if (node.hasInput(2)) {
      NUTSHELL_ASSIGN(value, node.constantScalar(2, "constant_value"));
    }
  }
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  const size_t rank = x->type.rank();
  if (node.hasInput(3)) {
    // Pads for the listed axes only: expand to all axes.
    NUTSHELL_ASSIGN(std::vector<int64_t> axes, node.constantInts(3, "axes"));
    if (pads.size() != 2 * axes.size())
      return node.error(fmt::format("pads has {} values for {} axes", pads.size(), axes.size()));
    std::vector<int64_t> full(2 * rank, 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      NUTSHELL_ASSIGN(int64_t a, node.normalizeAxis(axes[i], rank, "axes"));
      full[size_t(a)] = pads[i];
      full[size_t(a) + rank] = pads[i + axes.size()];
    }
    pads = std::move(full);
  }
  if (pads.size() != 2 * rank)
    return node.error(
        fmt::format("pads has {} values, input {} needs {}", pads.size(), x->type.str(), 2 * rank));
  AttrMap attrs{{"pads", pads}};
  if (mode != "constant") attrs["mode"] = mode;
  if (value != 0.0) attrs["value"] = value;
  return node.emit(OpKind::Pad, {x}, attrs);
}

Status importShape(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  AttrMap attrs;
  if (node.hasAttr("start")) {
    NUTSHELL_ASSIGN(attrs["start"], node.intAttr("start", 0));
  }
  if (node.hasAttr("end")) {
    NUTSHELL_ASSIGN(attrs["end"], node.intAttr("end", 0));
  }
  return node.emit(OpKind::Shape, {x}, attrs);
}

Status importGather(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * data, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * indices, node.input(1));
  if (data->type.rank() == 0) return node.error("data must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, node.intAttr("axis", 0));
  NUTSHELL_ASSIGN(axis, node.normalizeAxis(axis, data->type.rank(), "axis"));
  AttrMap attrs;
  if (axis != 0) attrs["axis"] = axis;
  return node.emit(OpKind::Gather, {data, indices}, attrs);
}

/// Unsqueeze / Squeeze: axes attribute before opset 13, constant input since.
Status importSqueezeLike(NodeView& node) {
  const bool unsqueeze = node.opType() == "Unsqueeze";
  std::vector<int64_t> axes;
  if (node.opset() < 13) {
    NUTSHELL_TRY(node.expectInputs(1, 1));
    NUTSHELL_ASSIGN(axes, node.intsAttr("axes"));
  } else {
    NUTSHELL_TRY(node.expectInputs(unsqueeze ? 2 : 1, 2));
    if (node.hasInput(1)) {
      NUTSHELL_ASSIGN(axes, node.constantInts(1, "axes"));
    }
  }
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  const size_t rank = unsqueeze ? x->type.rank() + axes.size() : x->type.rank();
  for (int64_t& a : axes) {
    NUTSHELL_ASSIGN(a, node.normalizeAxis(a, rank, "axes"));
  }
  if (unsqueeze) {
    if (axes.empty()) return node.error("axes must not be empty");
    return node.emit(OpKind::Unsqueeze, {x}, {{"axes", axes}});
  }
  AttrMap attrs;
  if (!axes.empty()) attrs["axes"] = axes;
  return node.emit(OpKind::Squeeze, {x}, attrs);
}

Status importConstantOfShape(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * shape, node.input(0));
  AttrMap attrs;
  if (node.hasAttr("value")) {
    NUTSHELL_ASSIGN(ir::TensorDataPtr value, node.tensorAttr("value"));
    if (value->numElements() != 1)
      return node.error(fmt::format("attribute 'value' must hold one element, got {}", value->type.str()));
    attrs["value"] = value->at(0);
    if (value->type.dtype != ir::DType::F32) attrs["dtype"] = std::string(ir::dtypeName(value->type.dtype));
  }
  return node.emit(OpKind::ConstantOfShape, {shape}, attrs);
}

Status importCast(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (!node.hasAttr("to")) return node.error("attribute 'to' is missing");
  NUTSHELL_ASSIGN(int64_t to, node.intAttr("to", 0));
  auto dtype = convertElementType(int32_t(to));
  if (!dtype || int64_t(int32_t(to)) != to)
    return node.unsupported(
        fmt::format("cast to {} (nutshell has float, double, int64, int32, int8, uint8 and bool)",
                    onnxTypeName(int32_t(to))));
  return node.emit(OpKind::Cast, {x}, {{"to", std::string(ir::dtypeName(*dtype))}});
}

/// Constant: its value becomes a pending constant (a `const` node once used).
Status importConstant(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(0, 0));
  NUTSHELL_TRY(node.expectOutputs(1));
  if (node.proto.attribute_size() != 1)
    return node.error(
        fmt::format("must have exactly one value attribute, has {}", node.proto.attribute_size()));
  const auto& a = node.proto.attribute(0);
  ir::TensorDataPtr data;
  if (a.name() == "value") {
    NUTSHELL_ASSIGN(data, node.tensorAttr("value"));
  } else if (a.name() == "value_float") {
    NUTSHELL_ASSIGN(double v, node.floatAttr("value_float", 0));
    data = ir::makeF32({}, {float(v)});
  } else if (a.name() == "value_floats") {
    NUTSHELL_ASSIGN(std::vector<double> v, node.floatsAttr("value_floats"));
    data = ir::makeF32({int64_t(v.size())}, std::vector<float>(v.begin(), v.end()));
  } else if (a.name() == "value_int") {
    NUTSHELL_ASSIGN(int64_t v, node.intAttr("value_int", 0));
    data = ir::makeI64({}, {v});
  } else if (a.name() == "value_ints") {
    NUTSHELL_ASSIGN(std::vector<int64_t> v, node.intsAttr("value_ints"));
    data = ir::makeI64({int64_t(v.size())}, v);
  } else {
    return node.unsupported(fmt::format("Constant attribute '{}'", a.name()));
  }
  node.ctx.defineConstant(node.proto.output(0), std::move(data));
  return Status::success();
}

}  // namespace

void addShapeConverters(ConverterTable& table) {
  table["Reshape"] = importReshape;
  table["Flatten"] = importFlatten;
  table["Transpose"] = importTranspose;
  table["Concat"] = importConcat;
  table["Slice"] = importSlice;
  table["Pad"] = importPad;
  table["Split"] = importSplit;
  table["Tile"] = importTileOrExpand;
  table["Expand"] = importTileOrExpand;
  table["DepthToSpace"] = importDepthSpace;
  table["SpaceToDepth"] = importDepthSpace;
  table["Shape"] = importShape;
  table["Gather"] = importGather;
  table["Unsqueeze"] = importSqueezeLike;
  table["Squeeze"] = importSqueezeLike;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Cast"] = importCast;
  table["Constant"] = importConstant;
}

}  // namespace nutshell::onnx
