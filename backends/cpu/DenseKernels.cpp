// dense / fused_dense / maxout / gemm / matmul: operand layouts mapped onto
// the shared GEMM core (GemmEmitter.h). Constant weights are re-laid out at
// compile time where that turns gathers into contiguous vector loads.
#include <fmt/format.h>

#include "backends/cpu/GemmEmitter.h"

namespace nutshell::cpu {
namespace {

Status requireRank(KernelBuilder& kb, size_t index, size_t rank, const char* role) {
  if (kb.node.operands[index]->type.rank() != rank)
    return kb.error(fmt::format("{} must have rank {}, got {}", role, rank, kb.node.operands[index]->type.str()));
  return Status::success();
}

}  // namespace

Expected<KernelInfo> emitDense(KernelBuilder& kb) {
  NUTSHELL_TRY(requireRank(kb, 0, 2, "input"));
  NUTSHELL_TRY(requireRank(kb, 1, 2, "weights"));
  NUTSHELL_ASSIGN(ir::Activation act, ir::fusedActivation(kb.node));
  auto x = kb.operandShape(0);
  auto w = kb.operandShape(1);
  if (x[1] != w[0]) return kb.error(fmt::format("input {} and weights {} disagree on K", shapeText(x), shapeText(w)));
  GemmProblem p;
  p.M = x[0];
  p.K = x[1];
  p.N = w[1];
  p.a = kb.operand(0);
  p.aRowStride = p.K;
  p.b = kb.operand(1);
  p.bRowStride = p.N;
  p.out = kb.result();
  p.outRowStride = p.N;
  if (kb.node.operands.size() > 2) {
    if (kb.operandShape(2) != std::vector<int64_t>{p.N}) return kb.error("bias must have shape [N]");
    llvm::Value* bias = kb.operand(2);
    p.init = [&kb, bias](int, llvm::Value* n, llvm::Value* mask) { return kb.loadVec(bias, n, mask); };
  }
  if (!act.isNone())
    p.epilogue = [&kb, act](llvm::Value*, llvm::Value*, llvm::Value*, llvm::Value*, llvm::Value* v) {
      return kb.activation(act, v);
    };
  KernelInfo info = emitGemmTiles(kb, p);
  if (!act.isNone()) info.summary += " act=" + std::string(act.name());
  return info;
}

Expected<KernelInfo> emitMaxout(KernelBuilder& kb) {
  NUTSHELL_TRY(requireRank(kb, 0, 2, "input"));
  NUTSHELL_TRY(requireRank(kb, 1, 2, "weights"));
  auto x = kb.operandShape(0);
  auto w = kb.operandShape(1);
  int64_t pieces = kb.node.getInt("pieces");
  if (pieces < 1 || w[1] % pieces != 0 || x[1] != w[0])
    return kb.error(fmt::format("input {} / weights {} do not fit {} pieces", shapeText(x), shapeText(w), pieces));
  if (pieces > 8) return kb.error(fmt::format("maxout with {} pieces is not supported (at most 8)", pieces));
  GemmProblem p;
  p.M = x[0];
  p.K = x[1];
  p.N = w[1] / pieces;
  p.pieces = int(pieces);
  p.a = kb.operand(0);
  p.aRowStride = p.K;
  p.out = kb.result();
  p.outRowStride = p.N;
  const ir::TensorData* wData = kb.constantOperand(1);
  const ir::TensorData* bData = kb.constantOperand(2);
  if (wData && bData) {
    // Piece-major re-layout: w'[k][p*N + j] = w[k][j*P + p], so each piece's
    // columns are contiguous vector loads.
    std::vector<float> wt(wData->f32.size()), bt(bData->f32.size());
    for (int64_t k = 0; k < p.K; ++k)
      for (int64_t j = 0; j < p.N; ++j)
        for (int64_t q = 0; q < pieces; ++q) wt[k * w[1] + q * p.N + j] = wData->f32[k * w[1] + j * pieces + q];
    for (int64_t j = 0; j < p.N; ++j)
      for (int64_t q = 0; q < pieces; ++q) bt[q * p.N + j] = bData->f32[j * pieces + q];
    p.b = kb.constantGlobal(wt, "wpieces");
    p.bRowStride = w[1];
    p.pieceStride = p.N;
    llvm::Value* bias = kb.constantGlobal(bt, "bpieces");
    int64_t stride = p.N;
    p.init = [&kb, bias, stride](int piece, llvm::Value* n, llvm::Value* mask) {
      return kb.loadVec(bias, kb.b.CreateAdd(n, kb.i64c(piece * stride)), mask);
    };
  } else {
    p.b = kb.operand(1);
    p.bRowStride = w[1];
    p.bColStride = pieces;
    p.pieceStride = 1;
    llvm::Value* bias = kb.operand(2);
    p.init = [&kb, bias, pieces](int piece, llvm::Value* n, llvm::Value* mask) {
      llvm::Value* at = kb.b.CreateAdd(kb.b.CreateMul(n, kb.i64c(pieces)), kb.i64c(piece));
      return kb.loadStrided(bias, at, pieces, mask);
    };
  }
  return emitGemmTiles(kb, p);
}

Expected<KernelInfo> emitGemm(KernelBuilder& kb) {
  NUTSHELL_TRY(requireRank(kb, 0, 2, "A"));
  NUTSHELL_TRY(requireRank(kb, 1, 2, "B"));
  bool transA = kb.node.getInt("trans_a") != 0;
  bool transB = kb.node.getInt("trans_b") != 0;
  double alpha = kb.node.getFloat("alpha");
  double beta = kb.node.getFloat("beta");
  auto a = kb.operandShape(0);
  auto bs = kb.operandShape(1);
  GemmProblem p;
  p.M = transA ? a[1] : a[0];
  p.K = transA ? a[0] : a[1];
  p.N = transB ? bs[0] : bs[1];
  if ((transB ? bs[1] : bs[0]) != p.K)
    return kb.error(fmt::format("A {} and B {} disagree on K", shapeText(a), shapeText(bs)));
  p.a = kb.operand(0);
  p.aRowStride = transA ? 1 : p.K;
  p.aColStride = transA ? p.M : 1;
  const ir::TensorData* bData = kb.constantOperand(1);
  if (transB && bData) {
    // Constant B^T (ONNX Gemm transB=1): transpose once at compile time.
    std::vector<float> t(bData->f32.size());
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t k = 0; k < p.K; ++k) t[k * p.N + n] = bData->f32[n * p.K + k];
    p.b = kb.constantGlobal(t, "bt");
    p.bRowStride = p.N;
  } else {
    p.b = kb.operand(1);
    p.bRowStride = transB ? 1 : p.N;
    p.bColStride = transB ? p.K : 1;
  }
  p.out = kb.result();
  p.outRowStride = p.N;
  llvm::Value* c = nullptr;
  int64_t cm = 0, cn = 0;
  if (kb.node.operands.size() > 2 && beta != 0.0) {
    auto cs = kb.operandShape(2);
    if (cs.size() > 2) return kb.error(fmt::format("C {} has rank > 2", shapeText(cs)));
    std::vector<int64_t> c2(2 - cs.size(), 1);
    c2.insert(c2.end(), cs.begin(), cs.end());
    if ((c2[0] != 1 && c2[0] != p.M) || (c2[1] != 1 && c2[1] != p.N))
      return kb.error(fmt::format("C {} does not broadcast to [{},{}]", shapeText(cs), p.M, p.N));
    cm = c2[0] == 1 ? 0 : c2[1];
    cn = c2[1] == 1 ? 0 : 1;
    c = kb.operand(2);
  }
  if (c && cm == 0 && beta == 1.0 && alpha == 1.0) {
    // A bias row: start the accumulators from it.
    p.init = [&kb, c, cn](int, llvm::Value* n, llvm::Value* mask) {
      return kb.loadStrided(c, cn ? n : kb.i64c(0), cn, cn ? mask : nullptr);
    };
    c = nullptr;
  }
  if (alpha != 1.0 || c) {
    p.epilogue = [&kb, c, cm, cn, alpha, beta](llvm::Value*, llvm::Value* m, llvm::Value* n, llvm::Value* mask,
                                               llvm::Value* acc) {
      llvm::Value* v = alpha != 1.0 ? kb.b.CreateFMul(acc, kb.fconst(acc->getType(), alpha)) : acc;
      if (c) {
        llvm::Value* at = kb.b.CreateAdd(kb.b.CreateMul(m, kb.i64c(cm)), cn ? n : kb.i64c(0));
        llvm::Value* cv = kb.loadStrided(c, at, cn, cn ? mask : nullptr);
        v = kb.fma(cv, kb.fconst(acc->getType(), beta), v);
      }
      return v;
    };
  }
  return emitGemmTiles(kb, p);
}

