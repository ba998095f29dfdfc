// Private to the reference interpreter: the kernel entry points (one per op
// family, split over *Kernels.cpp) and the small helpers they share.
//
// Every kernel takes the node (for attributes and error messages) and its
// concrete operand tensors, validates what it relies on, and returns its
// result tensors or an error naming the node, the op and the shapes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/Activation.h"
#include "ir/Graph.h"
#include "ir/OpViews.h"
#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"

namespace nutshell::reference {

using Operands = std::vector<const Tensor*>;
using Results = Expected<std::vector<Tensor>>;

// ---- errors ------------------------------------------------------------------
/// "node '%conv1' (conv2d)"
std::string describe(const ir::Node& node);
/// "node '%conv1' (conv2d): MESSAGE"
Error nodeError(const ir::Node& node, const std::string& message);
/// "[2,3,4]"
std::string shapeString(const std::vector<int64_t>& shape);

// ---- checks ------------------------------------------------------------------
/// Operand `index` must be f32 (name is the operand's role, e.g. "weights").
Status requireF32(const ir::Node& node, const Operands& ops, size_t index, const char* role);
Status requireRank(const ir::Node& node, const Operands& ops, size_t index, size_t rank, const char* role);
/// Normalises a possibly negative axis against `rank` (valid: [-rank, rank)).
Expected<int64_t> normalizeAxis(const ir::Node& node, int64_t axis, int64_t rank);
/// A zero-filled tensor, with the element count checked against kMaxElements
/// so that bad shapes become errors instead of huge allocations.
Expected<Tensor> makeTensor(const ir::Node& node, ElementType type, const std::vector<int64_t>& shape);

// ---- indexing ----------------------------------------------------------------
/// Row-major strides of `shape`.
std::vector<int64_t> contiguousStrides(const std::vector<int64_t>& shape);
/// numpy broadcast of two shapes (error names both).
Expected<std::vector<int64_t>> broadcastShape(const ir::Node& node, const std::vector<int64_t>& a,
                                              const std::vector<int64_t>& b);
/// Strides for reading a tensor of `inShape` while iterating `outShape`
/// (right-aligned; broadcast dims get stride 0). Precondition: broadcastable.
std::vector<int64_t> broadcastStrides(const std::vector<int64_t>& inShape, const std::vector<int64_t>& outShape);

/// Calls fn(outIndex, offsets) for every element of `outShape` in row-major
/// order, where offsets[k] is the element offset into operand k computed with
/// strides[k]. Keeps the offsets incrementally (an odometer), so it costs O(1)
/// amortised per element.
template <class Fn>
void forEachBroadcast(const std::vector<int64_t>& outShape, const std::vector<std::vector<int64_t>>& strides,
                      Fn&& fn) {
  int64_t total = 1;
  for (int64_t d : outShape) total *= d;
  if (total == 0) return;
  size_t rank = outShape.size();
  size_t k = strides.size();
  std::vector<int64_t> index(rank, 0);
  std::vector<int64_t> offsets(k, 0);
  for (int64_t i = 0; i < total; ++i) {
    fn(i, offsets.data());
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < outShape[d]) {
        for (size_t j = 0; j < k; ++j) offsets[j] += strides[j][d];
        break;
      }
      index[d] = 0;
      for (size_t j = 0; j < k; ++j) offsets[j] -= strides[j][d] * (outShape[d] - 1);
    }
  }
}

// ---- scalar functions shared by plain, fused and chained ops ------------------
/// An activation (ir/Activation.h: any unary elementwise op of ops.def, or
/// none) on one value. Computed in double and rounded once, so fused
/// and unfused graphs agree bit for bit.
float applyActivation(const ir::Activation& act, float x);

// ---- shared compute ----------------------------------------------------------
/// conv2d of x[N,C,H,W] with w[K,C/groups,KH,KW] and optional bias[K].
Expected<Tensor> convolve(const ir::Node& node, const Tensor& x, const Tensor& w, const Tensor* bias,
                          const ir::ConvGeometry& p);

