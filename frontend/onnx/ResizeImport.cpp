// Converters for Resize (opsets 10-18) and Upsample (opsets 7-9).
//
// Every Resize mode ONNX defines is separable: output element y[i] along one
// axis is a fixed weighted sum of input elements x[j] along that axis, the
// weights depending only on i, the sizes, the scale and the attributes. So a
// resize is lowered at import, one resized axis at a time:
// - nearest: a gather of the picked input indices along the axis (exact);
//   with tf_crop_and_resize a 0/1 matrix, as below;
// - linear and cubic: a matmul with the constant [out, in] interpolation
//   matrix of the axis (out x in weights, of which 2 or 4 per row are
//   non-zero), applied on the right (x · Wᵀ) for the last axis, on the left
//   (W · x) for the one before it, and between transposes otherwise.
// The weights follow the ONNX reference implementation exactly (coordinate
// transformation, edge replication, exclude_outside, cubic_coeff_a; for
// tf_crop_and_resize the roi, and extrapolation_value added as a constant
// where an output lands outside the input), so the
// lowering needs no op of its own and runs on every backend. Sizes must be
// static where an axis is resized, and scales/sizes/roi constants.
#include <cmath>

#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::AttrMap;
using ir::OpKind;

/// Largest per-axis gather table or interpolation matrix built at import.
constexpr int64_t kMaxResizeTable = int64_t(1) << 24;

/// The attributes that decide the per-axis weights.
struct ResizeMode {
  std::string mode = "nearest";          // nearest | linear | cubic
  std::string transform = "half_pixel";  // coordinate_transformation_mode
  std::string nearestMode = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  // tf_crop_and_resize: the axis's roi (as fractions of in - 1) and the value
  // of outputs that land outside the input.
  double roiStart = 0.0, roiEnd = 1.0, extrapolation = 0.0;
};

bool cropsAndResizes(const ResizeMode& m) {
  return m.transform == "tf_crop_and_resize";
}

