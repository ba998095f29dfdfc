#include "passes/ConstantEvaluator.h"

#include <algorithm>

#include "backends/reference/ReferenceInterpreter.h"

namespace nutshell::passes {

namespace {

ElementType elementTypeOf(ir::DType dtype) {
  return reference::slotType(dtype);
}

std::optional<Tensor> toTensor(const ir::TensorData& data) {
  if (data.elided || !data.type.isStatic()) return std::nullopt;
  Expected<Tensor> tensor = Tensor::allocate(elementTypeOf(data.type.dtype), data.type.shape());
  if (!tensor) return std::nullopt;
  size_t n = size_t(data.numElements());
  if (ir::isFloatType(data.type.dtype)) {
    if (data.f32.size() != n) return std::nullopt;
    std::copy(data.f32.begin(), data.f32.end(), tensor->f32());
  } else {
    if (data.i64.size() != n) return std::nullopt;
    std::copy(data.i64.begin(), data.i64.end(), tensor->i64());
  }
  return tensor.take();
}

/// The payload of a result the interpreter holds as `tensor` (see
/// reference::slotType), typed as the node declares it.
ir::TensorDataPtr toData(const Tensor& tensor, ir::DType declared) {
  size_t n = size_t(tensor.numElements());
  auto data = std::make_shared<ir::TensorData>();
  data->type = ir::TensorType(declared, std::vector<ir::Dim>(tensor.shape().begin(), tensor.shape().end()));
  if (tensor.type() == ElementType::F32)
    data->f32.assign(tensor.f32(), tensor.f32() + n);
  else
    data->i64.assign(tensor.i64(), tensor.i64() + n);
  return data;
}

}  // namespace

std::optional<std::vector<ir::TensorDataPtr>> evaluateConstantNode(const ir::Node& node,
                                                                   const std::vector<const ir::TensorData*>& operands) {
  if (!node.info().has(ir::Trait::Foldable) || operands.size() != node.operands.size()) return std::nullopt;
  std::vector<Tensor> tensors;
  tensors.reserve(operands.size());
  for (const ir::TensorData* operand : operands) {
    if (!operand) return std::nullopt;
    std::optional<Tensor> tensor = toTensor(*operand);
    if (!tensor) return std::nullopt;
    tensors.push_back(std::move(*tensor));
  }
  std::vector<const Tensor*> pointers;
  for (const Tensor& tensor : tensors) pointers.push_back(&tensor);
  Expected<std::vector<Tensor>> results = reference::evaluateNode(node, pointers);
  if (!results) return std::nullopt;
  std::vector<ir::TensorDataPtr> folded;
  for (size_t r = 0; r < results->size(); ++r) {
    ir::DType declared = r < node.results.size() ? node.results[r]->type.dtype : ir::DType::F32;
    if ((*results)[r].type() != elementTypeOf(declared)) return std::nullopt;
    folded.push_back(toData((*results)[r], declared));
  }
  return folded;
}

}  // namespace nutshell::passes
