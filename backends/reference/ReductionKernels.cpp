// Normalisations and reductions: softmax / log_softmax along one axis
// (opset-13 semantics), reduce_max/mean/sum/min/prod/l1/l2/sum_square/
// log_sum_exp, batch_norm and lrn. Sums are accumulated in double.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

Results runSoftmax(const ir::Node& node, const Operands& ops, bool isLog) {
  NUTSHELL_TRY(requireF32(node, ops, 0, "input"));
  const Tensor& x = *ops[0];
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(x.rank())));
  // View x as [outer, D, inner] and normalise along D.
  int64_t outer = 1, inner = 1;
  const int64_t D = x.shape()[axis];
  for (int64_t i = 0; i < axis; ++i) outer *= x.shape()[i];
  for (size_t i = size_t(axis) + 1; i < x.rank(); ++i) inner *= x.shape()[i];
  Tensor out(ElementType::F32, x.shape());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      const float* px = x.f32() + o * D * inner + in;
      float* po = out.f32() + o * D * inner + in;
      double maxValue = -std::numeric_limits<double>::infinity();
      for (int64_t d = 0; d < D; ++d) maxValue = std::max(maxValue, double(px[d * inner]));
      double sum = 0.0;
      for (int64_t d = 0; d < D; ++d) sum += std::exp(double(px[d * inner]) - maxValue);
      for (int64_t d = 0; d < D; ++d) {
        const double shifted = double(px[d * inner]) - maxValue;
        po[d * inner] = float(isLog ? shifted - std::log(sum) : std::exp(shifted) / sum);
      }
    }
  }
  return single(std::move(out));
}

Results runReduce(const ir::Node& node, const Operands& ops, ReduceOp op) {
  const Tensor& x = *ops[0];
  const int64_t rank = int64_t(x.rank());
  std::vector<bool> reduced(size_t(rank), node.getInts("axes").empty());
  for (int64_t a : node.getInts("axes")) {
    NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, a, rank));
    if (reduced[axis]) return nodeError(node, fmt::format("axis {} is listed twice", a));
    reduced[axis] = true;
  }
  const bool keepdims = node.getInt("keepdims") != 0;
  std::vector<int64_t> keptShape, outShape;
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i) {
    keptShape.push_back(reduced[i] ? 1 : x.shape()[i]);
    if (reduced[i]) count *= x.shape()[i];
    if (!reduced[i] || keepdims) outShape.push_back(keptShape.back());
  }
  // Walk the input; each element lands in the output slot whose reduced
  // coordinates are 0 (broadcast strides of the kept shape do exactly that).
  int64_t outCount = 1;
  for (int64_t d : keptShape) outCount *= d;
  std::vector<std::vector<int64_t>> strides = {contiguousStrides(x.shape()), broadcastStrides(keptShape, x.shape())};
  Tensor out(x.type(), outShape);
  if (x.type() == ElementType::F32) {
    const double inf = std::numeric_limits<double>::infinity();
    const double init = op == ReduceOp::Max    ? -inf
                        : op == ReduceOp::Min  ? inf
                        : op == ReduceOp::Prod ? 1.0
                                               : 0.0;
    std::vector<double> acc(size_t(outCount), init);
    // log_sum_exp keeps a running maximum m and the sum of exp(v - m), so no
    // exp overflows: log(sum) + m at the end.
    std::vector<double> shift(op == ReduceOp::LogSumExp ? size_t(outCount) : 0, -inf);
    forEachBroadcast(x.shape(), strides, [&](int64_t, const int64_t* off) {
      const double v = x.f32()[off[0]];
      double& a = acc[off[1]];
      switch (op) {
        case ReduceOp::Max:
          if (v > a || std::isnan(v)) a = std::isnan(a) ? a : v;
          break;
        case ReduceOp::Min:
          if (v < a || std::isnan(v)) a = std::isnan(a) ? a : v;
          break;
        case ReduceOp::Prod: a *= v; break;
        case ReduceOp::L1: a += std::fabs(v); break;
        case ReduceOp::L2:
        case ReduceOp::SumSquare: a += v * v; break;
        case ReduceOp::LogSumExp: {
          double& m = shift[size_t(off[1])];
          if (v > m) {
            a = a * std::exp(m - v) + 1.0;
            m = v;
          } else if (v != -inf) {  // exp(-inf) adds nothing (and -inf - -inf is NaN)
            a += std::exp(v - m);
          }
          break;
        }
        case ReduceOp::Mean:
        case ReduceOp::Sum: a += v; break;
      }
    });
    for (int64_t i = 0; i < outCount; ++i) {
      double r = acc[i];
      if (op == ReduceOp::Mean) r /= double(count);
      if (op == ReduceOp::L2) r = std::sqrt(r);
      if (op == ReduceOp::LogSumExp) {
        const double m = shift[size_t(i)];  // +-inf: all -inf (or nothing), or an inf input
        r = std::isinf(m) ? m : std::log(r) + m;
      }
      out.f32()[i] = float(r);
    }
    return single(std::move(out));
  }
  if (op != ReduceOp::Max && op != ReduceOp::Mean && op != ReduceOp::Sum)
    return nodeError(node, fmt::format("takes an f32 input, got {}", x.typeString()));
  // i64 (shape arithmetic): exact integer sums; the mean truncates.
  const int64_t init = op == ReduceOp::Max ? std::numeric_limits<int64_t>::min() : 0;
  std::vector<int64_t> acc(size_t(outCount), init);
  forEachBroadcast(x.shape(), strides, [&](int64_t, const int64_t* off) {
    const int64_t v = x.i64()[off[0]];
    int64_t& a = acc[off[1]];
    a = op == ReduceOp::Max ? std::max(a, v) : int64_t(uint64_t(a) + uint64_t(v));
  });
  for (int64_t i = 0; i < outCount; ++i)
    out.i64()[i] = op == ReduceOp::Mean ? (count == 0 ? 0 : acc[i] / count) : acc[i];
  return single(std::move(out));
}

