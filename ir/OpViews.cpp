#include "ir/OpViews.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace nutshell::ir {
namespace {

Error viewError(const Node& node, const std::string& message) {
  return makeError(node.describe() + ": " + message);
}

/// Attribute `name` as `count` ints each >= `lo`.
Expected<std::vector<int64_t>> readInts(const Node& node, const char* name, size_t count, int64_t lo) {
  const std::vector<int64_t>& values = node.getInts(name);
  bool ok = values.size() == count;
  for (int64_t v : values) ok = ok && v >= lo;
  if (!ok)
    return viewError(node, fmt::format("{} must be {} values >= {}, got {}", name, count, lo,
                                       formatAttrValue(AttrValue(values))));
  return values;
}

Status readWindow(const Node& node, Window2d& w, const char* strides, const char* pads,
                  const char* dilations) {
  NUTSHELL_ASSIGN(std::vector<int64_t> s, readInts(node, strides, 2, 1));
  NUTSHELL_ASSIGN(std::vector<int64_t> p, readInts(node, pads, 4, 0));
  w.strideH = s[0], w.strideW = s[1];
  w.padTop = p[0], w.padLeft = p[1], w.padBottom = p[2], w.padRight = p[3];
  if (dilations && node.info().findAttr(dilations)) {
    NUTSHELL_ASSIGN(std::vector<int64_t> d, readInts(node, dilations, 2, 1));
    w.dilationH = d[0], w.dilationW = d[1];
  }
  return Status::success();
}

}  // namespace

Expected<ConvGeometry> convGeometry(const Node& node) {
  if (node.op != OpKind::Conv2d && node.op != OpKind::FusedConv2d)
    return viewError(node, "not a convolution");
  ConvGeometry g;
  NUTSHELL_TRY(readWindow(node, g, "strides", "pads", "dilations"));
  g.groups = node.getInt("groups");
  if (g.groups < 1) return viewError(node, fmt::format("groups must be >= 1, got {}", g.groups));
  return g;
}

Expected<PoolGeometry> poolGeometry(const Node& node) {
  if (node.op != OpKind::MaxPool2d && node.op != OpKind::AvgPool2d) return viewError(node, "not a pooling");
  PoolGeometry g;
  g.isMax = node.op == OpKind::MaxPool2d;
  NUTSHELL_ASSIGN(std::vector<int64_t> k, readInts(node, "kernel", 2, 1));
  g.kernelH = k[0], g.kernelW = k[1];
  NUTSHELL_TRY(readWindow(node, g, "strides", "pads", "dilations"));
  g.ceilMode = node.getInt("ceil_mode") != 0;
  if (!g.isMax) g.countIncludePad = node.getInt("count_include_pad") != 0;
  return g;
}

Expected<std::optional<PoolGeometry>> fusedPoolGeometry(const Node& node) {
  if (node.op != OpKind::FusedConv2d) return std::optional<PoolGeometry>();
  const std::string& kind = node.getString("pool");
  if (kind == "none") return std::optional<PoolGeometry>();
  if (kind != "max" && kind != "avg")
    return viewError(node, fmt::format("pool must be none|max|avg, got '{}'", kind));
  PoolGeometry g;
  g.isMax = kind == "max";
  NUTSHELL_ASSIGN(std::vector<int64_t> k, readInts(node, "pool_kernel", 2, 1));
  g.kernelH = k[0], g.kernelW = k[1];
  NUTSHELL_TRY(readWindow(node, g, "pool_strides", "pool_pads", nullptr));
  g.countIncludePad = node.getInt("pool_count_include_pad") != 0;
  return std::optional<PoolGeometry>(g);
}

bool fusablePool(const PoolGeometry& pool) {
  return !pool.ceilMode && pool.dilationH == 1 && pool.dilationW == 1;
}

void setFusedPool(AttrMap& attrs, const PoolGeometry& pool) {
  attrs["pool"] = std::string(pool.isMax ? "max" : "avg");
  attrs["pool_kernel"] = std::vector<int64_t>{pool.kernelH, pool.kernelW};
  attrs["pool_strides"] = std::vector<int64_t>{pool.strideH, pool.strideW};
  attrs["pool_pads"] = std::vector<int64_t>{pool.padTop, pool.padLeft, pool.padBottom, pool.padRight};
  if (pool.countIncludePad) attrs["pool_count_include_pad"] = int64_t(1);
}

std::vector<int64_t> shapeDims(const Node& shape) {
  const TensorType& type = shape.operands[0]->type;
  const int64_t rank = int64_t(type.rank());
  int64_t start = shape.getInt("start"), end = shape.getInt("end");
  if (start < 0) start = std::max<int64_t>(start + rank, 0);
  if (end < 0) end = std::max<int64_t>(end + rank, 0);
  start = std::min(start, rank);
  end = std::min(end, rank);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i) {
    const Dim& d = type.dims[size_t(i)];
    dims.push_back(d.isStatic() ? d.size : -1);
  }
  return dims;
}

bool hasFusedPool(const Node& node) {
  return node.op == OpKind::FusedConv2d && node.getString("pool") != "none";
}

}  // namespace nutshell::ir
