// Converters for convolution, pooling and normalisation: Conv, MaxPool,
// AveragePool, GlobalAveragePool, GlobalMaxPool, BatchNormalization, LRN.
//
// nutshell's window ops are 2-D on NCHW tensors. A 1-D Conv, MaxPool or
// AveragePool (NCL) is the 2-D one over a unit height: x (and the weight) are
// unsqueezed at axis 2, the attributes widened with height 1 (pads 0), and the
// result squeezed back. 3-D ones are lowered onto the 2-D ops too
// (Window3dImport.cpp); a 3-D ConvTranspose is unsupported. auto_pad is
// resolved here into explicit pads (SAME_* needs static spatial sizes: bind
// them with --input-shape). ConvTranspose is lowered onto conv2d (see
// importConvTranspose).
#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::AttrMap;
using ir::OpKind;

std::string intsStr(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

/// Requires a rank-4 (NCHW) or rank-3 (NCL) input; names the 3-D case.
Status requireSpatial2d(const NodeView& node, const ir::Value* x) {
  if (x->type.rank() == 4 || x->type.rank() == 3) return Status::success();
  if (x->type.rank() > 4)
    return node.unsupported(
        fmt::format("{}-D {} (input {} has rank {}); nutshell supports 1-D and 2-D windows on NCL "
                    "and NCHW (rank 3 and 4) only",
                    x->type.rank() - 2, node.opType(), x->type.str(), x->type.rank()));
  return node.error(fmt::format("input {} must have rank 4 (NCHW) or 3 (NCL)", x->type.str()));
}

/// `v` with a unit axis inserted at 2 (NCL -> NC1L, a 1-D weight OIL -> OI1L).
Expected<ir::Value*> withUnitHeight(const NodeView& node, ir::Value* v) {
  NUTSHELL_ASSIGN(ir::Node * u, node.add(OpKind::Unsqueeze, {v}, {{"axes", std::vector<int64_t>{2}}}));
  return u->result();
}

/// Emits `op` over the 2-D operands and binds the ONNX output: squeezed back
/// to rank 3 when the node is 1-D.
Status emitWindowOp(NodeView& node, OpKind op, std::vector<ir::Value*> operands, AttrMap attrs, bool oneD) {
  if (!oneD) return node.emit(op, std::move(operands), std::move(attrs));
  NUTSHELL_ASSIGN(ir::Node * n, node.add(op, std::move(operands), std::move(attrs)));
  return node.emit(OpKind::Squeeze, {n->result()}, {{"axes", std::vector<int64_t>{2}}});
}

/// Strides, dilations and explicit pads of a sliding window, with auto_pad resolved.
struct Window {
  std::vector<int64_t> strides{1, 1};
  std::vector<int64_t> pads{0, 0, 0, 0};
  std::vector<int64_t> dilations{1, 1};
};

/// A per-axis attribute in the 2-D layout of `fallback` ([h, w] or
/// [h_begin, w_begin, h_end, w_end]). For a 1-D node the ONNX attribute has
/// half the values, one per group; the height takes the fallback's.
Expected<std::vector<int64_t>> pairAttr(const NodeView& node, const char* name, std::vector<int64_t> fallback,
                                        int64_t minValue, bool oneD = false) {
  std::vector<int64_t> oneDFallback;
  for (size_t i = 1; i < fallback.size(); i += 2) oneDFallback.push_back(fallback[i]);
  NUTSHELL_ASSIGN(std::vector<int64_t> v, node.intsAttr(name, oneD ? oneDFallback : fallback));
  const size_t expected = oneD ? oneDFallback.size() : fallback.size();
  if (v.size() != expected)
    return node.error(fmt::format("attribute '{}' {} must have {} values ({})", name, intsStr(v), expected,
                                  oneD ? "1-D" : "2-D"));
  for (int64_t e : v)
    if (e < minValue || e > ir::kMaxElements)
      return node.error(fmt::format("attribute '{}' {} has an invalid value {}", name, intsStr(v), e));
  if (!oneD) return v;
  std::vector<int64_t> wide = fallback;
  for (size_t g = 0; g < v.size(); ++g) wide[2 * g + 1] = v[g];
  return wide;
}

/// `x` is the 2-D input (a 1-D one already has its unit height).
Expected<Window> windowParams(const NodeView& node, const ir::Value* x, const std::vector<int64_t>& kernel,
                              bool allowDilations, bool oneD) {
  Window w;
  NUTSHELL_ASSIGN(w.strides, pairAttr(node, "strides", {1, 1}, 1, oneD));
  NUTSHELL_ASSIGN(w.dilations, pairAttr(node, "dilations", {1, 1}, 1, oneD));
  if (!allowDilations && (w.dilations[0] != 1 || w.dilations[1] != 1))
    return node.unsupported(
        fmt::format("dilations {} (nutshell's {} has none)", intsStr(w.dilations), node.opType()));
  NUTSHELL_ASSIGN(std::string autoPad, node.stringAttr("auto_pad", "NOTSET"));
  if (autoPad == "NOTSET" || autoPad.empty()) {
    NUTSHELL_ASSIGN(w.pads, pairAttr(node, "pads", {0, 0, 0, 0}, 0, oneD));
  } else if (autoPad == "VALID") {
    w.pads = {0, 0, 0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Output = ceil(in / stride); the padding that achieves it is split evenly,
    // the odd one at the end (UPPER) or the beginning (LOWER).
    for (int axis = 0; axis < 2; ++axis) {
      const ir::Dim& in = x->type.dims[size_t(2 + axis)];
      if (!in.isStatic())
        return node.error(
            fmt::format("auto_pad {} needs static spatial dims, input is {}; bind them with "
                        "--input-shape",
                        autoPad, x->type.str()));
      // Sizes are bounded by kMaxElements; 128-bit products cannot overflow.
      const __int128 stride = w.strides[size_t(axis)];
      const __int128 out = (in.size + stride - 1) / stride;
      const __int128 effective = __int128(kernel[size_t(axis)] - 1) * w.dilations[size_t(axis)] + 1;
      const __int128 needed = (out - 1) * stride + effective - in.size;
      if (needed > ir::kMaxElements)
        return node.error(
            fmt::format("auto_pad {}: the window is too large for input {}", autoPad, x->type.str()));
      int64_t total = needed > 0 ? int64_t(needed) : 0;
      int64_t small = total / 2, large = total - small;
      w.pads[size_t(axis)] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[size_t(axis + 2)] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else {
    return node.error(fmt::format("unknown auto_pad '{}'", autoPad));
  }
  return w;
}

Status importConv(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(2, 3));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * w, node.input(1));
  if (x->type.rank() == 5) return importConv3d(node);
  NUTSHELL_TRY(requireSpatial2d(node, x));
  const bool oneD = x->type.rank() == 3;
  if (w->type.rank() != x->type.rank())
    return node.error(
        fmt::format("weight {} must have rank {} (OI{})", w->type.str(), x->type.rank(), oneD ? "L" : "HW"));
  if (oneD) {
    NUTSHELL_ASSIGN(x, withUnitHeight(node, x));
    NUTSHELL_ASSIGN(w, withUnitHeight(node, w));
  }
  std::vector<int64_t> kernel;
  for (int i = 2; i < 4; ++i) {
    const ir::Dim& d = w->type.dims[size_t(i)];
    kernel.push_back(d.isStatic() ? d.size : -1);
  }
  if (node.hasAttr("kernel_shape")) {
    NUTSHELL_ASSIGN(std::vector<int64_t> given, pairAttr(node, "kernel_shape", {1, 1}, 1, oneD));
    for (int i = 0; i < 2; ++i)
      if (kernel[size_t(i)] >= 0 && kernel[size_t(i)] != given[size_t(i)])
        return node.error(
            fmt::format("kernel_shape {} does not match weight {}", intsStr(given), w->type.str()));
    kernel = given;
  }
  if (kernel[0] < 0 || kernel[1] < 0)
    return node.error(
        fmt::format("weight {} needs static kernel dims (or a kernel_shape attribute)", w->type.str()));
  NUTSHELL_ASSIGN(int64_t group, node.intAttr("group", 1));
  if (group < 1 || group > ir::kMaxElements) return node.error(fmt::format("group {} must be >= 1", group));
  NUTSHELL_ASSIGN(Window win, windowParams(node, x, kernel, true, oneD));
  std::vector<ir::Value*> operands{x, w};
  if (node.hasInput(2)) {
    NUTSHELL_ASSIGN(ir::Value * b, node.input(2));
    operands.push_back(b);
  }
  AttrMap attrs{{"strides", win.strides}, {"pads", win.pads}};
  if (win.dilations != std::vector<int64_t>{1, 1}) attrs["dilations"] = win.dilations;
  if (group != 1) attrs["groups"] = group;
  return emitWindowOp(node, OpKind::Conv2d, operands, attrs, oneD);
}

/// ConvTranspose is the conv of the input spread out by the strides:
/// stride-1 zeros inserted between neighbours (reshape to [N,C,H,1,W,1], pad
/// the unit axes to the strides, reshape back), padded by dilation*(k-1) less
/// the ConvTranspose pads on each side (output_padding at the end; negative
/// pads crop), then a stride-1 conv2d with the weights flipped spatially and
/// their in/out channels swapped per group ([C, M/g, kh, kw] ->
/// [M, C/g, kh, kw]). With constant weights the weight transform folds. The
/// convolution does stride_h*stride_w times the multiply-adds a direct
/// transposed kernel would; 1-D is 2-D over a unit height, as for Conv.
Status importConvTranspose(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(2, 3));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * w, node.input(1));
  NUTSHELL_TRY(requireSpatial2d(node, x));
  const bool oneD = x->type.rank() == 3;
  if (w->type.rank() != x->type.rank())
    return node.error(fmt::format("weight {} must have rank {}", w->type.str(), x->type.rank()));
  if (oneD) {
    NUTSHELL_ASSIGN(x, withUnitHeight(node, x));
    NUTSHELL_ASSIGN(w, withUnitHeight(node, w));
  }
  if (!x->type.dims[1].isStatic() || !x->type.dims[2].isStatic() || !x->type.dims[3].isStatic())
    return node.error(
        fmt::format("input {} needs static C, H, W; bind them with --input-shape", x->type.str()));
  for (size_t d = 0; d < 4; ++d)
    if (!w->type.dims[d].isStatic())
      return node.error(fmt::format("weight {} must be static", w->type.str()));
  const int64_t C = x->type.dims[1].size, H = x->type.dims[2].size, W = x->type.dims[3].size;
  NUTSHELL_ASSIGN(int64_t group, node.intAttr("group", 1));
  if (group < 1 || C == 0 || C % group != 0 || w->type.dims[0].size != C)
    return node.error(
        fmt::format("group {} and weight {} do not fit input {}", group, w->type.str(), x->type.str()));
  const int64_t Mg = w->type.dims[1].size;  // output channels per group
  std::vector<int64_t> kernel{w->type.dims[2].size, w->type.dims[3].size};
  if (node.hasAttr("kernel_shape")) {
    NUTSHELL_ASSIGN(std::vector<int64_t> given, pairAttr(node, "kernel_shape", {1, 1}, 1, oneD));
    if (given != kernel)
      return node.error(
          fmt::format("kernel_shape {} does not match weight {}", intsStr(given), w->type.str()));
  }
  NUTSHELL_ASSIGN(std::vector<int64_t> strides, pairAttr(node, "strides", {1, 1}, 1, oneD));
  NUTSHELL_ASSIGN(std::vector<int64_t> dilations, pairAttr(node, "dilations", {1, 1}, 1, oneD));
  NUTSHELL_ASSIGN(std::vector<int64_t> outputPadding, pairAttr(node, "output_padding", {0, 0}, 0, oneD));
  NUTSHELL_ASSIGN(std::string autoPad, node.stringAttr("auto_pad", "NOTSET"));
  if (autoPad.empty()) autoPad = "NOTSET";
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return node.error(fmt::format("unknown auto_pad '{}'", autoPad));
  const int64_t in[2] = {H, W};
  std::vector<int64_t> pads{0, 0, 0, 0};
  if (node.hasAttr("output_shape") || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // The pads that give the requested output: SAME means in * stride.
    std::vector<int64_t> target{H * strides[0], W * strides[1]};
    if (node.hasAttr("output_shape")) {
      NUTSHELL_ASSIGN(std::vector<int64_t> shape, node.intsAttr("output_shape"));
      const size_t spatial = oneD ? 1 : 2;
      if (shape.size() != spatial && shape.size() != spatial + 2)
        return node.error(fmt::format("output_shape {} must have {} values", intsStr(shape), spatial));
      target = {oneD ? 1 : shape[shape.size() - 2], shape.back()};
    }
    for (size_t a = 0; a < 2; ++a) {
      const int64_t total =
          strides[a] * (in[a] - 1) + outputPadding[a] + (kernel[a] - 1) * dilations[a] + 1 - target[a];
      // Floor division, as the ONNX reference: a negative total (an output
      // larger than the natural one) grows the end.
      const int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
      pads[a] = autoPad == "SAME_UPPER" ? half : total - half;
      pads[a + 2] = total - pads[a];
    }
  } else if (autoPad == "NOTSET") {
    NUTSHELL_ASSIGN(pads, pairAttr(node, "pads", {0, 0, 0, 0}, 0, oneD));
  }
  for (size_t a = 0; a < 2; ++a) {
    // Sizes are bounded by kMaxElements; their products are checked in 128 bits.
    const __int128 spread = __int128(in[a]) * strides[a], reach = __int128(kernel[a]) * dilations[a];
    if (spread > ir::kMaxElements || reach > ir::kMaxElements)
      return node.error(fmt::format("strides {} and dilations {} are too large for input {}",
                                    intsStr(strides), intsStr(dilations), x->type.str()));
  }
  for (size_t a = 0; a < 2; ++a)
    if (outputPadding[a] >= std::max(strides[a], dilations[a]))
      return node.error(fmt::format("output_padding {} must be smaller than the stride or the dilation",
                                    intsStr(outputPadding)));
  // Spread the input out by the strides.
  ir::Value* spread = x;
  if (strides[0] > 1 || strides[1] > 1) {
    NUTSHELL_ASSIGN(ir::Node * r6,
                    node.add(OpKind::Reshape, {x}, {{"shape", std::vector<int64_t>{0, C, H, 1, W, 1}}}));
    std::vector<int64_t> zeros{0, 0, 0, 0, 0, 0, 0, 0, 0, strides[0] - 1, 0, strides[1] - 1};
    NUTSHELL_ASSIGN(ir::Node * p6, node.add(OpKind::Pad, {r6->result()}, {{"pads", zeros}}));
    NUTSHELL_ASSIGN(ir::Node * r4,
                    node.add(OpKind::Reshape, {p6->result()},
                             {{"shape", std::vector<int64_t>{0, C, H * strides[0], W * strides[1]}}}));
    spread = r4->result();
  }
  // The spread input holds stride-1 trailing zeros already.
  std::vector<int64_t> convPads(8, 0);
  for (size_t a = 0; a < 2; ++a) {
    const int64_t reach = dilations[a] * (kernel[a] - 1);
    convPads[2 + a] = reach - pads[a];
    convPads[6 + a] = reach - pads[a + 2] + outputPadding[a] - (strides[a] - 1);
  }
  ir::Value* padded = spread;
  if (convPads != std::vector<int64_t>(8, 0)) {
    NUTSHELL_ASSIGN(ir::Node * p, node.add(OpKind::Pad, {spread}, {{"pads", convPads}}));
    padded = p->result();
  }
  // [C, M/g, kh, kw] -> [g, C/g, M/g, kh, kw] -> [g, M/g, C/g, kh, kw] -> [M, C/g, kh, kw], flipped.
  const int64_t Cg = C / group;
  NUTSHELL_ASSIGN(
      ir::Node * w5,
      node.add(OpKind::Reshape, {w}, {{"shape", std::vector<int64_t>{group, Cg, Mg, kernel[0], kernel[1]}}}));
  NUTSHELL_ASSIGN(ir::Node * wt, node.add(OpKind::Transpose, {w5->result()},
                                          {{"perm", std::vector<int64_t>{0, 2, 1, 3, 4}}}));
  NUTSHELL_ASSIGN(ir::Node * w4,
                  node.add(OpKind::Reshape, {wt->result()},
                           {{"shape", std::vector<int64_t>{group * Mg, Cg, kernel[0], kernel[1]}}}));
  NUTSHELL_ASSIGN(ir::Node * flipped,
                  node.add(OpKind::Slice, {w4->result()},
                           {{"starts", std::vector<int64_t>{-1, -1}},
                            {"ends", std::vector<int64_t>{-kernel[0] - 1, -kernel[1] - 1}},
                            {"axes", std::vector<int64_t>{2, 3}},
                            {"steps", std::vector<int64_t>{-1, -1}}}));
  std::vector<ir::Value*> operands{padded, flipped->result()};
  if (node.hasInput(2)) {
    NUTSHELL_ASSIGN(ir::Value * b, node.input(2));
    operands.push_back(b);
  }
  AttrMap attrs{{"strides", std::vector<int64_t>{1, 1}}, {"pads", std::vector<int64_t>{0, 0, 0, 0}}};
  if (dilations != std::vector<int64_t>{1, 1}) attrs["dilations"] = dilations;
  if (group != 1) attrs["groups"] = group;
  return emitWindowOp(node, OpKind::Conv2d, operands, attrs, oneD);
}

