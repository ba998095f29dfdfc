// Data movement: transpose, slice, pad, tile, expand, depth_to_space and
// space_to_depth are all out[o] = in[sum_d table_d[o_d]] with the offset
// tables of backends/common/LayoutPlan.h as device arrays (a negative sum
// reads pad's value); concat copies each operand into its slice of rows.
#include <algorithm>

#include "backends/common/LayoutPlan.h"
#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

namespace {

Expected<common::OffsetTables> tablesOf(const ir::Node& node) {
  using K = ir::OpKind;
  const std::vector<int64_t> in = node.operands[0]->type.shape();
  const std::vector<int64_t> out = node.results[0]->type.shape();
  switch (node.op) {
    case K::Transpose: {
      NUTSHELL_ASSIGN(common::TransposePlan plan, common::planTranspose(in, node.getInts("perm")));
      return plan.tables;
    }
    case K::Slice:
      return common::planSlice(in, out, node.getInts("starts"), node.getInts("axes"), node.getInts("steps"));
    case K::Pad: return common::planPad(in, out, node.getInts("pads"), node.getString("mode"));
    case K::Tile: return common::planTile(in, out);
    case K::Expand: return common::planExpand(in, out);
    case K::DepthToSpace:
      return common::planDepthToSpace(in, node.getInt("blocksize"), node.getString("mode") == "crd");
    case K::SpaceToDepth: return common::planSpaceToDepth(in, node.getInt("blocksize"));
    default: return makeError("not a layout op");
  }
}

}  // namespace

Expected<KernelSource> emitLayout(const ir::Node& node) {
  const bool isI64 = node.operands[0]->type.dtype == ir::DType::I64;
  NUTSHELL_ASSIGN(common::OffsetTables tables, tablesOf(node));
  const std::vector<int64_t> out = node.results[0]->type.shape();
  const int64_t total = node.results[0]->type.numElements();
  KernelSource k;
  for (size_t d = 0; d < tables.size(); ++d) k.prelude += deviceTable("t" + std::to_string(d), tables[d]);
  std::string body = "  " + gridStrideLoop("i", total) + " {\n    long long r = i, src = 0;\n";
  for (size_t d = out.size(); d-- > 0;)
    body += "    src += $K_t" + std::to_string(d) + "[r % " + std::to_string(out[d]) +
            "LL]; r /= " + std::to_string(out[d]) + "LL;\n";
  std::string padValue = node.op != ir::OpKind::Pad ? "0"
                         : isI64                    ? std::to_string(int64_t(node.getFloat("value"))) + "LL"
                                                    : floatLiteral(node.getFloat("value"));
  body += common::hasPadEntries(tables) ? "    y0[i] = src < 0 ? " + padValue + " : x0[src];\n  }\n"
                                        : "    y0[i] = x0[src];\n  }\n";
  k.body = body;
  launchElementwise(k, total);
  k.summary = "gather by offset tables";
  return k;
}

Expected<KernelSource> emitConcat(const ir::Node& node) {
  std::vector<std::vector<int64_t>> shapes;
  for (const ir::Value* v : node.operands) shapes.push_back(v->type.shape());
  NUTSHELL_ASSIGN(common::ConcatPlan plan,
                  common::planConcat(node.results[0]->type.shape(), shapes, node.getInt("axis")));
  const int64_t total = node.results[0]->type.numElements();
  KernelSource k;
  std::string body = "  " + gridStrideLoop("i", total) + " {\n    long long row = i / " +
                     std::to_string(plan.rowElems) + "LL, at = i % " + std::to_string(plan.rowElems) +
                     "LL;\n";
  for (size_t p = 0; p < plan.pieceElems.size(); ++p) {
    std::string n = std::to_string(plan.pieceElems[p]) + "LL";
    body +=
        "    if (at < " + n + ") { y0[i] = x" + std::to_string(p) + "[row * " + n + " + at]; continue; }\n";
    body += "    at -= " + n + ";\n";
  }
  k.body = body + "  }\n";
  launchElementwise(k, total);
  k.summary = "concat of " + std::to_string(shapes.size());
  return k;
}

}  // namespace nutshell::cuda

namespace nutshell::cuda {

Expected<KernelSource> emitGather(const ir::Node& node) {
  const bool isI64 = node.operands[0]->type.dtype == ir::DType::I64;
  const std::vector<int64_t> data = node.operands[0]->type.shape();
  const int64_t rank = int64_t(data.size());
  int64_t axis = node.getInt("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return noKernel(node, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= data[size_t(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= data[size_t(d)];
  const int64_t dim = data[size_t(axis)], count = node.operands[1]->type.numElements();
  const int64_t total = node.results[0]->type.numElements();
  const std::string n = std::to_string(inner) + "LL", c = std::to_string(count) + "LL",
                    d = std::to_string(dim) + "LL";
  KernelSource k;
  std::string b = "  " + gridStrideLoop("i", total) + " {\n";
  b += "    const long long in = i % " + n + ", j = (i / " + n + ") % " + c + ", o = i / (" + n + " * " + c +
       ");\n";
  b += "    long long at = x1[j];\n    if (at < 0) at += " + d + ";\n";
  b += "    y0[i] = (at < 0 || at >= " + d + ") ? " + (isI64 ? "0LL" : "0.0f") + " : x0[(o * " + d +
       " + at) * " + n + " + in];\n  }\n";
  k.body = b;
  launchElementwise(k, total);
  k.summary = "gather along axis " + std::to_string(axis);
  return k;
}

}  // namespace nutshell::cuda

namespace nutshell::cuda {

Expected<KernelSource> emitShapeOp(const ir::Node& node) {
  using K = ir::OpKind;
  const int64_t total = node.results[0]->type.numElements();
  const bool toI64 = node.results[0]->type.dtype == ir::DType::I64;
  const bool fromI64 = node.operands[0]->type.dtype == ir::DType::I64;
  KernelSource k;
  std::string value;
  switch (node.op) {
    case K::Shape: {
      // The dims are known here: the kernel writes them.
      const std::vector<int64_t> shape = node.operands[0]->type.shape();
      const int64_t rank = int64_t(shape.size());
      auto clamp = [&](int64_t v) {
        return std::max<int64_t>(0, std::min<int64_t>(rank, v < 0 ? v + rank : v));
      };
      const int64_t start = clamp(node.getInt("start"));
      k.prelude =
          deviceTable("dims", std::vector<int64_t>(shape.begin() + start, shape.begin() + start + total));
      value = "$K_dims[i]";
      break;
    }
    case K::ConstantOfShape:
      value = toI64 ? std::to_string(int64_t(node.getFloat("value"))) + "LL"
                    : floatLiteral(node.getFloat("value"));
      break;
    case K::Cast:
      if (toI64 == fromI64) {
        value = "x0[i]";
      } else if (!toI64) {
        value = "(float)x0[i]";
      } else {
        // Toward zero; NaN 0; out of range saturates (the reference's rules).
        value =
            "(x0[i] != x0[i] ? 0LL : (x0[i] < -9223372036854775808.0f ? (long long)(1ULL << 63) : "
            "(x0[i] >= 9223372036854775808.0f ? (long long)(~0ULL >> 1) : (long long)x0[i])))";
      }
      break;
    default: return noKernel(node, "not a shape op");
  }
  k.body = "  " + gridStrideLoop("i", total) + " y0[i] = " + value + ";\n";
  launchElementwise(k, total);
  k.summary = std::string(node.info().name);
  return k;
}

}  // namespace nutshell::cuda
