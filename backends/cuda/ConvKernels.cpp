// Direct convolution with the fused epilogue (bias, activation, pool, the
// write into a concat slice of dest). One block computes a tile of pooled
// output pixels of one (image, output channel); the filter of that channel
// is staged through shared memory a chunk of input channels at a time, and
// each thread keeps one accumulator per position of its pool window, so
// the pooled value is made without the unpooled map ever being stored.
// Implicit GEMM, Winograd and FFT kernels are later work: every algorithm
// select-conv-algo may choose runs here as direct (the summary says so).
#include <algorithm>

#include "backends/common/ConvProblem.h"
#include "backends/cuda/KernelSource.h"
#include "ir/OpViews.h"

namespace nutshell::cuda {

namespace {

std::string ll(int64_t v) {
  return std::to_string(v) + "LL";
}

constexpr int64_t kThreads = 128;
/// Filter floats staged per chunk (8 KiB of shared memory).
constexpr int64_t kStagedWeights = 2048;

}  // namespace

Expected<KernelSource> emitConv2d(const ir::Node& node) {
  NUTSHELL_ASSIGN(common::ConvProblem p, common::ConvProblem::fromNode(node));
  NUTSHELL_ASSIGN(ir::ConvGeometry g, ir::convGeometry(node));
  const bool fused = node.op == ir::OpKind::FusedConv2d;
  ir::Activation act;
  std::optional<ir::PoolGeometry> pool;
  int64_t destOffset = 0;
  if (fused) {
    NUTSHELL_ASSIGN(act, ir::fusedActivation(node));
    NUTSHELL_ASSIGN(pool, ir::fusedPoolGeometry(node));
    destOffset = node.getInt("dest_offset");
  }
  const bool hasBias = node.operands.size() >= 3;
  const std::vector<int64_t> out = node.results[0]->type.shape();  // [N, Kdest, PH, PW]
  const int64_t PH = out[2], PW = out[3], Kd = out[1];
  const int64_t OH = p.outHeight(), OW = p.outWidth();
  const int64_t C = p.inChannels, H = p.inHeight, W = p.inWidth, K = p.outChannels;
  const int64_t Cg = p.channelsPerGroup(), Kg = K / p.groups, R = p.kernelHeight, S = p.kernelWidth;
  const int64_t poolH = pool ? pool->kernelH : 1, poolW = pool ? pool->kernelW : 1;
  const int64_t window = poolH * poolW;
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(Cg, kStagedWeights / (R * S)));
  const int64_t pixels = PH * PW;

