// The dispatch from op to kernel family. No `default:`: a new op in ops.def
// breaks the build here until it has a kernel.
#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {

Expected<KernelInfo> emitKernel(KernelBuilder& kb) {
  switch (kb.node.op) {
    case ir::OpKind::Const:
    case ir::OpKind::Empty:
      return KernelInfo{};  // a global / an uninitialised arena buffer
    case ir::OpKind::Identity:
    case ir::OpKind::Reshape:
    case ir::OpKind::Flatten:
    case ir::OpKind::Squeeze:
    case ir::OpKind::Unsqueeze:
      return emitCopy(kb);
    case ir::OpKind::Conv2d:
    case ir::OpKind::FusedConv2d:
      return emitConv2d(kb);
    case ir::OpKind::MaxPool2d:
    case ir::OpKind::AvgPool2d:
      return emitPool2d(kb);
    case ir::OpKind::GlobalAvgPool:
    case ir::OpKind::GlobalMaxPool:
      return emitGlobalPool(kb);
    case ir::OpKind::Dense:
    case ir::OpKind::FusedDense:
      return emitDense(kb);
    case ir::OpKind::Maxout:
      return emitMaxout(kb);
    case ir::OpKind::Gemm:
      return emitGemm(kb);
    case ir::OpKind::MatMul:
      return emitMatMul(kb);
    case ir::OpKind::Add:
    case ir::OpKind::Sub:
    case ir::OpKind::Mul:
    case ir::OpKind::Div:
    case ir::OpKind::Pow:
    case ir::OpKind::Max:
    case ir::OpKind::Min:
    case ir::OpKind::PRelu:
    case ir::OpKind::Relu:
    case ir::OpKind::LeakyRelu:
    case ir::OpKind::Sigmoid:
    case ir::OpKind::Tanh:
    case ir::OpKind::Clip:
    case ir::OpKind::Exp:
    case ir::OpKind::HardSigmoid:
    case ir::OpKind::HardSwish:
    case ir::OpKind::Elu:
    case ir::OpKind::Selu:
    case ir::OpKind::Softplus:
    case ir::OpKind::Softsign:
    case ir::OpKind::Neg:
    case ir::OpKind::Abs:
    case ir::OpKind::Sqrt:
    case ir::OpKind::Reciprocal:
    case ir::OpKind::Erf:
    case ir::OpKind::ThresholdedRelu:
    case ir::OpKind::Celu:
    case ir::OpKind::Log:
    case ir::OpKind::Floor:
    case ir::OpKind::Ceil:
    case ir::OpKind::Round:
    case ir::OpKind::Sign:
    case ir::OpKind::Shrink:
    case ir::OpKind::FusedElementwise:
      return emitElementwise(kb);
    case ir::OpKind::Softmax:
    case ir::OpKind::LogSoftmax:
      return emitSoftmax(kb);
    case ir::OpKind::ReduceMax:
    case ir::OpKind::ReduceMean:
    case ir::OpKind::ReduceSum:
    case ir::OpKind::ReduceMin:
    case ir::OpKind::ReduceProd:
    case ir::OpKind::ReduceL1:
    case ir::OpKind::ReduceL2:
    case ir::OpKind::ReduceSumSquare:
    case ir::OpKind::ReduceLogSumExp: return emitReduce(kb);
    case ir::OpKind::ArgMax:
    case ir::OpKind::ArgMin: return emitArgReduce(kb);
    case ir::OpKind::BatchNorm:
      return emitBatchNorm(kb);
    case ir::OpKind::Lrn:
      return emitLrn(kb);
    case ir::OpKind::LayerNorm: return emitLayerNorm(kb);
    case ir::OpKind::GroupNorm: return emitGroupNorm(kb);
    case ir::OpKind::Transpose:
      return emitTranspose(kb);
    case ir::OpKind::Concat:
      return emitConcat(kb);
    case ir::OpKind::Slice:
      return emitSlice(kb);
    case ir::OpKind::Pad:
      return emitPad(kb);
    case ir::OpKind::Tile: return emitTile(kb);
    case ir::OpKind::Expand: return emitExpand(kb);
    case ir::OpKind::DepthToSpace:
    case ir::OpKind::SpaceToDepth: return emitDepthSpace(kb);
    case ir::OpKind::Lstm:
      return emitLstm(kb);
    case ir::OpKind::Shape:
      return emitShape(kb);
    case ir::OpKind::Gather:
      return emitGather(kb);
    case ir::OpKind::ConstantOfShape:
      return emitConstantOfShape(kb);
    case ir::OpKind::Cast:
      return emitCast(kb);
    case ir::OpKind::Equal:
    case ir::OpKind::Less:
    case ir::OpKind::Greater:
    case ir::OpKind::LessEqual:
    case ir::OpKind::GreaterEqual: return emitCompare(kb);
    case ir::OpKind::Not:
    case ir::OpKind::And:
    case ir::OpKind::Or:
    case ir::OpKind::Xor: return emitLogical(kb);
    case ir::OpKind::Where: return emitWhere(kb);
  }
  return kb.error("unknown op");
}

}  // namespace nutshell::cpu
