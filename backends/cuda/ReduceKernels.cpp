// softmax / log_softmax (one thread per row along the axis: max, sum of
// exponentials, write) and the reductions (one thread per output element,
// walking the reduced coordinates; the reference's init values, NaN rules
// and log_sum_exp's running maximum).
#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

namespace {

std::string ll(int64_t v) {
  return std::to_string(v) + "LL";
}

int64_t normalized(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

}  // namespace

Expected<KernelSource> emitSoftmax(const ir::Node& node) {
  const std::vector<int64_t> shape = node.operands[0]->type.shape();
  const int64_t rank = int64_t(shape.size());
  const int64_t axis = normalized(node.getInt("axis"), rank);
  if (axis < 0 || axis >= rank) return noKernel(node, "axis out of range");
  int64_t outer = 1, inner = 1;
  const int64_t D = shape[size_t(axis)];
  for (int64_t i = 0; i < axis; ++i) outer *= shape[size_t(i)];
  for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[size_t(i)];
  const bool isLog = node.op == ir::OpKind::LogSoftmax;
  KernelSource k;
  std::string b = "  " + gridStrideLoop("row", outer * inner) + " {\n";
  b += "    const long long base = (row / " + ll(inner) + ") * " + ll(D * inner) + " + row % " + ll(inner) +
       ";\n";
  b += "    float m = -__int_as_float(0x7f800000);\n";
  b += "    for (long long d = 0; d < " + ll(D) + "; ++d) m = fmaxf(m, x0[base + d * " + ll(inner) + "]);\n";
  b += "    float sum = 0.0f;\n";
  b += "    for (long long d = 0; d < " + ll(D) + "; ++d) sum += expf(x0[base + d * " + ll(inner) +
       "] - m);\n";
  b += isLog ? "    const float logSum = logf(sum);\n" : "    const float scale = 1.0f / sum;\n";
  b += "    for (long long d = 0; d < " + ll(D) + "; ++d) {\n      const float shifted = x0[base + d * " +
       ll(inner) + "] - m;\n";
  b += isLog ? "      y0[base + d * " + ll(inner) + "] = shifted - logSum;\n"
             : "      y0[base + d * " + ll(inner) + "] = expf(shifted) * scale;\n";
  k.body = b + "    }\n  }\n";
  launchElementwise(k, outer * inner);
  k.summary = std::string(isLog ? "log_softmax" : "softmax") + " along " + std::to_string(D);
  return k;
}

Expected<KernelSource> emitReduce(const ir::Node& node) {
  using K = ir::OpKind;
  if (node.operands[0]->type.dtype != ir::DType::F32) return noKernel(node, "i64 data");
  const std::vector<int64_t> shape = node.operands[0]->type.shape();
  const int64_t rank = int64_t(shape.size());
  std::vector<bool> reduced(size_t(rank), node.getInts("axes").empty());
  for (int64_t a : node.getInts("axes")) {
    int64_t axis = normalized(a, rank);
    if (axis < 0 || axis >= rank) return noKernel(node, "axis out of range");
    reduced[size_t(axis)] = true;
  }
  std::vector<int64_t> strides(size_t(rank), 1);
  for (int64_t d = rank - 1; d > 0; --d) strides[size_t(d - 1)] = strides[size_t(d)] * shape[size_t(d)];
  int64_t outCount = 1, count = 1;
  for (int64_t d = 0; d < rank; ++d) (reduced[size_t(d)] ? count : outCount) *= shape[size_t(d)];

  KernelSource k;
  bool keepsAny = false;
  for (int64_t d = 0; d < rank; ++d) keepsAny = keepsAny || !reduced[size_t(d)];
  std::string b = "  " + gridStrideLoop("i", outCount) + " {\n    long long base = 0;\n";
  if (keepsAny) b += "    long long r = i;\n";
  for (int64_t d = rank; d-- > 0;)
    if (!reduced[size_t(d)])
      b += "    base += (r % " + ll(shape[size_t(d)]) + ") * " + ll(strides[size_t(d)]) +
           "; r /= " + ll(shape[size_t(d)]) + ";\n";
  const K op = node.op;
  std::string init = op == K::ReduceMax    ? "-__int_as_float(0x7f800000)"
                     : op == K::ReduceMin  ? "__int_as_float(0x7f800000)"
                     : op == K::ReduceProd ? "1.0f"
                                           : "0.0f";
  b += "    float acc = " + init + ", m = -__int_as_float(0x7f800000);\n";
  b += "    for (long long j = 0; j < " + ll(count) + "; ++j) {\n      long long q = j, off = base;\n";
  for (int64_t d = rank; d-- > 0;)
    if (reduced[size_t(d)])
      b += "      off += (q % " + ll(shape[size_t(d)]) + ") * " + ll(strides[size_t(d)]) +
           "; q /= " + ll(shape[size_t(d)]) + ";\n";
  b += "      const float v = x0[off];\n";
  switch (op) {
    case K::ReduceMax: b += "      if (v > acc || v != v) acc = acc != acc ? acc : v;\n"; break;
    case K::ReduceMin: b += "      if (v < acc || v != v) acc = acc != acc ? acc : v;\n"; break;
    case K::ReduceProd: b += "      acc *= v;\n"; break;
    case K::ReduceL1: b += "      acc += fabsf(v);\n"; break;
    case K::ReduceL2:
    case K::ReduceSumSquare: b += "      acc += v * v;\n"; break;
    case K::ReduceLogSumExp:
      b += "      if (v > m) { acc = acc * expf(m - v) + 1.0f; m = v; }\n";
      b += "      else if (v != -__int_as_float(0x7f800000)) acc += expf(v - m);\n";
      break;
    default: b += "      acc += v;\n"; break;  // sum, mean
  }
  b += "    }\n";
  if (op == K::ReduceMean) b += "    acc /= " + floatLiteral(double(count)) + ";\n";
  if (op == K::ReduceL2) b += "    acc = sqrtf(acc);\n";
  if (op == K::ReduceLogSumExp)
    b += "    acc = (m == __int_as_float(0x7f800000) || m == -__int_as_float(0x7f800000)) ? m : logf(acc) + "
         "m;\n";
  k.body = b + "    y0[i] = acc;\n  }\n";
  launchElementwise(k, outCount);
  k.summary = std::string(node.info().name) + " of " + std::to_string(count) + " per output";
  return k;
}

}  // namespace nutshell::cuda
