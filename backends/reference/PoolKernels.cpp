// Pooling: max_pool2d, avg_pool2d (also fused_conv2d's pool epilogue) and the
// global pools. Output sizes follow ONNX: floor or ceil of
// (H + pads - ((k-1)*d+1)) / s + 1, and with ceil_mode a window that would
// start in the bottom/right padding is dropped.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

namespace {

Expected<int64_t> pooledSize(const ir::Node& node, int64_t in, int64_t kernel, int64_t stride, int64_t padBegin,
                             int64_t padEnd, int64_t dilation, bool ceilMode) {
  const int64_t span = in + padBegin + padEnd - ((kernel - 1) * dilation + 1);
  if (span < 0)
    return nodeError(node, fmt::format("pool window {} (dilation {}) does not fit input size {} with pads {},{}", kernel,
                                       dilation, in, padBegin, padEnd));
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBegin) --out;
  return out;
}

}  // namespace

Expected<Tensor> pool(const ir::Node& node, const Tensor& x, const ir::PoolGeometry& p) {
  if (x.type() != ElementType::F32 || x.rank() != 4)
    return nodeError(node, fmt::format("pool input must be f32[N,C,H,W], got {}", x.typeString()));
  if (p.kernelH < 1 || p.kernelW < 1 || p.strideH < 1 || p.strideW < 1 || p.dilationH < 1 || p.dilationW < 1 ||
      p.padTop < 0 || p.padLeft < 0 || p.padBottom < 0 || p.padRight < 0)
    return nodeError(node, "pool kernel, strides and dilations must be positive and pads non-negative");
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  NUTSHELL_ASSIGN(int64_t OH, pooledSize(node, H, p.kernelH, p.strideH, p.padTop, p.padBottom, p.dilationH, p.ceilMode));
  NUTSHELL_ASSIGN(int64_t OW, pooledSize(node, W, p.kernelW, p.strideW, p.padLeft, p.padRight, p.dilationW, p.ceilMode));
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::F32, {N, C, OH, OW}));
  const float* px = x.f32();
  float* po = out.f32();
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const float* plane = px + nc * H * W;
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        double maxValue = -std::numeric_limits<double>::infinity();
        double sum = 0.0;
        int64_t valid = 0;   // window positions inside the input
        int64_t padded = 0;  // window positions inside the explicitly padded input
        for (int64_t r = 0; r < p.kernelH; ++r) {
          const int64_t ih = oh * p.strideH - p.padTop + r * p.dilationH;
          const bool rowInPad = ih >= -p.padTop && ih < H + p.padBottom;
          for (int64_t s = 0; s < p.kernelW; ++s) {
            const int64_t iw = ow * p.strideW - p.padLeft + s * p.dilationW;
            if (rowInPad && iw >= -p.padLeft && iw < W + p.padRight) ++padded;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;  // padding: -inf for max, skipped for avg
            const double v = plane[ih * W + iw];
            if (v > maxValue || std::isnan(v)) maxValue = std::isnan(maxValue) ? maxValue : v;
            sum += v;
            ++valid;
          }
        }
        float result;
        if (p.isMax) {
          result = float(maxValue);
        } else {
          const int64_t count = p.countIncludePad ? padded : valid;
          result = count == 0 ? 0.0f : float(sum / double(count));
        }
        po[(nc * OH + oh) * OW + ow] = result;
      }
    }
  }
  return out;
}

Results runMaxPool2d(const ir::Node& node, const Operands& ops) {
  NUTSHELL_ASSIGN(ir::PoolGeometry p, ir::poolGeometry(node));
  NUTSHELL_ASSIGN(Tensor out, pool(node, *ops[0], p));
  return single(std::move(out));
}

Results runAvgPool2d(const ir::Node& node, const Operands& ops) {
  NUTSHELL_ASSIGN(ir::PoolGeometry p, ir::poolGeometry(node));
  NUTSHELL_ASSIGN(Tensor out, pool(node, *ops[0], p));
  return single(std::move(out));
}

Results runGlobalPool(const ir::Node& node, const Operands& ops, bool isMax) {
  const Tensor& x = *ops[0];
  if (x.type() != ElementType::F32 || x.rank() < 3)
    return nodeError(node, fmt::format("input must be f32[N,C,spatial...], got {}", x.typeString()));
  std::vector<int64_t> shape = x.shape();
  int64_t spatial = 1;
  for (size_t i = 2; i < shape.size(); ++i) {
    spatial *= shape[i];
    shape[i] = 1;
  }
  Tensor out(ElementType::F32, shape);
  const int64_t planes = shape[0] * shape[1];
  for (int64_t i = 0; i < planes; ++i) {
    const float* plane = x.f32() + i * spatial;
    double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
    for (int64_t j = 0; j < spatial; ++j) {
      if (!isMax) {
        acc += plane[j];
      } else if (plane[j] > acc || std::isnan(plane[j])) {
        acc = std::isnan(acc) ? acc : double(plane[j]);
      }
    }
    out.f32()[i] = float(isMax ? acc : acc / double(spatial));
  }
  return single(std::move(out));
}

}  // namespace nutshell::reference