  KernelSource k;
  k.syncs = true;
  k.block[0] = unsigned(kThreads);
  k.grid[0] = unsigned((pixels + kThreads - 1) / kThreads);
  k.grid[1] = unsigned(p.batch * K);
  std::string b;
  b += "  __shared__ float ws[" + std::to_string(chunk * R * S) + "];\n";
  b += "  const long long n = blockIdx.y / " + ll(K) + ", oc = blockIdx.y % " + ll(K) + ";\n";
  b += "  const long long group = oc / " + ll(Kg) + ";\n";
  b += "  const long long pix = (long long)blockIdx.x * " + ll(kThreads) + " + threadIdx.x;\n";
  b += "  const bool active = pix < " + ll(pixels) + ";\n";
  b += "  const long long py = active ? pix / " + ll(PW) + " : 0, px = active ? pix % " + ll(PW) + " : 0;\n";
  b += "  float acc[" + std::to_string(window) + "];\n";
  b += "  for (int q = 0; q < " + std::to_string(window) + "; ++q) acc[q] = 0.0f;\n";
  b += "  const float* xn = x0 + (n * " + ll(C) + " + group * " + ll(Cg) + ") * " + ll(H * W) + ";\n";
  b += "  const float* wk = x1 + oc * " + ll(Cg * R * S) + ";\n";
  b += "  for (long long c0 = 0; c0 < " + ll(Cg) + "; c0 += " + ll(chunk) + ") {\n";
  b += "    const long long cn = " + ll(Cg) + " - c0 < " + ll(chunk) + " ? " + ll(Cg) +
       " - c0 : " + ll(chunk) + ";\n";
  b += "    __syncthreads();\n";
  b += "    for (long long t = threadIdx.x; t < cn * " + ll(R * S) + "; t += " + ll(kThreads) +
       ") ws[t] = wk[c0 * " + ll(R * S) + " + t];\n";
  b += "    __syncthreads();\n";
  b += "    if (!active) continue;\n";
  b += "    for (int q = 0; q < " + std::to_string(window) + "; ++q) {\n";
  b += "      const long long oy = py * " + ll(pool ? pool->strideH : 1) + " - " +
       ll(pool ? pool->padTop : 0) + " + q / " + ll(poolW) + ";\n";
  b += "      const long long ox = px * " + ll(pool ? pool->strideW : 1) + " - " +
       ll(pool ? pool->padLeft : 0) + " + q % " + ll(poolW) + ";\n";
  b += "      if (oy < 0 || oy >= " + ll(OH) + " || ox < 0 || ox >= " + ll(OW) + ") continue;\n";
  b += "      float sum = acc[q];\n";
  b += "      for (long long c = 0; c < cn; ++c) {\n";
  b += "        const float* xc = xn + (c0 + c) * " + ll(H * W) + ";\n";
  b += "        const float* wc = ws + c * " + ll(R * S) + ";\n";
  b += "        for (int r = 0; r < " + std::to_string(R) + "; ++r) {\n";
  b += "          const long long iy = oy * " + ll(g.strideH) + " - " + ll(g.padTop) + " + r * " +
       ll(g.dilationH) + ";\n";
  b += "          if (iy < 0 || iy >= " + ll(H) + ") continue;\n";
  b += "          for (int s = 0; s < " + std::to_string(S) + "; ++s) {\n";
  b += "            const long long ix = ox * " + ll(g.strideW) + " - " + ll(g.padLeft) + " + s * " +
       ll(g.dilationW) + ";\n";
  b += "            if (ix >= 0 && ix < " + ll(W) + ") sum += xc[iy * " + ll(W) + " + ix] * wc[r * " +
       std::to_string(S) + " + s];\n";
  b += "          }\n        }\n      }\n      acc[q] = sum;\n    }\n  }\n";
  b += "  if (!active) return;\n";
  // Epilogue: bias and activation per conv output, then the pool.
  b += "  const float bias = " + std::string(hasBias ? "x2[oc]" : "0.0f") + ";\n";
  b +=
      "  float result = " + std::string(pool && pool->isMax ? "-__int_as_float(0x7f800000)" : "0.0f") + ";\n";
  const bool counts = pool && !pool->isMax;  // avg divides by a count
  if (counts) b += "  int valid = 0, padded = 0;\n";
  b += "  for (int q = 0; q < " + std::to_string(window) + "; ++q) {\n";
  b += "    const long long oy = py * " + ll(pool ? pool->strideH : 1) + " - " + ll(pool ? pool->padTop : 0) +
       " + q / " + ll(poolW) + ";\n";
  b += "    const long long ox = px * " + ll(pool ? pool->strideW : 1) + " - " +
       ll(pool ? pool->padLeft : 0) + " + q % " + ll(poolW) + ";\n";
  if (counts)
    b += "    if (oy >= -" + ll(pool->padTop) + " && oy < " + ll(OH + pool->padBottom) + " && ox >= -" +
         ll(pool->padLeft) + " && ox < " + ll(OW + pool->padRight) + ") ++padded;\n";
  b += "    if (oy < 0 || oy >= " + ll(OH) + " || ox < 0 || ox >= " + ll(OW) + ") continue;\n";
  b += "    float v = acc[q] + bias;\n";
  b += "    v = " + activationExpr(act, "v") + ";\n";
  if (pool && pool->isMax)
    b += "    if (v > result || v != v) result = (result != result) ? result : v;\n";
  else
    b += "    result += v;\n";
  b += counts ? "    ++valid;\n  }\n" : "  }\n";
  if (pool && !pool->isMax) {
    std::string count = pool->countIncludePad ? "padded" : "valid";
    b += "  result = " + count + " == 0 ? 0.0f : result / (float)" + count + ";\n";
  }
  b += "  y0[((n * " + ll(Kd) + " + " + ll(destOffset) + " + oc) * " + ll(PH) + " + py) * " + ll(PW) +
       " + px] = result;\n";
  k.body = b;
  k.summary = "direct conv " + std::to_string(R) + "x" + std::to_string(S) +
              ", filter staged in shared memory (" + std::to_string(chunk) + " channels a chunk)" +
              (pool ? ", pool epilogue" : "") +
              (destOffset ? ", into dest channel " + std::to_string(destOffset) : "");
  return k;
}

}  // namespace nutshell::cuda
