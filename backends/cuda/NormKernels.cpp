// Normalisations over computed statistics (one thread per row or group:
// mean, then the variance of x - mean, as the reference computes them):
// layer_norm with its three results, group_norm; lrn (one thread per
// element over its channel window); arg_max / arg_min (one thread per
// output, NaN the largest and the smallest, first or last index).
#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

namespace {
std::string ll(int64_t v) {
  return std::to_string(v) + "LL";
}
}  // namespace

Expected<KernelSource> emitLayerNorm(const ir::Node& node) {
  const std::vector<int64_t> shape = node.operands[0]->type.shape();
  const int64_t rank = int64_t(shape.size());
  int64_t axis = node.getInt("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return noKernel(node, "axis out of range");
  int64_t rows = 1, length = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? rows : length) *= shape[size_t(i)];
  const bool hasBias = node.operands.size() > 2;
  KernelSource k;
  std::string b =
      "  " + gridStrideLoop("r", rows) + " {\n    const float* x = x0 + r * " + ll(length) + ";\n";
  b += "    float sum = 0.0f;\n    for (long long i = 0; i < " + ll(length) + "; ++i) sum += x[i];\n";
  b += "    const float mean = sum / " + floatLiteral(double(length)) + ";\n";
  b += "    float squares = 0.0f;\n    for (long long i = 0; i < " + ll(length) +
       "; ++i) squares += (x[i] - mean) * (x[i] - mean);\n";
  b += "    const float inv = 1.0f / sqrtf(squares / " + floatLiteral(double(length)) + " + " +
       floatLiteral(node.getFloat("epsilon")) + ");\n";
  b += "    for (long long i = 0; i < " + ll(length) + "; ++i) y0[r * " + ll(length) +
       " + i] = (x[i] - mean) * inv * x1[i]" + (hasBias ? " + x2[i]" : "") + ";\n";
  b += "    y1[r] = mean;\n    y2[r] = inv;\n  }\n";
  k.body = b;
  launchElementwise(k, rows);
  k.summary = "layer_norm, one thread per row of " + std::to_string(length);
  return k;
}

Expected<KernelSource> emitGroupNorm(const ir::Node& node) {
  const std::vector<int64_t> shape = node.operands[0]->type.shape();
  if (shape.size() < 2) return noKernel(node, "rank below 2");
  const int64_t N = shape[0], C = shape[1], groups = node.getInt("num_groups");
  if (groups < 1 || C % groups != 0) return noKernel(node, "channels not divisible by num_groups");
  int64_t spatial = 1;
  for (size_t d = 2; d < shape.size(); ++d) spatial *= shape[d];
  const int64_t perGroup = C / groups, length = perGroup * spatial;
  KernelSource k;
  std::string b = "  " + gridStrideLoop("ng", N * groups) + " {\n";
  b += "    const float* x = x0 + ng * " + ll(length) + ";\n    float* y = y0 + ng * " + ll(length) + ";\n";
  b += "    const long long g = ng % " + ll(groups) + ";\n";
  b += "    float sum = 0.0f;\n    for (long long i = 0; i < " + ll(length) + "; ++i) sum += x[i];\n";
  b += "    const float mean = sum / " + floatLiteral(double(length)) + ";\n";
  b += "    float squares = 0.0f;\n    for (long long i = 0; i < " + ll(length) +
       "; ++i) squares += (x[i] - mean) * (x[i] - mean);\n";
  b += "    const float inv = 1.0f / sqrtf(squares / " + floatLiteral(double(length)) + " + " +
       floatLiteral(node.getFloat("epsilon")) + ");\n";
  b += "    for (long long i = 0; i < " + ll(length) + "; ++i) {\n";
  b += "      const long long c = g * " + ll(perGroup) + " + i / " + ll(spatial) + ";\n";
  b += "      y[i] = (x[i] - mean) * inv * x1[c] + x2[c];\n    }\n  }\n";
  k.body = b;
  launchElementwise(k, N * groups);
  k.summary = "group_norm, one thread per sample and group";
  return k;
}

Expected<KernelSource> emitLrn(const ir::Node& node) {
  const std::vector<int64_t> shape = node.operands[0]->type.shape();
  if (shape.size() < 2) return noKernel(node, "rank below 2");
  const int64_t C = shape[1], size = node.getInt("size");
  int64_t spatial = 1;
  for (size_t d = 2; d < shape.size(); ++d) spatial *= shape[d];
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  const int64_t total = node.results[0]->type.numElements();
  KernelSource k;
  std::string b = "  " + gridStrideLoop("i", total) + " {\n";
  b += "    const long long s = i % " + ll(spatial) + ", c = (i / " + ll(spatial) + ") % " + ll(C) +
       ", n = i / " + ll(C * spatial) + ";\n";
  b += "    const long long lo = c - " + ll(before) + " < 0 ? 0 : c - " + ll(before) + ";\n";
  b += "    const long long hi = c + " + ll(after) + " > " + ll(C - 1) + " ? " + ll(C - 1) + " : c + " +
       ll(after) + ";\n";
  b += "    float sum = 0.0f;\n";
  b += "    for (long long j = lo; j <= hi; ++j) { const float v = x0[(n * " + ll(C) + " + j) * " +
       ll(spatial) + " + s]; sum += v * v; }\n";
  b += "    y0[i] = x0[i] / powf(" + floatLiteral(node.getFloat("bias")) + " + " +
       floatLiteral(node.getFloat("alpha") / double(size)) + " * sum, " +
       floatLiteral(node.getFloat("beta")) + ");\n  }\n";
  k.body = b;
  launchElementwise(k, total);
  k.summary = "lrn over " + std::to_string(size) + " channels";
  return k;
}

Expected<KernelSource> emitArgReduce(const ir::Node& node) {
  if (node.operands[0]->type.dtype != ir::DType::F32) return noKernel(node, "i64 data");
  const std::vector<int64_t> shape = node.operands[0]->type.shape();
  const int64_t rank = int64_t(shape.size());
  int64_t axis = node.getInt("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return noKernel(node, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= shape[size_t(i)];
  for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[size_t(i)];
  const int64_t D = shape[size_t(axis)];
  const bool isMax = node.op == ir::OpKind::ArgMax, last = node.getInt("select_last_index") != 0;
  const std::string better = isMax ? "(v != v && b == b) || v > b" : "(v != v && b == b) || v < b";
  const std::string tie = "(v == b || (v != v && b != b))";
  KernelSource k;
  std::string b = "  " + gridStrideLoop("i", outer * inner) + " {\n";
  b +=
      "    const long long base = (i / " + ll(inner) + ") * " + ll(D * inner) + " + i % " + ll(inner) + ";\n";
  b += "    long long at = 0;\n    float b = x0[base];\n";
  b += "    for (long long d = 1; d < " + ll(D) + "; ++d) {\n      const float v = x0[base + d * " +
       ll(inner) + "];\n";
  b += "      if (" + better + (last ? " || " + tie : std::string()) + ") { b = v; at = d; }\n    }\n";
  b += "    y0[i] = at;\n  }\n";
  k.body = b;
  launchElementwise(k, outer * inner);
  k.summary = std::string(node.info().name) + " along " + std::to_string(D);
  return k;
}

}  // namespace nutshell::cuda
