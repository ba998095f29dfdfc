// Normalisations over computed statistics: layer_norm (one row per index of
// the leading axes) and group_norm (one block per sample and channel group;
// instance_norm is num_groups = C). Mean and variance in double, two passes
// (the variance of x - mean, as the ONNX function bodies compute it).
#include <cmath>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {
namespace {

struct Moments {
  double mean = 0.0;
  double invStdDev = 0.0;
};

/// Mean and 1/sqrt(variance + epsilon) of x[0..n).
Moments moments(const float* x, int64_t n, double epsilon) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = n > 0 ? sum / double(n) : 0.0;
  double squares = 0.0;
  for (int64_t i = 0; i < n; ++i) squares += (x[i] - mean) * (x[i] - mean);
  const double variance = n > 0 ? squares / double(n) : 0.0;
  return {mean, 1.0 / std::sqrt(variance + epsilon)};
}

}  // namespace

Results runLayerNorm(const ir::Node& node, const Operands& ops) {
  for (size_t i = 0; i < ops.size(); ++i)
    NUTSHELL_TRY(requireF32(node, ops, i, i == 0 ? "input" : "parameter"));
  const Tensor& x = *ops[0];
  if (x.rank() == 0) return nodeError(node, "input must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(x.rank())));
  const std::vector<int64_t> normalized(x.shape().begin() + axis, x.shape().end());
  for (size_t i = 1; i < ops.size(); ++i)
    if (ops[i]->shape() != normalized)
      return nodeError(
          node, fmt::format("{} must be f32{} for input {} and axis {}, got {}", i == 1 ? "scale" : "bias",
                            shapeString(normalized), x.typeString(), axis, ops[i]->typeString()));
  int64_t rows = 1, length = 1;
  for (int64_t i = 0; i < axis; ++i) rows *= x.shape()[size_t(i)];
  for (int64_t d : normalized) length *= d;
  std::vector<int64_t> statsShape = x.shape();
  for (size_t i = size_t(axis); i < statsShape.size(); ++i) statsShape[i] = 1;
  Tensor y(ElementType::F32, x.shape()), mean(ElementType::F32, statsShape),
      inv(ElementType::F32, statsShape);
  const float* scale = ops[1]->f32();
  const float* bias = ops.size() > 2 ? ops[2]->f32() : nullptr;
  const double epsilon = node.getFloat("epsilon");
  for (int64_t r = 0; r < rows; ++r) {
    const float* px = x.f32() + r * length;
    const Moments m = moments(px, length, epsilon);
    for (int64_t i = 0; i < length; ++i)
      y.f32()[r * length + i] = float((px[i] - m.mean) * m.invStdDev * scale[i] + (bias ? bias[i] : 0.0));
    mean.f32()[r] = float(m.mean);
    inv.f32()[r] = float(m.invStdDev);
  }
  std::vector<Tensor> results;
  results.push_back(std::move(y));
  results.push_back(std::move(mean));
  results.push_back(std::move(inv));
  return results;
}

Results runGroupNorm(const ir::Node& node, const Operands& ops) {
  for (size_t i = 0; i < ops.size(); ++i)
    NUTSHELL_TRY(requireF32(node, ops, i, i == 0 ? "input" : "parameter"));
  const Tensor& x = *ops[0];
  if (x.rank() < 2) return nodeError(node, fmt::format("input must be [N,C,...], got {}", x.typeString()));
  const int64_t N = x.shape()[0], C = x.shape()[1];
  const int64_t groups = node.getInt("num_groups");
  if (groups < 1 || C % groups != 0)
    return nodeError(node, fmt::format("channels {} not divisible by num_groups {}", C, groups));
  for (size_t i = 1; i < 3; ++i)
    if (ops[i]->shape() != std::vector<int64_t>{C})
      return nodeError(node, fmt::format("{} must be f32[{}] for input {}, got {}", i == 1 ? "scale" : "bias",
                                         C, x.typeString(), ops[i]->typeString()));
  const int64_t spatial = C == 0 || N == 0 ? 0 : x.numElements() / (N * C);
  const int64_t perGroup = C / groups;
  const double epsilon = node.getFloat("epsilon");
  Tensor y(ElementType::F32, x.shape());
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (n * C + g * perGroup) * spatial;
      const Moments m = moments(x.f32() + base, perGroup * spatial, epsilon);
      for (int64_t c = 0; c < perGroup; ++c) {
        const double scale = ops[1]->f32()[g * perGroup + c], bias = ops[2]->f32()[g * perGroup + c];
        for (int64_t i = 0; i < spatial; ++i) {
          const int64_t at = base + c * spatial + i;
          y.f32()[at] = float((x.f32()[at] - m.mean) * m.invStdDev * scale + bias);
        }
      }
    }
  }
  return single(std::move(y));
}

}  // namespace nutshell::reference
