// 3-D Conv, MaxPool and AveragePool (NCDHW), lowered at import onto the 2-D
// window ops, whose kernels they then run on:
// - Pools are separable: a box window's maximum is the maximum over depth of
//   the (H, W) maxima, and its average the average over depth of the (H, W)
//   averages, since the window's element count (with or without the pads) is
//   the product of its per-axis counts. So x [N,C,D,H,W] is pooled over
//   (H, W) as [N, C·D, H, W], then over D as [N, C, D, H'·W'] with a (kd, 1)
//   window, and reshaped to [N, C, D', H', W'].
// - Conv gathers its depth taps into channels (im2col along depth): x padded
//   along D, gathered to [N, C, D'·kd, H, W] (input depth od·stride +
//   k·dilation for output depth od, tap k), rearranged to
//   [N·D', C·kd, H, W], and convolved over (H, W) with the weight
//   [K, C/g·kd, kh, kw] (a reshape of [K, C/g, kd, kh, kw]; groups stay
//   contiguous); the result [N·D', K, H', W'] is moved back to
//   [N, K, D', H', W']. The gathered input is kd times the size of x.
#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::AttrMap;
using ir::OpKind;

/// Largest depth-tap gather table built at import.
constexpr int64_t kMaxDepthTaps = int64_t(1) << 24;

std::string intsStr(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

/// Kernel, strides, dilations and pads ([d, h, w] begins, then ends) of a
/// 3-D window, with auto_pad resolved against the static input.
struct Window3d {
  std::vector<int64_t> kernel, strides{1, 1, 1}, dilations{1, 1, 1}, pads{0, 0, 0, 0, 0, 0};
};

Expected<std::vector<int64_t>> intsOfSize(const NodeView& node, const char* name,
                                          std::vector<int64_t> fallback, int64_t minValue) {
  NUTSHELL_ASSIGN(std::vector<int64_t> v, node.intsAttr(name, fallback));
  if (v.size() != fallback.size())
    return node.error(
        fmt::format("attribute '{}' {} must have {} values (3-D)", name, intsStr(v), fallback.size()));
  for (int64_t e : v)
    if (e < minValue || e > ir::kMaxElements)
      return node.error(fmt::format("attribute '{}' {} has an invalid value {}", name, intsStr(v), e));
  return v;
}

Expected<Window3d> window3d(const NodeView& node, const ir::Value* x, std::vector<int64_t> kernel) {
  Window3d w;
  w.kernel = std::move(kernel);
  NUTSHELL_ASSIGN(w.strides, intsOfSize(node, "strides", {1, 1, 1}, 1));
  NUTSHELL_ASSIGN(w.dilations, intsOfSize(node, "dilations", {1, 1, 1}, 1));
  NUTSHELL_ASSIGN(std::string autoPad, node.stringAttr("auto_pad", "NOTSET"));
  if (autoPad == "NOTSET" || autoPad.empty()) {
    NUTSHELL_ASSIGN(w.pads, intsOfSize(node, "pads", {0, 0, 0, 0, 0, 0}, 0));
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t a = 0; a < 3; ++a) {
      const int64_t in = x->type.dims[2 + a].size;
      const int64_t out = (in + w.strides[a] - 1) / w.strides[a];
      const __int128 total =
          __int128(out - 1) * w.strides[a] + __int128(w.kernel[a] - 1) * w.dilations[a] + 1 - in;
      if (total > ir::kMaxElements)
        return node.error(
            fmt::format("auto_pad {}: the window is too large for input {}", autoPad, x->type.str()));
      const int64_t needed = std::max<int64_t>(0, int64_t(total));
      const int64_t small = needed / 2, large = needed - small;
      w.pads[a] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[a + 3] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "VALID") {
    return node.error(fmt::format("unknown auto_pad '{}'", autoPad));
  }
  return w;
}

Status requireStatic3d(const NodeView& node, const ir::Value* x) {
  __int128 size = 1;
  for (size_t d = 1; d < 5; ++d) {
    if (!x->type.dims[d].isStatic())
      return node.error(
          fmt::format("3-D {} needs static C, D, H, W, input is {}; bind them with --input-shape",
                      node.opType(), x->type.str()));
    size *= x->type.dims[d].size;
    if (size > ir::kMaxElements) return node.error(fmt::format("input {} is too large", x->type.str()));
  }
  return Status::success();
}

Expected<ir::Value*> addOp(const NodeView& node, OpKind op, std::vector<ir::Value*> operands, AttrMap attrs,
                           const std::string& name = "") {
  std::vector<std::string> names;
  if (!name.empty()) names.push_back(name);
  NUTSHELL_ASSIGN(ir::Node * n, node.add(op, std::move(operands), std::move(attrs), std::move(names)));
  return n->result();
}

Expected<ir::Value*> reshape(const NodeView& node, ir::Value* x, std::vector<int64_t> shape,
                             const std::string& name = "") {
  return addOp(node, OpKind::Reshape, {x}, {{"shape", std::move(shape)}}, name);
}

}  // namespace