/// Where output index `i` lands in the input, per the coordinate
/// transformation (`outLength` is scale * inLength, not rounded: as the ONNX
/// reference computes it).
double sourceCoordinate(const ResizeMode& m, int64_t i, double scale, int64_t inLength) {
  const double x = double(i), outLength = scale * double(inLength);
  if (m.transform == "align_corners")
    return outLength == 1 ? 0.0 : x * double(inLength - 1) / (outLength - 1);
  if (m.transform == "asymmetric") return x / scale;
  if (m.transform == "pytorch_half_pixel") return outLength == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  if (m.transform == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (cropsAndResizes(m)) {
    const double span = (m.roiEnd - m.roiStart) * double(inLength - 1);
    return (outLength == 1 ? span / 2 : x * span / (outLength - 1)) + m.roiStart * double(inLength - 1);
  }
  return (x + 0.5) / scale - 0.5;  // half_pixel
}

/// Weights of input indices `first .. first+n-1` (unclamped) for one output.
struct Taps {
  int64_t first = 0;
  std::vector<double> weights;
};

Taps tapsFor(const ResizeMode& m, double source) {
  // An integral coordinate is taken as the upper neighbour with ratio 1, as
  // the reference does: every kernel then gives it weight 1 exactly.
  double base = std::floor(source), ratio = source - base;
  if (ratio == 0.0) base -= 1.0, ratio = 1.0;
  Taps t;
  if (m.mode == "cubic") {
    const double a = m.cubicA, r = ratio, s = 1.0 - ratio;
    t.first = int64_t(base) - 1;
    t.weights = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                 ((a + 2) * r - (a + 3)) * r * r + 1, ((a + 2) * s - (a + 3)) * s * s + 1,
                 ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
    return t;
  }
  t.first = int64_t(base);
  if (m.mode == "linear") {
    t.weights = {1.0 - ratio, ratio};
    return t;
  }
  bool upper = true;  // integral coordinates: ratio is 1, the upper one
  if (ratio != 1.0) {
    if (m.nearestMode == "round_prefer_floor")
      upper = ratio > 0.5;
    else if (m.nearestMode == "round_prefer_ceil")
      upper = ratio >= 0.5;
    else if (m.nearestMode == "floor")
      upper = false;
    else
      upper = true;  // ceil
  }
  t.weights = {upper ? 0.0 : 1.0, upper ? 1.0 : 0.0};
  return t;
}

/// The [out, in] interpolation matrix of one axis (row-major). With
/// tf_crop_and_resize, rows that land outside the input are zero and
/// `extrapolated` (when given) marks them.
std::vector<float> axisMatrix(const ResizeMode& m, int64_t in, int64_t out, double scale,
                              std::vector<bool>* extrapolated = nullptr) {
  std::vector<float> w(size_t(out * in), 0.0f);
  if (extrapolated) extrapolated->assign(size_t(out), false);
  for (int64_t i = 0; i < out; ++i) {
    const double source = sourceCoordinate(m, i, scale, in);
    if (cropsAndResizes(m) && (source < 0.0 || source > double(in - 1))) {
      if (extrapolated) (*extrapolated)[size_t(i)] = true;
      continue;
    }
    Taps t = tapsFor(m, source);
    if (m.excludeOutside) {
      double sum = 0.0;
      for (size_t k = 0; k < t.weights.size(); ++k) {
        int64_t j = t.first + int64_t(k);
        if (j < 0 || j >= in) t.weights[k] = 0.0;
        sum += t.weights[k];
      }
      if (sum != 0.0)
        for (double& v : t.weights) v /= sum;
    }
    // Outside the input the edge element repeats.
    std::vector<double> row(size_t(in), 0.0);
    for (size_t k = 0; k < t.weights.size(); ++k) {
      int64_t j = std::clamp<int64_t>(t.first + int64_t(k), 0, in - 1);
      row[size_t(j)] += t.weights[k];
    }
    for (int64_t j = 0; j < in; ++j) w[size_t(i * in + j)] = float(row[size_t(j)]);
  }
  return w;
}

/// The picked input index of each output (nearest).
std::vector<int64_t> axisIndices(const ResizeMode& m, int64_t in, int64_t out, double scale) {
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < out; ++i) {
    Taps t = tapsFor(m, sourceCoordinate(m, i, scale, in));
    int64_t j = t.first + (t.weights[0] == 1.0 ? 0 : 1);
    indices.push_back(std::clamp<int64_t>(j, 0, in - 1));
  }
  return indices;
}

bool isIdentity(const std::vector<int64_t>& indices) {
  for (size_t i = 0; i < indices.size(); ++i)
    if (indices[i] != int64_t(i)) return false;
  return true;
}

bool isIdentity(const std::vector<float>& w, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (w[size_t(i * n + j)] != (i == j ? 1.0f : 0.0f)) return false;
  return true;
}

/// Whether resizing an axis from `in` to `out` elements changes nothing.
bool axisIsIdentity(const ResizeMode& m, int64_t in, int64_t out, double scale) {
  if (out != in) return false;
  if (m.mode == "nearest" && !cropsAndResizes(m)) return isIdentity(axisIndices(m, in, out, scale));
  return isIdentity(axisMatrix(m, in, out, scale), in);
}

Expected<ir::Value*> applyMatrix(const NodeView& node, ir::Value* x, size_t axis, int64_t in, int64_t out,
                                 const std::vector<float>& w, const std::vector<std::string>& names);