Status importPool(NodeView& node) {
  const bool isMax = node.opType() == "MaxPool";
  NUTSHELL_TRY(node.expectInputs(1, 1));
  if (isMax && node.proto.output_size() > 1 && !node.proto.output(1).empty())
    return node.unsupported("MaxPool's Indices output");
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (x->type.rank() == 5) return importPool3d(node, isMax);
  NUTSHELL_TRY(requireSpatial2d(node, x));
  const bool oneD = x->type.rank() == 3;
  if (oneD) {
    NUTSHELL_ASSIGN(x, withUnitHeight(node, x));
  }
  if (!node.hasAttr("kernel_shape")) return node.error("attribute 'kernel_shape' is missing");
  NUTSHELL_ASSIGN(std::vector<int64_t> kernel, pairAttr(node, "kernel_shape", {1, 1}, 1, oneD));
  NUTSHELL_ASSIGN(Window win, windowParams(node, x, kernel, isMax, oneD));
  NUTSHELL_ASSIGN(int64_t ceilMode, node.intAttr("ceil_mode", 0));
  AttrMap attrs{{"kernel", kernel}, {"strides", win.strides}, {"pads", win.pads}};
  if (ceilMode) attrs["ceil_mode"] = int64_t(1);
  if (isMax) {
    NUTSHELL_ASSIGN(int64_t storageOrder, node.intAttr("storage_order", 0));
    (void)storageOrder;  // only affects the Indices output, which is rejected above
    if (win.dilations != std::vector<int64_t>{1, 1}) attrs["dilations"] = win.dilations;
    return emitWindowOp(node, OpKind::MaxPool2d, {x}, attrs, oneD);
  }
  NUTSHELL_ASSIGN(int64_t countIncludePad, node.intAttr("count_include_pad", 0));
  if (countIncludePad) attrs["count_include_pad"] = int64_t(1);
  return emitWindowOp(node, OpKind::AvgPool2d, {x}, attrs, oneD);
}

