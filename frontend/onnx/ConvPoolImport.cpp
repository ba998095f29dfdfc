// Converters for convolution, pooling and normalisation: Conv, MaxPool,
// AveragePool, GlobalAveragePool, GlobalMaxPool, BatchNormalization, LRN.
//
// nutshell's window ops are 2-D on NCHW tensors; 1-D and 3-D variants are
// reported as unsupported. auto_pad is resolved here into explicit pads
// (SAME_* needs static spatial sizes: bind them with --input-shape).
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

/// Requires a rank-4 (NCHW) input; names the 1-D/3-D case.
Status requireSpatial2d(const NodeView& node, const ir::Value* x) {
  if (x->type.rank() == 4) return Status::success();
  if (x->type.rank() >= 3)
    return node.unsupported(
        fmt::format("{}-D {} (input {} has rank {}); nutshell supports 2-D windows on NCHW "
                    "(rank 4) only",
                    x->type.rank() - 2, node.opType(), x->type.str(), x->type.rank()));
  return node.error(fmt::format("input {} must have rank 4 (NCHW)", x->type.str()));
}

/// Strides, dilations and explicit pads of a sliding window, with auto_pad resolved.
struct Window {
  std::vector<int64_t> strides{1, 1};
  std::vector<int64_t> pads{0, 0, 0, 0};
  std::vector<int64_t> dilations{1, 1};
};

Expected<std::vector<int64_t>> pairAttr(const NodeView& node, const char* name, std::vector<int64_t> fallback,
                                        int64_t minValue) {
  NUTSHELL_ASSIGN(std::vector<int64_t> v, node.intsAttr(name, fallback));
  if (v.size() != fallback.size())
    return node.error(
        fmt::format("attribute '{}' {} must have {} values (2-D)", name, intsStr(v), fallback.size()));
  for (int64_t e : v)
    if (e < minValue || e > ir::kMaxElements)
      return node.error(fmt::format("attribute '{}' {} has an invalid value {}", name, intsStr(v), e));
  return v;
}

Expected<Window> windowParams(const NodeView& node, const ir::Value* x, const std::vector<int64_t>& kernel,
                              bool allowDilations) {
  Window w;
  NUTSHELL_ASSIGN(w.strides, pairAttr(node, "strides", {1, 1}, 1));
  NUTSHELL_ASSIGN(w.dilations, pairAttr(node, "dilations", {1, 1}, 1));
  if (!allowDilations && (w.dilations[0] != 1 || w.dilations[1] != 1))
    return node.unsupported(
        fmt::format("dilations {} (nutshell's {} has none)", intsStr(w.dilations), node.opType()));
  NUTSHELL_ASSIGN(std::string autoPad, node.stringAttr("auto_pad", "NOTSET"));
  if (autoPad == "NOTSET" || autoPad.empty()) {
    NUTSHELL_ASSIGN(w.pads, pairAttr(node, "pads", {0, 0, 0, 0}, 0));
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
  NUTSHELL_TRY(requireSpatial2d(node, x));
  if (w->type.rank() != 4) return node.error(fmt::format("weight {} must have rank 4 (OIHW)", w->type.str()));
  std::vector<int64_t> kernel;
  for (int i = 2; i < 4; ++i) {
    const ir::Dim& d = w->type.dims[size_t(i)];
    kernel.push_back(d.isStatic() ? d.size : -1);
  }
  if (node.hasAttr("kernel_shape")) {
    NUTSHELL_ASSIGN(std::vector<int64_t> given, pairAttr(node, "kernel_shape", {1, 1}, 1));
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
  NUTSHELL_ASSIGN(Window win, windowParams(node, x, kernel, true));
  std::vector<ir::Value*> operands{x, w};
  if (node.hasInput(2)) {
    NUTSHELL_ASSIGN(ir::Value * b, node.input(2));
    operands.push_back(b);
  }
  AttrMap attrs{{"strides", win.strides}, {"pads", win.pads}};
  if (win.dilations != std::vector<int64_t>{1, 1}) attrs["dilations"] = win.dilations;
  if (group != 1) attrs["groups"] = group;
  return node.emit(OpKind::Conv2d, operands, attrs);
}

Status importPool(NodeView& node) {
  const bool isMax = node.opType() == "MaxPool";
  NUTSHELL_TRY(node.expectInputs(1, 1));
  if (isMax && node.proto.output_size() > 1 && !node.proto.output(1).empty())
    return node.unsupported("MaxPool's Indices output");
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_TRY(requireSpatial2d(node, x));
  if (!node.hasAttr("kernel_shape")) return node.error("attribute 'kernel_shape' is missing");
  NUTSHELL_ASSIGN(std::vector<int64_t> kernel, pairAttr(node, "kernel_shape", {1, 1}, 1));
  NUTSHELL_ASSIGN(Window win, windowParams(node, x, kernel, isMax));
  NUTSHELL_ASSIGN(int64_t ceilMode, node.intAttr("ceil_mode", 0));
  AttrMap attrs{{"kernel", kernel}, {"strides", win.strides}, {"pads", win.pads}};
  if (ceilMode) attrs["ceil_mode"] = int64_t(1);
  if (isMax) {
    NUTSHELL_ASSIGN(int64_t storageOrder, node.intAttr("storage_order", 0));
    (void)storageOrder;  // only affects the Indices output, which is rejected above
    if (win.dilations != std::vector<int64_t>{1, 1}) attrs["dilations"] = win.dilations;
    return node.emit(OpKind::MaxPool2d, {x}, attrs);
  }
  NUTSHELL_ASSIGN(int64_t countIncludePad, node.intAttr("count_include_pad", 0));
  if (countIncludePad) attrs["count_include_pad"] = int64_t(1);
  return node.emit(OpKind::AvgPool2d, {x}, attrs);
}

Status importGlobalPool(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(1, 1));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_TRY(requireSpatial2d(node, x));
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
  table["MaxPool"] = importPool;
  table["AveragePool"] = importPool;
  table["GlobalAveragePool"] = importGlobalPool;
  table["GlobalMaxPool"] = importGlobalPool;
  table["BatchNormalization"] = importBatchNorm;
  table["LRN"] = importLrn;
}

}  // namespace nutshell::onnx
