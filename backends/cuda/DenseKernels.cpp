// dense, fused_dense, gemm and matmul as one tiled SGEMM: 16x16 output
// tiles, A and B staged through shared memory 16 deep, each thread one
// output with the fused epilogue (alpha, bias or gemm's broadcast C, the
// activation). Operands are read through strides, so transposes and
// matmul's broadcast batch dims cost no copies. maxout: one thread per
// output over its pieces.
#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

namespace {

std::string ll(int64_t v) {
  return std::to_string(v) + "LL";
}

constexpr int64_t kTile = 16;

/// C[batch][M,N] = epilogue(alpha * A·B): A(m,k) at aBatch + m*sam + k*sak.
struct GemmShape {
  int64_t M = 1, N = 1, K = 1;
  int64_t sam = 0, sak = 0, sbk = 0, sbn = 0;
  /// Output batch dims and each operand's element stride in them.
  std::vector<int64_t> batchDims, aBatchStrides, bBatchStrides;
  double alpha = 1.0;
  /// The epilogue's addend (the `bias` expression over m, n), or empty.
  std::string addend;
  ir::Activation act;
};

KernelSource sgemm(const GemmShape& g, const std::string& what) {
  int64_t batches = 1;
  for (int64_t d : g.batchDims) batches *= d;
  KernelSource k;
  k.syncs = true;
  k.block[0] = k.block[1] = unsigned(kTile);
  k.grid[0] = unsigned((g.N + kTile - 1) / kTile);
  k.grid[1] = unsigned((g.M + kTile - 1) / kTile);
  k.grid[2] = unsigned(batches);
  std::string b;
  b += "  __shared__ float as[16][17];\n  __shared__ float bs[16][17];\n";
  b += "  const int tx = threadIdx.x, ty = threadIdx.y;\n";
  b += "  const long long m = (long long)blockIdx.y * 16 + ty, n = (long long)blockIdx.x * 16 + tx;\n";
  b += "  long long aOff = 0, bOff = 0;\n";
  if (!g.batchDims.empty()) b += "  long long batch = blockIdx.z;\n";
  for (size_t d = g.batchDims.size(); d-- > 0;) {
    b += "  { const long long c = batch % " + ll(g.batchDims[d]) + "; batch /= " + ll(g.batchDims[d]) +
         "; aOff += c * " + ll(g.aBatchStrides[d]) + "; bOff += c * " + ll(g.bBatchStrides[d]) + "; }\n";
  }
  b += "  float acc = 0.0f;\n";
  b += "  for (long long k0 = 0; k0 < " + ll(g.K) + "; k0 += 16) {\n";
  b += "    const long long ka = k0 + tx, kb = k0 + ty;\n";
  b += "    as[ty][tx] = (m < " + ll(g.M) + " && ka < " + ll(g.K) + ") ? x0[aOff + m * " + ll(g.sam) +
       " + ka * " + ll(g.sak) + "] : 0.0f;\n";
  b += "    bs[ty][tx] = (kb < " + ll(g.K) + " && n < " + ll(g.N) + ") ? x1[bOff + kb * " + ll(g.sbk) +
       " + n * " + ll(g.sbn) + "] : 0.0f;\n";
  b += "    __syncthreads();\n";
  b += "    for (int kk = 0; kk < 16; ++kk) acc += as[ty][kk] * bs[kk][tx];\n";
  b += "    __syncthreads();\n  }\n";
  b += "  if (m >= " + ll(g.M) + " || n >= " + ll(g.N) + ") return;\n";
  b += "  float v = " + (g.alpha == 1.0 ? std::string("acc") : floatLiteral(g.alpha) + " * acc") + ";\n";
  if (!g.addend.empty()) b += "  v += " + g.addend + ";\n";
  b += "  v = " + activationExpr(g.act, "v") + ";\n";
  b += "  y0[(long long)blockIdx.z * " + ll(g.M * g.N) + " + m * " + ll(g.N) + " + n] = v;\n";
  k.body = b;
  k.summary = what + " as tiled SGEMM " + std::to_string(g.M) + "x" + std::to_string(g.N) + "x" +
              std::to_string(g.K) + (batches > 1 ? ", " + std::to_string(batches) + " batches" : "");
  return k;
}

}  // namespace

Expected<KernelSource> emitDense(const ir::Node& node) {
  const std::vector<int64_t> x = node.operands[0]->type.shape(), w = node.operands[1]->type.shape();
  if (x.size() != 2 || w.size() != 2) return noKernel(node, "not 2-D");
  GemmShape g;
  g.M = x[0], g.K = x[1], g.N = w[1];
  g.sam = g.K, g.sak = 1, g.sbk = g.N, g.sbn = 1;
  if (node.operands.size() > 2) g.addend = "x2[n]";
  if (node.op == ir::OpKind::FusedDense) {
    NUTSHELL_ASSIGN(g.act, ir::fusedActivation(node));
  }
  return sgemm(g, std::string(node.info().name));
}

