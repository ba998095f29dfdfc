#include "backends/common/ExecutableShell.h"

#include <fmt/format.h>

namespace nutshell::common {
namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
  return "[" + fmt::format("{}", fmt::join(shape, ",")) + "]";
}

std::string inputList(const std::vector<InputSpec>& specs) {
  std::string list;
  for (const InputSpec& spec : specs) list += (list.empty() ? "" : ", ") + spec.str();
  return list.empty() ? "none" : list;
}

}  // namespace

ElementType elementTypeOf(ir::DType dtype) {
  return dtype == ir::DType::F32 ? ElementType::F32 : ElementType::I64;
}

std::vector<InputSpec> inputSpecs(const ir::Graph& graph) {
  std::vector<InputSpec> specs;
  for (const ir::Value* input : graph.inputs) {
    InputSpec spec;
    spec.name = input->name;
    spec.type = elementTypeOf(input->type.dtype);
    for (const ir::Dim& d : input->type.dims) spec.shape.push_back(d.isStatic() ? d.size : -1);
    spec.typeText = input->type.str();
    specs.push_back(std::move(spec));
  }
  return specs;
}

Status checkInputs(const std::vector<InputSpec>& specs, const TensorMap& inputs) {
  for (const auto& [name, tensor] : inputs) {
    bool known = false;
    for (const InputSpec& spec : specs) known = known || spec.name == name;
    if (!known)
      return makeError(fmt::format("'{}' is not an input of the model (inputs: {})", name, inputList(specs)));
  }
  for (const InputSpec& spec : specs) {
    auto it = inputs.find(spec.name);
    if (it == inputs.end())
      return makeError(fmt::format("missing input {} (inputs: {})", spec.str(), inputList(specs)));
    const Tensor& t = it->second;
    if (t.type() != spec.type)
      return makeError(
          fmt::format("input '{}' has dtype {}, expected {}", spec.name, elementTypeName(t.type()), spec.str()));
    bool match = t.rank() == spec.shape.size();
    for (size_t d = 0; match && d < t.rank(); ++d) match = spec.shape[d] < 0 || spec.shape[d] == t.shape()[d];
    if (!match)
      return makeError(
          fmt::format("input '{}' has shape {}, expected {}", spec.name, shapeText(t.shape()), spec.str()));
  }
  return Status::success();
}

std::map<std::string, std::vector<int64_t>> inputShapes(const std::vector<InputSpec>& specs,
                                                        const TensorMap& inputs) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const InputSpec& spec : specs) shapes[spec.name] = inputs.at(spec.name).shape();
  return shapes;
}

std::string shapeKey(const std::vector<InputSpec>& specs, const TensorMap& inputs) {
  std::string key;
  for (const InputSpec& spec : specs) key += shapeText(inputs.at(spec.name).shape()) + ";";
  return key;
}

std::string shapeKey(const std::vector<InputSpec>& specs) {
  std::string key;
  for (const InputSpec& spec : specs) key += shapeText(spec.shape) + ";";
  return key;
}

}  // namespace nutshell::common