/// x with `axis` resized from `in` to `out` elements; the result is named
/// `name` (empty: a fresh name).
Expected<ir::Value*> resizeAxis(const NodeView& node, const ResizeMode& m, ir::Value* x, size_t axis,
                                int64_t in, int64_t out, double scale, const std::string& name) {
  const size_t rank = x->type.rank();
  std::vector<std::string> names;
  if (!name.empty()) names.push_back(name);
  if (m.mode == "nearest" && !cropsAndResizes(m)) {
    std::vector<int64_t> indices = axisIndices(m, in, out, scale);
    ir::Value* table = node.ctx.graph.addConstant(ir::makeI64({out}, indices), node.helperName("indices"));
    NUTSHELL_ASSIGN(ir::Node * g, node.add(OpKind::Gather, {x, table}, {{"axis", int64_t(axis)}}, names));
    return g->result();
  }
  std::vector<bool> extrapolated;
  std::vector<float> w = axisMatrix(m, in, out, scale, &extrapolated);
  if (std::find(extrapolated.begin(), extrapolated.end(), true) != extrapolated.end()) {
    // y = W x + e: the zero rows of W take the extrapolation value. The
    // weights of every other row sum to 1, so later axes keep it.
    NUTSHELL_ASSIGN(ir::Value * interpolated, applyMatrix(node, x, axis, in, out, w, {}));
    std::vector<float> e;
    for (bool outside : extrapolated) e.push_back(outside ? float(m.extrapolation) : 0.0f);
    std::vector<int64_t> shape(rank - axis, 1);
    shape[0] = out;
    ir::Value* c = node.ctx.graph.addConstant(ir::makeF32(shape, e), node.helperName("extrapolation"));
    NUTSHELL_ASSIGN(ir::Node * add, node.add(OpKind::Add, {interpolated, c}, {}, names));
    return add->result();
  }
  return applyMatrix(node, x, axis, in, out, w, names);
}

/// W [out, in] applied along `axis` of x.
Expected<ir::Value*> applyMatrix(const NodeView& node, ir::Value* x, size_t axis, int64_t in, int64_t out,
                                 const std::vector<float>& w, const std::vector<std::string>& names) {
  const size_t rank = x->type.rank();
  if (axis + 1 == rank) {
    std::vector<float> wt(w.size());
    for (int64_t i = 0; i < out; ++i)
      for (int64_t j = 0; j < in; ++j) wt[size_t(j * out + i)] = w[size_t(i * in + j)];
    ir::Value* c = node.ctx.graph.addConstant(ir::makeF32({in, out}, wt), node.helperName("weights"));
    NUTSHELL_ASSIGN(ir::Node * mm, node.add(OpKind::MatMul, {x, c}, {}, names));
    return mm->result();
  }
  ir::Value* c = node.ctx.graph.addConstant(ir::makeF32({out, in}, w), node.helperName("weights"));
  if (axis + 2 == rank) {
    NUTSHELL_ASSIGN(ir::Node * mm, node.add(OpKind::MatMul, {c, x}, {}, names));
    return mm->result();
  }
  // Swap the axis with the one before last, apply on the left, swap back.
  std::vector<int64_t> perm(rank);
  for (size_t d = 0; d < rank; ++d) perm[d] = int64_t(d);
  std::swap(perm[axis], perm[rank - 2]);
  NUTSHELL_ASSIGN(ir::Node * t0, node.add(OpKind::Transpose, {x}, {{"perm", perm}}));
  NUTSHELL_ASSIGN(ir::Node * mm, node.add(OpKind::MatMul, {c, t0->result()}));
  NUTSHELL_ASSIGN(ir::Node * t1, node.add(OpKind::Transpose, {mm->result()}, {{"perm", perm}}, names));
  return t1->result();
}