Status importPool3d(NodeView& node, bool isMax) {
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_TRY(requireStatic3d(node, x));
  if (!node.hasAttr("kernel_shape")) return node.error("attribute 'kernel_shape' is missing");
  NUTSHELL_ASSIGN(std::vector<int64_t> kernel, intsOfSize(node, "kernel_shape", {1, 1, 1}, 1));
  NUTSHELL_ASSIGN(Window3d w, window3d(node, x, kernel));
  if (!isMax && w.dilations != std::vector<int64_t>{1, 1, 1})
    return node.unsupported(
        fmt::format("dilations {} (nutshell's AveragePool has none)", intsStr(w.dilations)));
  NUTSHELL_ASSIGN(int64_t ceilMode, node.intAttr("ceil_mode", 0));
  NUTSHELL_ASSIGN(int64_t countIncludePad, node.intAttr("count_include_pad", 0));
  const int64_t C = x->type.dims[1].size, D = x->type.dims[2].size, H = x->type.dims[3].size,
                W = x->type.dims[4].size;
  const OpKind op = isMax ? OpKind::MaxPool2d : OpKind::AvgPool2d;
  auto pool2d = [&](ir::Value* v, std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> p,
                    std::vector<int64_t> d) -> Expected<ir::Value*> {
    AttrMap attrs{{"kernel", std::move(k)}, {"strides", std::move(s)}, {"pads", std::move(p)}};
    if (ceilMode) attrs["ceil_mode"] = int64_t(1);
    if (isMax && d != std::vector<int64_t>{1, 1}) attrs["dilations"] = std::move(d);
    if (!isMax && countIncludePad) attrs["count_include_pad"] = int64_t(1);
    return addOp(node, op, {v}, std::move(attrs));
  };
  // (H, W) on [N, C*D, H, W].
  NUTSHELL_ASSIGN(ir::Value * planes, reshape(node, x, {0, C * D, H, W}));
  NUTSHELL_ASSIGN(ir::Value * hw,
                  pool2d(planes, {w.kernel[1], w.kernel[2]}, {w.strides[1], w.strides[2]},
                         {w.pads[1], w.pads[2], w.pads[4], w.pads[5]}, {w.dilations[1], w.dilations[2]}));
  const int64_t OH = hw->type.dims[2].size, OW = hw->type.dims[3].size;
  // D on [N, C, D, H'*W'] with a (kd, 1) window.
  NUTSHELL_ASSIGN(ir::Value * columns, reshape(node, hw, {0, C, D, OH * OW}));
  NUTSHELL_ASSIGN(ir::Value * depth, pool2d(columns, {w.kernel[0], 1}, {w.strides[0], 1},
                                            {w.pads[0], 0, w.pads[3], 0}, {w.dilations[0], 1}));
  const int64_t OD = depth->type.dims[2].size;
  NUTSHELL_ASSIGN(ir::Value * y, reshape(node, depth, {0, C, OD, OH, OW}, node.proto.output(0)));
  node.bindOutput(0, y);
  return Status::success();
}

