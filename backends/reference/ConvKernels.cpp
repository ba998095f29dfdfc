// conv2d and fused_conv2d: a direct convolution with double accumulation.
// fused_conv2d is defined as the composition conv -> bias -> activation ->
// pool (-> write into dest), each step rounded to f32 like the unfused nodes,
// so a fused graph and its unfused original agree bit for bit here.
#include <cstring>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

Expected<Tensor> convolve(const ir::Node& node, const Tensor& x, const Tensor& w, const Tensor* bias,
                          const ir::ConvGeometry& p) {
  if (x.type() != ElementType::F32 || x.rank() != 4)
    return nodeError(node, fmt::format("input must be f32[N,C,H,W], got {}", x.typeString()));
  if (w.type() != ElementType::F32 || w.rank() != 4)
    return nodeError(node, fmt::format("weights must be f32[K,C/groups,KH,KW], got {}", w.typeString()));
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const int64_t K = w.shape()[0], Cg = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3];
  if (C % p.groups != 0 || Cg * p.groups != C || K % p.groups != 0)
    return nodeError(node, fmt::format("input {} and weights {} do not match groups={}", x.typeString(),
                                       w.typeString(), p.groups));
  if (bias && (bias->type() != ElementType::F32 || bias->rank() != 1 || bias->shape()[0] != K))
    return nodeError(node, fmt::format("bias must be f32[{}], got {}", K, bias->typeString()));
  const int64_t spanH = H + p.padTop + p.padBottom - ((KH - 1) * p.dilationH + 1);
  const int64_t spanW = W + p.padLeft + p.padRight - ((KW - 1) * p.dilationW + 1);
  if (KH < 1 || KW < 1 || spanH < 0 || spanW < 0)
    return nodeError(node, fmt::format("kernel of weights {} does not fit input {} with the given pads and dilations",
                                       w.typeString(), x.typeString()));
  const int64_t OH = spanH / p.strideH + 1, OW = spanW / p.strideW + 1;
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::F32, {N, K, OH, OW}));

  const float* px = x.f32();
  const float* pw = w.f32();
  float* po = out.f32();
  const int64_t kPerGroup = K / p.groups;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t k = 0; k < K; ++k) {
      const int64_t firstChannel = (k / kPerGroup) * Cg;
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = bias ? double(bias->f32()[k]) : 0.0;
          for (int64_t c = 0; c < Cg; ++c) {
            const float* plane = px + ((n * C + firstChannel + c) * H) * W;
            const float* kernel = pw + ((k * Cg + c) * KH) * KW;
            for (int64_t r = 0; r < KH; ++r) {
              const int64_t ih = oh * p.strideH - p.padTop + r * p.dilationH;
              if (ih < 0 || ih >= H) continue;  // zero padding
              for (int64_t s = 0; s < KW; ++s) {
                const int64_t iw = ow * p.strideW - p.padLeft + s * p.dilationW;
                if (iw < 0 || iw >= W) continue;
                acc += double(plane[ih * W + iw]) * double(kernel[r * KW + s]);
              }
            }
          }
          po[((n * K + k) * OH + oh) * OW + ow] = float(acc);
        }
      }
    }
  }
  return out;
}

Results runConv2d(const ir::Node& node, const Operands& ops) {
  NUTSHELL_ASSIGN(ir::ConvGeometry p, ir::convGeometry(node));
  NUTSHELL_ASSIGN(Tensor out, convolve(node, *ops[0], *ops[1], ops.size() > 2 ? ops[2] : nullptr, p));
  return single(std::move(out));
}

Results runFusedConv2d(const ir::Node& node, const Operands& ops) {
  NUTSHELL_ASSIGN(ir::ConvGeometry p, ir::convGeometry(node));
  NUTSHELL_ASSIGN(ir::Activation act, ir::fusedActivation(node));
  NUTSHELL_ASSIGN(Tensor conv, convolve(node, *ops[0], *ops[1], ops[2], p));
  float* pc = conv.f32();
  for (int64_t i = 0; i < conv.numElements(); ++i) pc[i] = applyActivation(act, pc[i]);

  NUTSHELL_ASSIGN(std::optional<ir::PoolGeometry> pooled, ir::fusedPoolGeometry(node));
  if (pooled) {
    NUTSHELL_ASSIGN(conv, pool(node, conv, *pooled));
  }
  if (ops.size() < 4) return single(std::move(conv));

  // Concat elimination: the result is `dest` with channels
  // [dest_offset, dest_offset + K) replaced by this convolution's output.
  const Tensor& dest = *ops[3];
  const int64_t offset = node.getInt("dest_offset");
  const std::vector<int64_t>& cs = conv.shape();
  const std::vector<int64_t>& ds = dest.shape();
  if (dest.type() != ElementType::F32 || dest.rank() != 4 || ds[0] != cs[0] || ds[2] != cs[2] || ds[3] != cs[3] ||
      offset < 0 || offset > ds[1] || cs[1] > ds[1] - offset)
    return nodeError(node, fmt::format("dest {} cannot hold output f32{} at channel offset {}", dest.typeString(),
                                       shapeString(cs), offset));
  Tensor out = dest;
  const int64_t plane = cs[2] * cs[3];
  for (int64_t n = 0; n < cs[0]; ++n)
    std::memcpy(out.f32() + (n * ds[1] + offset) * plane, conv.f32() + n * cs[1] * plane,
                size_t(cs[1] * plane) * sizeof(float));
  return single(std::move(out));
}

}  // namespace nutshell::reference
