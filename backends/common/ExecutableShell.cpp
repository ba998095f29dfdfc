#include "backends/common/ExecutableShell.h"

#include <cstring>
#include <set>

#include <fmt/format.h>

#include "ir/TensorData.h"

namespace nutshell {

namespace common {
namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
  return "[" + fmt::format("{}", fmt::join(shape, ",")) + "]";
}

std::string specList(const std::vector<TensorSpec>& specs) {
  std::string list;
  for (const TensorSpec& spec : specs) list += (list.empty() ? "" : ", ") + spec.str();
  return list.empty() ? "none" : list;
}

bool shapeMatches(const std::vector<int64_t>& declared, const std::vector<int64_t>& actual) {
  bool match = declared.size() == actual.size();
  for (size_t d = 0; match && d < actual.size(); ++d) match = declared[d] < 0 || declared[d] == actual[d];
  return match;
}

}  // namespace

ElementType elementTypeOf(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::F32: return ElementType::F32;
    case ir::DType::I64: return ElementType::I64;
    case ir::DType::Bool: return ElementType::Bool;
    case ir::DType::I32: return ElementType::I32;
    case ir::DType::I8: return ElementType::I8;
    case ir::DType::U8: return ElementType::U8;
    case ir::DType::F64: return ElementType::F64;
  }
  return ElementType::F32;
}

ir::DType dtypeOf(ElementType type) {
  for (ir::DType dtype : ir::kAllDTypes)
    if (elementTypeOf(dtype) == type) return dtype;
  return ir::DType::F32;
}

ir::TensorDataPtr tensorData(const Tensor& tensor) {
  auto data = std::make_shared<ir::TensorData>();
  data->type = ir::TensorType(dtypeOf(tensor.type()),
                              std::vector<ir::Dim>(tensor.shape().begin(), tensor.shape().end()));
  const bool isFloat = isFloatElement(tensor.type());
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    if (isFloat)
      data->f32.push_back(float(tensor.valueAt(i)));
    else
      data->i64.push_back(tensor.intAt(i));
  }
  return data;
}

std::vector<TensorSpec> inputSpecs(const ir::Graph& graph) {
  std::vector<TensorSpec> specs;
  for (const ir::Value* input : graph.inputs) {
    TensorSpec spec;
    spec.name = input->name;
    spec.type = elementTypeOf(input->type.dtype);
    for (const ir::Dim& d : input->type.dims) spec.shape.push_back(d.isStatic() ? d.size : -1);
    spec.typeText = input->type.str();
    specs.push_back(std::move(spec));
  }
  return specs;
}

std::vector<TensorSpec> outputSpecs(const std::vector<TensorSignature>& outputs) {
  std::vector<TensorSpec> specs;
  for (const TensorSignature& out : outputs) {
    TensorSpec spec{out.name, elementTypeOf(out.dtype), out.shape, ""};
    spec.typeText = std::string(elementTypeName(spec.type)) + shapeText(out.shape);
    specs.push_back(std::move(spec));
  }
  return specs;
}

ProvidedMap provided(const TensorMap& tensors) {
  ProvidedMap map;
  for (const auto& [name, tensor] : tensors) map[name] = {tensor.type(), tensor.shape()};
  return map;
}

Expected<ProvidedMap> provided(const BufferMap& buffers) {
  ProvidedMap map;
  for (const auto& [name, buffer] : buffers) {
    if (!buffer) return makeError(fmt::format("the buffer given for '{}' is null", name));
    map[name] = {buffer->type(), buffer->shape()};
  }
  return map;
}

Status checkInputs(const std::vector<TensorSpec>& specs, const ProvidedMap& inputs) {
  for (const auto& [name, given] : inputs) {
    bool known = false;
    for (const TensorSpec& spec : specs) known = known || spec.name == name;
    if (!known)
      return makeError(fmt::format("'{}' is not an input of the model (inputs: {})", name, specList(specs)));
  }
  for (const TensorSpec& spec : specs) {
    auto it = inputs.find(spec.name);
    if (it == inputs.end())
      return makeError(fmt::format("missing input {} (inputs: {})", spec.str(), specList(specs)));
    const Provided& given = it->second;
    if (given.type != spec.type)
      return makeError(fmt::format("input '{}' has dtype {}, expected {}", spec.name,
                                   elementTypeName(given.type), spec.str()));
    if (!shapeMatches(spec.shape, given.shape))
      return makeError(
          fmt::format("input '{}' has shape {}, expected {}", spec.name, shapeText(given.shape), spec.str()));
  }
  return Status::success();
}