Status importConv3d(NodeView& node) {
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * w, node.input(1));
  NUTSHELL_TRY(requireStatic3d(node, x));
  if (w->type.rank() != 5 || !w->type.isStatic())
    return node.error(fmt::format("weight {} must be a static rank-5 OIDHW tensor", w->type.str()));
  const int64_t C = x->type.dims[1].size, D = x->type.dims[2].size, H = x->type.dims[3].size,
                W = x->type.dims[4].size;
  const int64_t K = w->type.dims[0].size, Cg = w->type.dims[1].size;
  std::vector<int64_t> kernel{w->type.dims[2].size, w->type.dims[3].size, w->type.dims[4].size};
  if (node.hasAttr("kernel_shape")) {
    NUTSHELL_ASSIGN(std::vector<int64_t> given, intsOfSize(node, "kernel_shape", {1, 1, 1}, 1));
    if (given != kernel)
      return node.error(
          fmt::format("kernel_shape {} does not match weight {}", intsStr(given), w->type.str()));
  }
  NUTSHELL_ASSIGN(int64_t group, node.intAttr("group", 1));
  if (group < 1 || C != Cg * group || K % group != 0)
    return node.error(
        fmt::format("group {} and weight {} do not fit input {}", group, w->type.str(), x->type.str()));
  NUTSHELL_ASSIGN(Window3d win, window3d(node, x, kernel));
  const int64_t kd = kernel[0], paddedD = D + win.pads[0] + win.pads[3];
  if (__int128(kd) * win.dilations[0] > ir::kMaxElements)
    return node.error(fmt::format("kernel depth {} with dilation {} is too large", kd, win.dilations[0]));
  const int64_t reach = (kd - 1) * win.dilations[0] + 1;
  if (paddedD < reach)
    return node.error(
        fmt::format("the depth window ({}) is larger than the padded input depth {}", reach, paddedD));
  const int64_t OD = (paddedD - reach) / win.strides[0] + 1;
  if (__int128(OD) * kd > kMaxDepthTaps || __int128(Cg) * kd > ir::kMaxElements)
    return node.unsupported(
        fmt::format("{} output depths x {} depth taps (at most {} gathered planes)", OD, kd, kMaxDepthTaps));
  // Depth taps into channels.
  ir::Value* padded = x;
  if (win.pads[0] || win.pads[3]) {
    std::vector<int64_t> pads(10, 0);
    pads[2] = win.pads[0];
    pads[7] = win.pads[3];
    NUTSHELL_ASSIGN(padded, addOp(node, OpKind::Pad, {x}, {{"pads", pads}}));
  }
  std::vector<int64_t> taps;
  for (int64_t od = 0; od < OD; ++od)
    for (int64_t k = 0; k < kd; ++k) taps.push_back(od * win.strides[0] + k * win.dilations[0]);
  ir::Value* index = node.ctx.graph.addConstant(ir::makeI64({OD * kd}, taps), node.helperName("depth_taps"));
  NUTSHELL_ASSIGN(ir::Value * gathered, addOp(node, OpKind::Gather, {padded, index}, {{"axis", int64_t(2)}}));
  NUTSHELL_ASSIGN(ir::Value * split, reshape(node, gathered, {0, C, OD, kd, H, W}));
  NUTSHELL_ASSIGN(ir::Value * moved, addOp(node, OpKind::Transpose, {split},
                                           {{"perm", std::vector<int64_t>{0, 2, 1, 3, 4, 5}}}));
  NUTSHELL_ASSIGN(ir::Value * slices, reshape(node, moved, {-1, C * kd, H, W}));
  NUTSHELL_ASSIGN(ir::Value * w2, reshape(node, w, {K, Cg * kd, kernel[1], kernel[2]}));
  std::vector<ir::Value*> operands{slices, w2};
  if (node.hasInput(2)) {
    NUTSHELL_ASSIGN(ir::Value * b, node.input(2));
    operands.push_back(b);
  }
  AttrMap attrs{{"strides", std::vector<int64_t>{win.strides[1], win.strides[2]}},
                {"pads", std::vector<int64_t>{win.pads[1], win.pads[2], win.pads[4], win.pads[5]}}};
  if (win.dilations[1] != 1 || win.dilations[2] != 1)
    attrs["dilations"] = std::vector<int64_t>{win.dilations[1], win.dilations[2]};
  if (group != 1) attrs["groups"] = group;
  NUTSHELL_ASSIGN(ir::Value * conv, addOp(node, OpKind::Conv2d, operands, attrs));
  const int64_t OH = conv->type.dims[2].size, OW = conv->type.dims[3].size;
  NUTSHELL_ASSIGN(ir::Value * unfolded, reshape(node, conv, {-1, OD, K, OH, OW}));
  NUTSHELL_ASSIGN(ir::Value * y,
                  addOp(node, OpKind::Transpose, {unfolded}, {{"perm", std::vector<int64_t>{0, 2, 1, 3, 4}}},
                        node.proto.output(0)));
  node.bindOutput(0, y);
  return Status::success();
}

}  // namespace nutshell::onnx