/// Resizes x to `sizes` with per-axis `scales` and binds output 0.
/// `roi` is [starts..., ends...] (tf_crop_and_resize; else empty).
Status lowerResize(NodeView& node, const ResizeMode& mode, ir::Value* x, const std::vector<int64_t>& sizes,
                   const std::vector<double>& scales, const std::vector<double>& roi) {
  auto axisMode = [&](size_t axis) {
    ResizeMode m = mode;
    if (!roi.empty()) m.roiStart = roi[axis], m.roiEnd = roi[axis + sizes.size()];
    return m;
  };
  std::vector<size_t> resized;
  for (size_t axis = 0; axis < sizes.size(); ++axis) {
    const ir::Dim& d = x->type.dims[axis];
    if (!d.isStatic()) {
      if (scales[axis] == 1.0) continue;
      return node.error(fmt::format("resized axis {} of {} must be static; bind it with --input-shape", axis,
                                    x->type.str()));
    }
    if (sizes[axis] < 1 || sizes[axis] > ir::kMaxElements)
      return node.error(fmt::format("output size {} of axis {} (input {}) is out of range", sizes[axis], axis,
                                    x->type.str()));
    const bool gathers = mode.mode == "nearest" && !cropsAndResizes(mode);
    const __int128 table = gathers ? __int128(sizes[axis]) : __int128(sizes[axis]) * d.size;
    if (table > kMaxResizeTable)
      return node.unsupported(fmt::format(
          "resizing axis {} of {} to {}: its {} table would have {} elements (at most {})", axis,
          x->type.str(), sizes[axis], gathers ? "index" : "weight", int64_t(table), kMaxResizeTable));
    if (!axisIsIdentity(axisMode(axis), d.size, sizes[axis], scales[axis])) resized.push_back(axis);
  }
  const std::string& output = node.proto.output(0);
  if (resized.empty()) return node.emit(OpKind::Identity, {x});
  ir::Value* y = x;
  for (size_t axis : resized) {
    const std::string name = axis == resized.back() ? output : std::string();
    NUTSHELL_ASSIGN(y, resizeAxis(node, axisMode(axis), y, axis, x->type.dims[axis].size, sizes[axis],
                                  scales[axis], name));
  }
  node.bindOutput(0, y);
  return Status::success();
}

Expected<ResizeMode> resizeMode(const NodeView& node) {
  ResizeMode m;
  NUTSHELL_ASSIGN(m.mode, node.stringAttr("mode", "nearest"));
  if (m.mode == "bilinear" || m.mode == "trilinear") m.mode = "linear";  // Upsample-7's spellings
  if (m.mode != "nearest" && m.mode != "linear" && m.mode != "cubic")
    return node.error(fmt::format("unknown mode '{}'", m.mode));
  if (node.opType() == "Upsample" || node.opset() < 11) {
    // Upsample and Resize-10: the output coordinate divided by the scale, floored.
    m.transform = "asymmetric";
    m.nearestMode = "floor";
    if (m.mode == "cubic") return node.error("mode 'cubic' needs Resize opset 11 or later");
    return m;
  }
  NUTSHELL_ASSIGN(m.transform, node.stringAttr("coordinate_transformation_mode", "half_pixel"));
  NUTSHELL_ASSIGN(m.nearestMode, node.stringAttr("nearest_mode", "round_prefer_floor"));
  NUTSHELL_ASSIGN(m.cubicA, node.floatAttr("cubic_coeff_a", -0.75));
  NUTSHELL_ASSIGN(int64_t exclude, node.intAttr("exclude_outside", 0));
  m.excludeOutside = exclude != 0;
  NUTSHELL_ASSIGN(m.extrapolation, node.floatAttr("extrapolation_value", 0.0));
  if (m.transform == "half_pixel_symmetric")
    return node.unsupported("coordinate_transformation_mode half_pixel_symmetric");
  if (m.transform != "half_pixel" && m.transform != "align_corners" && m.transform != "asymmetric" &&
      m.transform != "pytorch_half_pixel" && m.transform != "tf_half_pixel_for_nn" && !cropsAndResizes(m))
    return node.error(fmt::format("unknown coordinate_transformation_mode '{}'", m.transform));
  if (m.nearestMode != "round_prefer_floor" && m.nearestMode != "round_prefer_ceil" &&
      m.nearestMode != "floor" && m.nearestMode != "ceil")
    return node.error(fmt::format("unknown nearest_mode '{}'", m.nearestMode));
  if (node.hasAttr("antialias")) {
    NUTSHELL_ASSIGN(int64_t antialias, node.intAttr("antialias", 0));
    if (antialias) return node.unsupported("antialias=1");
  }
  if (node.hasAttr("axes")) return node.unsupported("the axes attribute (resize every axis instead)");
  if (node.hasAttr("keep_aspect_ratio_policy")) {
    NUTSHELL_ASSIGN(std::string policy, node.stringAttr("keep_aspect_ratio_policy", "stretch"));
    if (policy != "stretch") return node.unsupported(fmt::format("keep_aspect_ratio_policy {}", policy));
  }
  return m;
}