Status importGlobalPool(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (x->type.rank() != 4) {
    if (x->type.rank() < 3) return node.error(fmt::format("input {} must have rank 4 (NCHW)", x->type.str()));
    return node.unsupported(fmt::format("{} of input {}: nutshell's global pools are 2-D on NCHW (rank 4)",
                                        node.opType(), x->type.str()));
  }
  return node.emit(node.opType() == "GlobalMaxPool" ? OpKind::GlobalMaxPool : OpKind::GlobalAvgPool, {x});
}

Status importBatchNorm(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(5, 5));
  // Outputs 2..5 exist only in training mode.
  for (int i = 1; i < node.proto.output_size(); ++i)
    if (!node.proto.output(i).empty())
      return node.unsupported("training-mode outputs (running mean/var); nutshell imports inference only");
  NUTSHELL_ASSIGN(int64_t training, node.intAttr("training_mode", 0));
  if (training) return node.unsupported("training_mode=1; nutshell imports inference only");
  NUTSHELL_ASSIGN(int64_t spatial, node.intAttr("spatial", 1));  // opset < 9
  if (spatial != 1) return node.unsupported("spatial=0 (per-activation statistics)");
  NUTSHELL_ASSIGN(double epsilon, node.floatAttr("epsilon", 1e-5));
  std::vector<ir::Value*> operands;
  for (int i = 0; i < 5; ++i) {
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    operands.push_back(v);
  }
  return node.emit(OpKind::BatchNorm, operands, {{"epsilon", epsilon}});
}

Status importLrn(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  if (!node.hasAttr("size")) return node.error("attribute 'size' is missing");
  NUTSHELL_ASSIGN(int64_t size, node.intAttr("size", 1));
  if (size < 1 || size > ir::kMaxElements) return node.error(fmt::format("size {} must be >= 1", size));
  NUTSHELL_ASSIGN(double alpha, node.floatAttr("alpha", 0.0001));
  NUTSHELL_ASSIGN(double beta, node.floatAttr("beta", 0.75));
  NUTSHELL_ASSIGN(double bias, node.floatAttr("bias", 1.0));
  return node.emit(OpKind::Lrn, {x}, {{"size", size}, {"alpha", alpha}, {"beta", beta}, {"bias", bias}});
}

}  // namespace

void addConvPoolConverters(ConverterTable& table) {
  table["Conv"] = importConv;
  table["ConvTranspose"] = importConvTranspose;
  table["MaxPool"] = importPool;
  table["AveragePool"] = importPool;
  table["GlobalAveragePool"] = importGlobalPool;
  table["GlobalMaxPool"] = importGlobalPool;
  table["BatchNormalization"] = importBatchNorm;
  table["LRN"] = importLrn;
}

}  // namespace nutshell::onnx