Expected<KernelSource> emitGemm(const ir::Node& node) {
  const std::vector<int64_t> a = node.operands[0]->type.shape(), bShape = node.operands[1]->type.shape();
  if (a.size() != 2 || bShape.size() != 2) return noKernel(node, "not 2-D");
  const bool ta = node.getInt("trans_a") != 0, tb = node.getInt("trans_b") != 0;
  GemmShape g;
  g.M = ta ? a[1] : a[0];
  g.K = ta ? a[0] : a[1];
  g.N = tb ? bShape[0] : bShape[1];
  g.sam = ta ? 1 : a[1], g.sak = ta ? a[1] : 1;
  g.sbk = tb ? 1 : bShape[1], g.sbn = tb ? bShape[1] : 1;
  g.alpha = node.getFloat("alpha");
  const double beta = node.getFloat("beta");
  if (node.operands.size() > 2 && beta != 0.0) {
    std::vector<int64_t> c = node.operands[2]->type.shape();
    while (c.size() < 2) c.insert(c.begin(), 1);
    if (c.size() != 2) return noKernel(node, "C of rank above 2");
    std::string index =
        "(" + std::string(c[0] == 1 ? "0" : "m * " + ll(c[1])) + " + " + (c[1] == 1 ? "0" : "n") + ")";
    g.addend = (beta == 1.0 ? "" : floatLiteral(beta) + " * ") + "x2[" + index + "]";
  }
  return sgemm(g, "gemm");
}

Expected<KernelSource> emitMatMul(const ir::Node& node) {
  std::vector<int64_t> a = node.operands[0]->type.shape(), bShape = node.operands[1]->type.shape();
  const std::vector<int64_t> out = node.results[0]->type.shape();
  if (a.empty() || bShape.empty()) return noKernel(node, "0-D operands");
  // numpy: a 1-D a is a row [1,K], a 1-D b a column [K,1]; the added dim
  // is dropped from the result, which leaves its element order unchanged.
  const bool rowA = a.size() == 1, columnB = bShape.size() == 1;
  if (rowA) a.insert(a.begin(), 1);
  if (columnB) bShape.push_back(1);
  GemmShape g;
  g.M = a[a.size() - 2], g.K = a.back(), g.N = bShape.back();
  g.sam = g.K, g.sak = 1, g.sbk = g.N, g.sbn = 1;
  const size_t batchRank = out.size() - (rowA ? 0 : 1) - (columnB ? 0 : 1);
  auto batchStrides = [&](const std::vector<int64_t>& shape, int64_t matrix) {
    std::vector<int64_t> strides(batchRank, 0);
    int64_t stride = matrix;
    const size_t rank = shape.size() - 2;
    for (size_t i = 0; i < rank; ++i) {
      const size_t dim = rank - 1 - i, outDim = batchRank - 1 - i;
      if (shape[dim] != 1) strides[outDim] = stride;
      stride *= shape[dim];
    }
    return strides;
  };
  g.batchDims.assign(out.begin(), out.begin() + long(batchRank));
  g.aBatchStrides = batchStrides(a, g.M * g.K);
  g.bBatchStrides = batchStrides(bShape, g.K * g.N);
  return sgemm(g, "matmul");
}

Expected<KernelSource> emitMaxout(const ir::Node& node) {
  const std::vector<int64_t> x = node.operands[0]->type.shape(), out = node.results[0]->type.shape();
  const int64_t M = x[0], K = x[1], N = out[1], pieces = node.getInt("pieces");
  const int64_t total = M * N;
  KernelSource k;
  std::string b = "  " + gridStrideLoop("i", total) + " {\n";
  b += "    const long long m = i / " + ll(N) + ", n = i % " + ll(N) + ";\n";
  b += "    float best = -__int_as_float(0x7f800000);\n";
  b += "    for (long long p = 0; p < " + ll(pieces) + "; ++p) {\n";
  b += "      const long long col = n * " + ll(pieces) + " + p;\n";
  b += "      float acc = 0.0f;\n";
  b += "      for (long long kk = 0; kk < " + ll(K) + "; ++kk) acc += x0[m * " + ll(K) + " + kk] * x1[kk * " +
       ll(N * pieces) + " + col];\n";
  b += "      acc += x2[col];\n      best = fmaxf(best, acc);\n    }\n    y0[i] = best;\n  }\n";
  k.body = b;
  launchElementwise(k, total);
  k.summary = "maxout of " + std::to_string(pieces) + " pieces";
  return k;
}

}  // namespace nutshell::cuda
