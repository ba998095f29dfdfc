// lstm (ONNX semantics, see the reference's LstmKernel.cpp): one task per
// (direction, batch row) runs all time steps. Per step the 4H gate
// pre-activations are computed in blocks of vectors (W x + R h + Wb + Rb, the
// gate GEMVs, with W and R transposed at compile time so each k step is
// contiguous vector loads), then the cell update runs vectorized over H,
// fused in the same kernel. The state lives in the Y_h / Y_c result buffers.
#include <fmt/format.h>

#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {

Expected<KernelInfo> emitLstm(KernelBuilder& kb) {
  const ir::Node& node = kb.node;
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (kb.operandType(i) != ir::DType::F32) return kb.error("all lstm operands must be f32");
  auto x = kb.operandShape(0);
  if (x.size() != 3) return kb.error(fmt::format("X must be [T,B,I], got {}", node.operands[0]->type.str()));
  const int64_t T = x[0], B = x[1], I = x[2];
  const int64_t H = node.getInt("hidden_size");
  const std::string& direction = node.getString("direction");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return kb.error(fmt::format("unknown direction '{}'", direction));
  const int64_t D = direction == "bidirectional" ? 2 : 1;
  const bool reverseOnly = direction == "reverse";
  std::vector<std::pair<size_t, std::vector<int64_t>>> expects = {
      {1, {D, 4 * H, I}}, {2, {D, 4 * H, H}}, {3, {D, 8 * H}}, {4, {D, B, H}}, {5, {D, B, H}}};
  if (node.operands.size() > 6) expects.push_back({6, {D, 3 * H}});
  for (const auto& [index, shape] : expects)
    if (kb.operandShape(index) != shape)
      return kb.error(fmt::format("operand {} must have shape {}, got {}", index, shapeText(shape),
                                  node.operands[index]->type.str()));
  const double clip = node.getFloat("clip");
  const bool inputForget = node.getInt("input_forget") != 0;
  const int W = kb.W;
  const int64_t G = 4 * H;
  llvm::IRBuilder<>& b = kb.b;
  llvm::VectorType* vec = kb.vecTy();

  // W^T [D][I][4H] and R^T [D][H][4H]: element (k, row) at k*4H + row.
  auto transposed = [&](size_t index, int64_t inner) -> std::pair<llvm::Value*, bool> {
    const ir::TensorData* data = kb.constantOperand(index);
    if (!data) return {kb.operand(index), false};
    std::vector<float> t(data->f32.size());
    for (int64_t d = 0; d < D; ++d)
      for (int64_t row = 0; row < G; ++row)
        for (int64_t k = 0; k < inner; ++k) t[size_t((d * inner + k) * G + row)] = data->f32[size_t((d * G + row) * inner + k)];
    return {kb.constantGlobal(t, index == 1 ? "wt" : "rt"), true};
  };
  auto [wT, wIsT] = transposed(1, I);
  auto [rT, rIsT] = transposed(2, H);
  llvm::Value* X = kb.operand(0);
  llvm::Value* bias = kb.operand(3);
  llvm::Value* h0 = kb.operand(4);
  llvm::Value* c0 = kb.operand(5);
  llvm::Value* peep = node.operands.size() > 6 ? kb.operand(6) : nullptr;
  llvm::Value* Y = kb.result(0);
  llvm::Value* Yh = kb.result(1);
  llvm::Value* Yc = kb.result(2);
  llvm::AllocaInst* gates = kb.entryAlloca(kb.f32Ty(), G, "gates");

  const int64_t gateVectors = (G + W - 1) / W;
  const int64_t block = std::min<int64_t>(gateVectors, kb.target.hasAvx512 ? 16 : 8);
  const int64_t numBlocks = (gateVectors + block - 1) / block;
  std::vector<llvm::AllocaInst*> acc;
  for (int64_t v = 0; v < block; ++v) acc.push_back(kb.entryAlloca(vec, 1, "acc"));

  auto bound = [&](llvm::Value* v) {
    return clip > 0.0 ? kb.fmin(kb.fmax(v, kb.fconst(vec, -clip)), kb.fconst(vec, clip)) : v;
  };

  int64_t numTasks = kb.forEachTaskItem(D * B, 1, [&](llvm::Value* item) {
    llvm::Value* d = b.CreateUDiv(item, kb.i64c(B));
    llvm::Value* bi = b.CreateURem(item, kb.i64c(B));
    llvm::Value* reverse = reverseOnly ? static_cast<llvm::Value*>(b.getTrue()) : b.CreateICmpEQ(d, kb.i64c(1));
    llvm::Value* state = b.CreateMul(item, kb.i64c(H));  // (d*B + b)*H
    b.CreateMemCpy(kb.elemPtr(kb.f32Ty(), Yh, state), llvm::MaybeAlign(4), kb.elemPtr(kb.f32Ty(), h0, state),
                   llvm::MaybeAlign(4), H * 4);
    b.CreateMemCpy(kb.elemPtr(kb.f32Ty(), Yc, state), llvm::MaybeAlign(4), kb.elemPtr(kb.f32Ty(), c0, state),
                   llvm::MaybeAlign(4), H * 4);
    llvm::Value* wBase = b.CreateMul(d, kb.i64c(G * I));
    llvm::Value* rBase = b.CreateMul(d, kb.i64c(G * H));
    llvm::Value* bBase = b.CreateMul(d, kb.i64c(2 * G));

    kb.loops.forLoop(0, T, 1, [&](llvm::Value* step) {
      llvm::Value* t = b.CreateSelect(reverse, b.CreateSub(kb.i64c(T - 1), step), step);
      llvm::Value* xRow = b.CreateMul(b.CreateAdd(b.CreateMul(t, kb.i64c(B)), bi), kb.i64c(I));
      // Gate pre-activations, `block` vectors at a time.
      kb.loops.forLoop(0, numBlocks, 1, [&](llvm::Value* blk) {
        llvm::Value* row0 = b.CreateMul(blk, kb.i64c(block * W));
        std::vector<llvm::Value*> rows, masks;
        for (int64_t v = 0; v < block; ++v) {
          llvm::Value* row = b.CreateAdd(row0, kb.i64c(v * W));
          rows.push_back(row);
          masks.push_back(G % (block * W) == 0 ? nullptr : kb.laneMask(b.CreateSub(kb.i64c(G), row)));
          llvm::Value* wb = kb.loadVec(bias, b.CreateAdd(bBase, row), masks.back());
          llvm::Value* rb = kb.loadVec(bias, b.CreateAdd(bBase, b.CreateAdd(row, kb.i64c(G))), masks.back());
          b.CreateStore(b.CreateFAdd(wb, rb), acc[size_t(v)]);
        }
        auto accumulate = [&](llvm::Value* matrix, bool isT, llvm::Value* base, int64_t inner, llvm::Value* vecSrc,
                              llvm::Value* vecBase) {
          kb.loops.forLoop(0, inner, 1, [&](llvm::Value* k) {
            llvm::Value* s = kb.splat(kb.load(kb.f32Ty(), vecSrc, b.CreateAdd(vecBase, k)));
            for (int64_t v = 0; v < block; ++v) {
              llvm::Value* m;
              if (isT)
                m = kb.loadVec(matrix, b.CreateAdd(base, b.CreateAdd(b.CreateMul(k, kb.i64c(G)), rows[size_t(v)])),
                               masks[size_t(v)]);
              else
                m = kb.loadStrided(matrix, b.CreateAdd(base, b.CreateAdd(b.CreateMul(rows[size_t(v)], kb.i64c(inner)), k)),
                                   inner, masks[size_t(v)]);
              b.CreateStore(kb.fma(s, m, b.CreateLoad(vec, acc[size_t(v)])), acc[size_t(v)]);
            }
          }, "k");
        };
        accumulate(wT, wIsT, wBase, I, X, xRow);
        accumulate(rT, rIsT, rBase, H, Yh, state);
        for (int64_t v = 0; v < block; ++v)
          kb.storeVec(b.CreateLoad(vec, acc[size_t(v)]), gates, rows[size_t(v)], masks[size_t(v)]);
      }, "gb");
      // Cell update, vectorized over H.
      llvm::Value* yRow = b.CreateMul(b.CreateAdd(b.CreateMul(b.CreateAdd(b.CreateMul(t, kb.i64c(D)), d), kb.i64c(B)), bi),
                                      kb.i64c(H));
      kb.loops.forLoop(0, H, W, [&](llvm::Value* j) {
        llvm::Value* mask = H % W == 0 ? nullptr : kb.laneMask(b.CreateSub(kb.i64c(H), j));
        auto gate = [&](int64_t which) { return kb.loadVec(gates, b.CreateAdd(j, kb.i64c(which * H)), mask); };
        auto peephole = [&](int64_t which) {
          return kb.loadVec(peep, b.CreateAdd(b.CreateMul(d, kb.i64c(3 * H)), b.CreateAdd(j, kb.i64c(which * H))), mask);
        };
        llvm::Value* cPrev = kb.loadVec(Yc, b.CreateAdd(state, j), mask);
        llvm::Value* gi = gate(0);
        llvm::Value* gf = gate(2);
        if (peep) {
          gi = kb.fma(peephole(0), cPrev, gi);
          gf = kb.fma(peephole(2), cPrev, gf);
        }
        llvm::Value* i = kb.sigmoid(bound(gi));
        llvm::Value* f = inputForget ? b.CreateFSub(kb.fconst(vec, 1.0), i) : kb.sigmoid(bound(gf));
        llvm::Value* g = kb.tanh(bound(gate(3)));
        llvm::Value* c = kb.fma(f, cPrev, b.CreateFMul(i, g));
        llvm::Value* go = gate(1);
        if (peep) go = kb.fma(peephole(1), c, go);
        llvm::Value* o = kb.sigmoid(bound(go));
        llvm::Value* h = b.CreateFMul(o, kb.tanh(c));
        kb.storeVec(c, Yc, b.CreateAdd(state, j), mask);
        kb.storeVec(h, Yh, b.CreateAdd(state, j), mask);
        kb.storeVec(h, Y, b.CreateAdd(yRow, j), mask);
      }, "j");
    }, "t");
  });
  return KernelInfo{numTasks, double(D * B * T * G * (I + H) * 2),
                    fmt::format("lstm T={} B={} I={} H={} D={}, gate blocks of {} vectors", T, B, I, H, D, block)};
}

}  // namespace nutshell::cpu
