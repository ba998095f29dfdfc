// Dense algebra: dense / fused_dense / maxout (w is [K,N], K-major), ONNX gemm
// and numpy matmul. Products accumulate in double and round once.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

Expected<Tensor> denseProduct(const ir::Node& node, const Operands& ops, const ir::Activation& act) {
  for (size_t i = 0; i < ops.size(); ++i) NUTSHELL_TRY(requireF32(node, ops, i, i == 0 ? "input" : "parameter"));
  const Tensor& x = *ops[0];
  const Tensor& w = *ops[1];
  if (x.rank() != 2 || w.rank() != 2 || x.shape()[1] != w.shape()[0])
    return nodeError(node, fmt::format("dense needs x[M,K] and w[K,N], got {} and {}", x.typeString(), w.typeString()));
  const int64_t M = x.shape()[0], K = x.shape()[1], N = w.shape()[1];
  const Tensor* b = ops.size() > 2 ? ops[2] : nullptr;
  if (b && (b->rank() != 1 || b->shape()[0] != N))
    return nodeError(node, fmt::format("bias must be f32[{}], got {}", N, b->typeString()));
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::F32, {M, N}));
  std::vector<double> acc(static_cast<size_t>(N));
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) acc[n] = b ? double(b->f32()[n]) : 0.0;
    // Row m of x times w, walking w row by row (contiguous).
    for (int64_t k = 0; k < K; ++k) {
      const double xv = x.f32()[m * K + k];
      const float* wrow = w.f32() + k * N;
      for (int64_t n = 0; n < N; ++n) acc[n] += xv * double(wrow[n]);
    }
    for (int64_t n = 0; n < N; ++n) out.f32()[m * N + n] = applyActivation(act, float(acc[n]));
  }
  return out;
}

Results runDense(const ir::Node& node, const Operands& ops) {
  NUTSHELL_ASSIGN(Tensor out, denseProduct(node, ops, ir::Activation{}));
  return single(std::move(out));
}

Results runFusedDense(const ir::Node& node, const Operands& ops) {
  NUTSHELL_ASSIGN(ir::Activation act, ir::fusedActivation(node));
  NUTSHELL_ASSIGN(Tensor out, denseProduct(node, ops, act));
  return single(std::move(out));
}

Results runMaxout(const ir::Node& node, const Operands& ops) {
  const int64_t pieces = node.getInt("pieces");
  NUTSHELL_ASSIGN(Tensor d, denseProduct(node, ops, ir::Activation{}));
  const int64_t M = d.shape()[0], total = d.shape()[1];
  if (pieces < 1 || total % pieces != 0)
    return nodeError(node, fmt::format("pieces={} does not divide the {} dense outputs", pieces, total));
  const int64_t N = total / pieces;
  Tensor out(ElementType::F32, {M, N});
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      float best = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < pieces; ++j) {
        const float v = d.f32()[m * total + n * pieces + j];
        if (v > best || std::isnan(v)) best = std::isnan(best) ? best : v;
      }
      out.f32()[m * N + n] = best;
    }
  }
  return single(std::move(out));
}

Results runGemm(const ir::Node& node, const Operands& ops) {
  for (size_t i = 0; i < ops.size(); ++i) NUTSHELL_TRY(requireF32(node, ops, i, "operand"));
  const Tensor& a = *ops[0];
  const Tensor& b = *ops[1];
  const bool ta = node.getInt("trans_a") != 0, tb = node.getInt("trans_b") != 0;
  if (a.rank() != 2 || b.rank() != 2)
    return nodeError(node, fmt::format("A and B must be rank 2, got {} and {}", a.typeString(), b.typeString()));
  const int64_t M = ta ? a.shape()[1] : a.shape()[0];
  const int64_t K = ta ? a.shape()[0] : a.shape()[1];
  const int64_t Kb = tb ? b.shape()[1] : b.shape()[0];
  const int64_t N = tb ? b.shape()[0] : b.shape()[1];
  if (K != Kb)
    return nodeError(node, fmt::format("inner dimensions differ: A {} (trans_a={}) and B {} (trans_b={})",
                                       a.typeString(), int(ta), b.typeString(), int(tb)));
  const double alpha = node.getFloat("alpha"), beta = node.getFloat("beta");
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::F32, {M, N}));
  std::vector<int64_t> cStrides = {0, 0};
  const Tensor* c = ops.size() > 2 ? ops[2] : nullptr;
  if (c) {
    // C broadcasts one way: to [M,N] and never beyond.
    NUTSHELL_ASSIGN(std::vector<int64_t> shape, broadcastShape(node, c->shape(), {M, N}));
    if (shape != std::vector<int64_t>{M, N})
      return nodeError(node, fmt::format("C {} does not broadcast to [{},{}]", c->typeString(), M, N));
    cStrides = broadcastStrides(c->shape(), {M, N});
  }
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double acc = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        const double av = a.f32()[ta ? k * M + m : m * K + k];
        const double bv = b.f32()[tb ? n * K + k : k * N + n];
        acc += av * bv;
      }
      acc *= alpha;
      if (c) acc += beta * double(c->f32()[m * cStrides[0] + n * cStrides[1]]);
      out.f32()[m * N + n] = float(acc);
    }
  }
  return single(std::move(out));
}

Results runMatMul(const ir::Node& node, const Operands& ops) {
  NUTSHELL_TRY(requireF32(node, ops, 0, "A"));
  NUTSHELL_TRY(requireF32(node, ops, 1, "B"));
  const Tensor& a = *ops[0];
  const Tensor& b = *ops[1];
  if (a.rank() == 0 || b.rank() == 0)
    return nodeError(node, fmt::format("operands must have rank >= 1, got {} and {}", a.typeString(), b.typeString()));
  // numpy: a 1-D A is a row [1,K], a 1-D B a column [K,1]; the added dim is
  // dropped from the result.
  std::vector<int64_t> as = a.shape(), bs = b.shape();
  const bool aVector = as.size() == 1, bVector = bs.size() == 1;
  if (aVector) as.insert(as.begin(), 1);
  if (bVector) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    return nodeError(node, fmt::format("inner dimensions differ: {} and {}", a.typeString(), b.typeString()));
  std::vector<int64_t> aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  NUTSHELL_ASSIGN(std::vector<int64_t> batch, broadcastShape(node, aBatch, bBatch));
  std::vector<int64_t> outShape = batch;
  if (!aVector) outShape.push_back(M);
  if (!bVector) outShape.push_back(N);
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, ElementType::F32, outShape));
  // Batch strides in units of whole matrices.
  std::vector<std::vector<int64_t>> strides = {broadcastStrides(aBatch, batch), broadcastStrides(bBatch, batch)};
  if (batch.empty()) batch = {1}, strides = {{0}, {0}};
  forEachBroadcast(batch, strides, [&](int64_t i, const int64_t* off) {
    const float* pa = a.f32() + off[0] * M * K;
    const float* pb = b.f32() + off[1] * K * N;
    float* po = out.f32() + i * M * N;
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        double acc = 0.0;
        for (int64_t k = 0; k < K; ++k) acc += double(pa[m * K + k]) * double(pb[k * N + n]);
        po[m * N + n] = float(acc);
      }
    }
  });
  return single(std::move(out));
}

}  // namespace nutshell::reference