/// max or average pooling of x[N,C,H,W].
Expected<Tensor> pool(const ir::Node& node, const Tensor& x, const ir::PoolGeometry& p);

/// dense(x[M,K], w[K,N], b[N]) in double, then `act`.
Expected<Tensor> denseProduct(const ir::Node& node, const Operands& ops, const ir::Activation& act);

// ---- kernels, by family --------------------------------------------------------
// ConvKernels.cpp
Results runConv2d(const ir::Node& node, const Operands& ops);
Results runFusedConv2d(const ir::Node& node, const Operands& ops);
// PoolKernels.cpp
Results runMaxPool2d(const ir::Node& node, const Operands& ops);
Results runAvgPool2d(const ir::Node& node, const Operands& ops);
Results runGlobalPool(const ir::Node& node, const Operands& ops, bool isMax);
// DenseKernels.cpp
Results runDense(const ir::Node& node, const Operands& ops);
Results runFusedDense(const ir::Node& node, const Operands& ops);
Results runMaxout(const ir::Node& node, const Operands& ops);
Results runGemm(const ir::Node& node, const Operands& ops);
Results runMatMul(const ir::Node& node, const Operands& ops);
// ElementwiseKernels.cpp
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Max, Min, PRelu };
Results runBinary(const ir::Node& node, const Operands& ops, BinaryOp op);
/// Any unary elementwise op (relu ... erf), by the node's op.
Results runUnary(const ir::Node& node, const Operands& ops);
Results runFusedElementwise(const ir::Node& node, const Operands& ops);
// ReductionKernels.cpp
Results runSoftmax(const ir::Node& node, const Operands& ops, bool isLog);
enum class ReduceOp { Max, Mean, Sum, Min, Prod, L1, L2, SumSquare, LogSumExp };
Results runReduce(const ir::Node& node, const Operands& ops, ReduceOp op);
Results runBatchNorm(const ir::Node& node, const Operands& ops);
Results runLrn(const ir::Node& node, const Operands& ops);
/// arg_max / arg_min along one axis (i64 indices).
Results runArgReduce(const ir::Node& node, const Operands& ops, bool isMax);
// NormKernels.cpp
Results runLayerNorm(const ir::Node& node, const Operands& ops);
Results runGroupNorm(const ir::Node& node, const Operands& ops);
// LayoutKernels.cpp
Results runReshape(const ir::Node& node, const Operands& ops);
Results runFlatten(const ir::Node& node, const Operands& ops);
Results runTranspose(const ir::Node& node, const Operands& ops);
Results runConcat(const ir::Node& node, const Operands& ops);
Results runSlice(const ir::Node& node, const Operands& ops);
Results runPad(const ir::Node& node, const Operands& ops);
Results runTile(const ir::Node& node, const Operands& ops);
Results runExpand(const ir::Node& node, const Operands& ops);
Results runDepthToSpace(const ir::Node& node, const Operands& ops);
Results runSpaceToDepth(const ir::Node& node, const Operands& ops);
// LstmKernel.cpp
Results runLstm(const ir::Node& node, const Operands& ops);
// LogicKernels.cpp: comparisons (bool results), not/and/or/xor, where.
Results runCompare(const ir::Node& node, const Operands& ops);
Results runLogical(const ir::Node& node, const Operands& ops);
Results runWhere(const ir::Node& node, const Operands& ops);
// ShapeOpKernels.cpp
Results runShape(const ir::Node& node, const Operands& ops);
Results runGather(const ir::Node& node, const Operands& ops);
Results runUnsqueeze(const ir::Node& node, const Operands& ops);
Results runSqueeze(const ir::Node& node, const Operands& ops);
Results runConstantOfShape(const ir::Node& node, const Operands& ops);
Results runCast(const ir::Node& node, const Operands& ops);

/// One result.
inline Results single(Tensor t) {
  std::vector<Tensor> v;
  v.push_back(std::move(t));
  return v;
}

}  // namespace nutshell::reference