Expected<KernelInfo> emitMatMul(KernelBuilder& kb) {
  auto a = kb.operandShape(0);
  auto bs = kb.operandShape(1);
  if (a.empty() || bs.empty()) return kb.error("matmul operands must have rank >= 1");
  bool aVector = a.size() == 1, bVector = bs.size() == 1;
  if (aVector) a.insert(a.begin(), 1);
  if (bVector) bs.push_back(1);
  GemmProblem p;
  p.M = a[a.size() - 2];
  p.K = a.back();
  p.N = bs.back();
  if (bs[bs.size() - 2] != p.K)
    return kb.error(fmt::format("A {} and B {} disagree on K", shapeText(kb.operandShape(0)), shapeText(kb.operandShape(1))));
  std::vector<int64_t> aBatch(a.begin(), a.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  size_t rank = std::max(aBatch.size(), bBatch.size());
  std::vector<int64_t> batch(rank, 1), aStride(rank, 0), bStride(rank, 0);
  int64_t sa = p.M * p.K, sb = p.K * p.N;
  for (size_t i = 0; i < rank; ++i) {
    size_t d = rank - 1 - i;
    int64_t da = i < aBatch.size() ? aBatch[aBatch.size() - 1 - i] : 1;
    int64_t db = i < bBatch.size() ? bBatch[bBatch.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return kb.error(fmt::format("batch dims of {} and {} do not broadcast", shapeText(kb.operandShape(0)),
                                  shapeText(kb.operandShape(1))));
    batch[d] = std::max(da, db);
    aStride[d] = da == 1 ? 0 : sa;
    bStride[d] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
  }
  p.batch = product(batch);
  p.a = kb.operand(0);
  p.aRowStride = p.K;
  p.b = kb.operand(1);
  p.bRowStride = p.N;
  p.out = kb.result();
  p.outRowStride = p.N;
  int64_t outStride = p.M * p.N;
  p.bases = [&kb, batch, aStride, bStride, outStride](llvm::Value* bi, llvm::Value*& aOff, llvm::Value*& bOff,
                                                       llvm::Value*& outOff) {
    std::vector<llvm::Value*> idx = kb.decompose(bi, batch);
    for (size_t d = 0; d < batch.size(); ++d) {
      if (aStride[d]) aOff = kb.b.CreateAdd(aOff, kb.b.CreateMul(idx[d], kb.i64c(aStride[d])));
      if (bStride[d]) bOff = kb.b.CreateAdd(bOff, kb.b.CreateMul(idx[d], kb.i64c(bStride[d])));
    }
    outOff = kb.b.CreateMul(bi, kb.i64c(outStride));
  };
  return emitGemmTiles(kb, p);
}

}  // namespace nutshell::cpu
