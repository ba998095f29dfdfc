// The dispatch from op to kernel family: one switch over every op in
// ops.def without `default:`, so -Werror=switch names an op added to the
// table until it has a kernel here (or an explicit "not written yet").
#include <fmt/format.h>

#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

namespace {

/// The renderer's buffers are f32 or i64 (`float*`, `long long*`); a node
/// touching another element type is listed, not miscompiled.
const ir::Value* otherElementType(const ir::Node& node) {
  auto other = [](const ir::Value* v) {
    return v->type.dtype != ir::DType::F32 && v->type.dtype != ir::DType::I64;
  };
  for (const ir::Value* v : node.operands)
    if (other(v)) return v;
  for (const ir::Value* v : node.results)
    if (other(v)) return v;
  return nullptr;
}

}  // namespace

Expected<KernelSource> emitKernel(const ir::Node& node) {
  using K = ir::OpKind;
  if (const ir::Value* v = otherElementType(node))
    return noKernel(node, fmt::format("%{} is {}: the cuda backend computes in f32 and i64 only", v->name,
                                      ir::dtypeName(v->type.dtype)));
  switch (node.op) {
    case K::Const:
    case K::Empty: return KernelSource{};  // a device constant / an arena buffer a later kernel fills
    case K::Identity:
    case K::Reshape:
    case K::Flatten:
    case K::Squeeze:
    case K::Unsqueeze: return emitCopy(node);
    case K::Conv2d:
    case K::FusedConv2d: return emitConv2d(node);
    case K::MaxPool2d:
    case K::AvgPool2d: return emitPool2d(node);
    case K::GlobalAvgPool:
    case K::GlobalMaxPool: return emitGlobalPool(node);
    case K::Dense:
    case K::FusedDense: return emitDense(node);
    case K::Maxout: return emitMaxout(node);
    case K::Gemm: return emitGemm(node);
    case K::MatMul: return emitMatMul(node);
    case K::Add:
    case K::Sub:
    case K::Mul:
    case K::Div:
    case K::Pow:
    case K::Max:
    case K::Min:
    case K::PRelu:
    case K::Relu:
    case K::LeakyRelu:
    case K::Sigmoid:
    case K::Tanh:
    case K::Clip:
    case K::Exp:
    case K::HardSigmoid:
    case K::HardSwish:
    case K::Elu:
    case K::Selu:
    case K::Softplus:
    case K::Softsign:
    case K::ThresholdedRelu:
    case K::Celu:
    case K::Neg:
    case K::Abs:
    case K::Sqrt:
    case K::Reciprocal:
    case K::Erf:
    case K::Log:
    case K::Floor:
    case K::Ceil:
    case K::Round:
    case K::Sign:
    case K::Shrink:
    case K::FusedElementwise: return emitElementwise(node);
    case K::Softmax:
    case K::LogSoftmax: return emitSoftmax(node);
    case K::ReduceMax:
    case K::ReduceMean:
    case K::ReduceSum:
    case K::ReduceMin:
    case K::ReduceProd:
    case K::ReduceL1:
    case K::ReduceL2:
    case K::ReduceSumSquare:
    case K::ReduceLogSumExp: return emitReduce(node);
    case K::BatchNorm: return emitBatchNorm(node);
    case K::Transpose:
    case K::Slice:
    case K::Pad:
    case K::Tile:
    case K::Expand:
    case K::DepthToSpace:
    case K::SpaceToDepth: return emitLayout(node);
    case K::Concat: return emitConcat(node);
    case K::Gather: return emitGather(node);
    case K::Lstm: return emitLstm(node);
    case K::ArgMax:
    case K::ArgMin: return emitArgReduce(node);
    case K::Lrn: return emitLrn(node);
    case K::LayerNorm: return emitLayerNorm(node);
    case K::GroupNorm: return emitGroupNorm(node);
    case K::Shape:
    case K::ConstantOfShape:
    case K::Cast: return emitShapeOp(node);
    // Their results are bool, which the gate above lists; reached only by a
    // graph that breaks the ops' type rules.
    case K::Equal:
    case K::Less:
    case K::Greater:
    case K::LessEqual:
    case K::GreaterEqual:
    case K::Not:
    case K::And:
    case K::Or:
    case K::Xor:
    case K::Where: return noKernel(node, "comparisons, logic and where need bool tensors");
  }
  return noKernel(node, "unknown op");
}

}  // namespace nutshell::cuda