/// Output sizes from per-axis scales: floor(in * scale), scale as stored.
Expected<std::vector<int64_t>> sizesFromScales(const NodeView& node, const ir::Value* x,
                                               const std::vector<double>& scales) {
  std::vector<int64_t> sizes;
  for (size_t axis = 0; axis < scales.size(); ++axis) {
    if (!(scales[axis] > 0.0) || !std::isfinite(scales[axis]))
      return node.error(fmt::format("scale {} of axis {} must be positive", scales[axis], axis));
    const ir::Dim& d = x->type.dims[axis];
    if (!d.isStatic()) {
      sizes.push_back(-1);
      continue;
    }
    double out = std::floor(double(d.size) * scales[axis]);
    if (out > double(ir::kMaxElements)) return node.error(fmt::format("scale {} is too large", scales[axis]));
    sizes.push_back(int64_t(out));
  }
  return sizes;
}

Expected<std::vector<double>> floatsOf(const NodeView& node, int input, const std::string& what) {
  NUTSHELL_ASSIGN(ir::TensorDataPtr data, node.constantInput(input, what));
  std::vector<double> v;
  for (int64_t i = 0; i < data->numElements(); ++i) v.push_back(data->at(i));
  return v;
}

Status importResize(NodeView& node) {
  const bool upsample = node.opType() == "Upsample";
  NUTSHELL_TRY(node.expectInputs(1, 4));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  NUTSHELL_ASSIGN(ResizeMode m, resizeMode(node));
  const size_t rank = x->type.rank();
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  // Input positions: Upsample-7 has a scales attribute, Upsample-9 and
  // Resize-10 (X, scales), Resize-11+ (X, roi, scales, sizes).
  const int scalesInput = upsample || node.opset() < 11 ? 1 : 2;
  if (upsample && node.opset() < 9) {
    NUTSHELL_ASSIGN(scales, node.floatsAttr("scales"));
  } else if (node.hasInput(scalesInput)) {
    NUTSHELL_ASSIGN(scales, floatsOf(node, scalesInput, "scales"));
  }
  if (scales.empty()) {
    if (!node.hasInput(3)) return node.error("needs scales or sizes");
    NUTSHELL_ASSIGN(sizes, node.constantInts(3, "sizes"));
    if (sizes.size() != rank)
      return node.error(fmt::format("sizes has {} values for input {}", sizes.size(), x->type.str()));
    for (size_t axis = 0; axis < rank; ++axis) {
      const ir::Dim& d = x->type.dims[axis];
      if (!d.isStatic())
        return node.error(
            fmt::format("sizes need a static input, got {}; bind it with --input-shape", x->type.str()));
      if (d.size == 0 || sizes[axis] < 1)
        return node.error(fmt::format("sizes {} of axis {} for input {}", sizes[axis], axis, x->type.str()));
      scales.push_back(double(sizes[axis]) / double(d.size));
    }
  } else {
    if (node.hasInput(3) && node.opset() >= 11)
      return node.error("scales and sizes are both given; ONNX allows only one");
    if (scales.size() != rank)
      return node.error(fmt::format("scales has {} values for input {}", scales.size(), x->type.str()));
    // Stored as float: widen the float values, as the reference does.
    for (double& s : scales) s = double(float(s));
    NUTSHELL_ASSIGN(sizes, sizesFromScales(node, x, scales));
  }
  std::vector<double> roi;
  if (cropsAndResizes(m)) {
    NUTSHELL_ASSIGN(roi, floatsOf(node, 1, "roi"));
    if (roi.size() != 2 * rank)
      return node.error(fmt::format("roi has {} values; tf_crop_and_resize needs {} (starts, then ends)",
                                    roi.size(), 2 * rank));
  }
  return lowerResize(node, m, x, sizes, scales, roi);
}

}  // namespace

void addResizeConverters(ConverterTable& table) {
  table["Resize"] = importResize;
  table["Upsample"] = importResize;
}

}  // namespace nutshell::onnx