Results runArgReduce(const ir::Node& node, const Operands& ops, bool isMax) {
  NUTSHELL_TRY(requireF32(node, ops, 0, "input"));
  const Tensor& x = *ops[0];
  if (x.rank() == 0) return nodeError(node, "input must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(x.rank())));
  const int64_t L = x.shape()[size_t(axis)];
  if (L == 0) return nodeError(node, fmt::format("axis {} of {} is empty", axis, x.typeString()));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.shape()[size_t(i)];
  for (size_t i = size_t(axis) + 1; i < x.rank(); ++i) inner *= x.shape()[i];
  std::vector<int64_t> shape = x.shape();
  if (node.getInt("keepdims") != 0)
    shape[size_t(axis)] = 1;
  else
    shape.erase(shape.begin() + axis);
  const bool last = node.getInt("select_last_index") != 0;
  Tensor out(ElementType::I64, shape);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      const float* px = x.f32() + o * L * inner + in;
      int64_t best = 0;
      for (int64_t l = 1; l < L; ++l) {
        const float v = px[l * inner], b = px[best * inner];
        // NaN beats every number (numpy); ties go to the first or the last index.
        const bool better = std::isnan(v)   ? (last || !std::isnan(b))
                            : std::isnan(b) ? false
                            : last          ? (isMax ? v >= b : v <= b)
                                            : (isMax ? v > b : v < b);
        if (better) best = l;
      }
      out.i64()[o * inner + in] = best;
    }
  }
  return single(std::move(out));
}

Results runBatchNorm(const ir::Node& node, const Operands& ops) {
  for (size_t i = 0; i < ops.size(); ++i) NUTSHELL_TRY(requireF32(node, ops, i, i == 0 ? "input" : "parameter"));
  const Tensor& x = *ops[0];
  if (x.rank() < 2) return nodeError(node, fmt::format("input must be [N,C,...], got {}", x.typeString()));
  const int64_t N = x.shape()[0], C = x.shape()[1];
  const int64_t spatial = C == 0 || N == 0 ? 0 : x.numElements() / (N * C);
  static const char* names[] = {"", "scale", "bias", "mean", "var"};
  for (size_t i = 1; i < 5; ++i)
    if (ops[i]->rank() != 1 || ops[i]->shape()[0] != C)
      return nodeError(node, fmt::format("{} must be f32[{}] for input {}, got {}", names[i], C, x.typeString(),
                                         ops[i]->typeString()));
  const double eps = node.getFloat("epsilon");
  Tensor out(ElementType::F32, x.shape());
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const double scale = ops[1]->f32()[c], bias = ops[2]->f32()[c];
      const double mean = ops[3]->f32()[c], var = ops[4]->f32()[c];
      const double invStd = 1.0 / std::sqrt(var + eps);
      const int64_t base = (n * C + c) * spatial;
      for (int64_t i = 0; i < spatial; ++i)
        out.f32()[base + i] = float((double(x.f32()[base + i]) - mean) * invStd * scale + bias);
    }
  }
  return single(std::move(out));
}

Results runLrn(const ir::Node& node, const Operands& ops) {
  NUTSHELL_TRY(requireF32(node, ops, 0, "input"));
  const Tensor& x = *ops[0];
  if (x.rank() < 2) return nodeError(node, fmt::format("input must be [N,C,...], got {}", x.typeString()));
  const int64_t size = node.getInt("size");
  if (size < 1) return nodeError(node, fmt::format("size must be positive, got {}", size));
  const double alpha = node.getFloat("alpha"), beta = node.getFloat("beta"), bias = node.getFloat("bias");
  const int64_t N = x.shape()[0], C = x.shape()[1];
  const int64_t spatial = C == 0 || N == 0 ? 0 : x.numElements() / (N * C);
  // ONNX: channels c - floor((size-1)/2) .. c + ceil((size-1)/2), clipped.
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  Tensor out(ElementType::F32, x.shape());
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t lo = std::max<int64_t>(0, c - before), hi = std::min<int64_t>(C - 1, c + after);
      for (int64_t i = 0; i < spatial; ++i) {
        double sum = 0.0;
        for (int64_t j = lo; j <= hi; ++j) {
          const double v = x.f32()[(n * C + j) * spatial + i];
          sum += v * v;
        }
        const int64_t at = (n * C + c) * spatial + i;
        out.f32()[at] = float(double(x.f32()[at]) / std::pow(bias + alpha / double(size) * sum, beta));
      }
    }
  }
  return single(std::move(out));
}

}  // namespace nutshell::reference