Status checkOutputBuffers(const std::vector<TensorSpec>& specs, const BufferMap& outputs,
                          const BufferMap& inputs) {
  NUTSHELL_ASSIGN(ProvidedMap given, provided(outputs));
  for (const auto& [name, buffer] : given) {
    bool known = false;
    for (const TensorSpec& spec : specs) known = known || spec.name == name;
    if (!known)
      return makeError(
          fmt::format("'{}' is not an output of the model (outputs: {})", name, specList(specs)));
  }
  std::set<const DeviceBuffer*> seen;
  for (const auto& [name, buffer] : inputs) seen.insert(buffer);
  for (const TensorSpec& spec : specs) {
    auto it = given.find(spec.name);
    if (it == given.end())
      return makeError(fmt::format("missing output buffer {} (outputs: {})", spec.str(), specList(specs)));
    if (it->second.type != spec.type || !shapeMatches(spec.shape, it->second.shape))
      return makeError(fmt::format("output buffer '{}' is {}{}, expected {}", spec.name,
                                   elementTypeName(it->second.type), shapeText(it->second.shape),
                                   spec.str()));
    if (!seen.insert(outputs.at(spec.name)).second)
      return makeError(fmt::format("output buffer '{}' is also given as another input or output", spec.name));
  }
  return Status::success();
}

std::map<std::string, std::vector<int64_t>> inputShapes(const std::vector<TensorSpec>& specs,
                                                        const ProvidedMap& inputs) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const TensorSpec& spec : specs) shapes[spec.name] = inputs.at(spec.name).shape;
  return shapes;
}

std::string shapeKey(const std::vector<TensorSpec>& specs, const ProvidedMap& inputs) {
  std::string key;
  for (const TensorSpec& spec : specs) key += shapeText(inputs.at(spec.name).shape) + ";";
  return key;
}

std::string shapeKey(const std::vector<TensorSpec>& specs) {
  std::string key;
  for (const TensorSpec& spec : specs) key += shapeText(spec.shape) + ";";
  return key;
}

}  // namespace common

// ---- the seam's defaults (backends/Backend.h) -------------------------------------

Status HostBuffer::upload(const Tensor& tensor) {
  if (tensor.type() != tensor_.type() || tensor.shape() != tensor_.shape())
    return makeError(
        fmt::format("cannot upload a {} tensor into a {} buffer", tensor.typeString(), tensor_.typeString()));
  if (tensor.byteSize() > 0) std::memcpy(tensor_.data(), tensor.data(), tensor.byteSize());
  return Status::success();
}

Expected<std::unique_ptr<DeviceBuffer>> Executable::allocateBuffer(ElementType type,
                                                                   const std::vector<int64_t>& shape) {
  NUTSHELL_ASSIGN(Tensor tensor, Tensor::allocate(type, shape, "a buffer"));
  return std::unique_ptr<DeviceBuffer>(std::make_unique<HostBuffer>(std::move(tensor)));
}

Status Executable::runBuffers(const BufferMap& inputs, const BufferMap& outputs) {
  TensorMap tensors;
  for (const auto& [name, buffer] : inputs) {
    if (!buffer) return makeError(fmt::format("the buffer given for '{}' is null", name));
    NUTSHELL_ASSIGN(Tensor tensor, buffer->download());
    tensors.emplace(name, std::move(tensor));
  }
  NUTSHELL_ASSIGN(TensorMap results, run(tensors));
  std::vector<common::TensorSpec> specs;
  for (const auto& [name, tensor] : results)
    specs.push_back({name, tensor.type(), tensor.shape(), tensor.typeString()});
  NUTSHELL_TRY(common::checkOutputBuffers(specs, outputs, inputs));
  for (const auto& [name, tensor] : results) NUTSHELL_TRY(outputs.at(name)->upload(tensor));
  return Status::success();
}

const char* runStatusText(int32_t status) {
  switch (status) {
    case kRunOk: return "ok";
    case kRunNullPointer: return "a NULL pointer (the inputs or outputs array, a tensor, or the workspace)";
    case kRunMisaligned:
      return "a misaligned pointer (tensors need their element size, the workspace 64 bytes)";
  }
  return "an unknown status";
}

}  // namespace nutshell
