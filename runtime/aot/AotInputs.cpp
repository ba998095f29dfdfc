#include "runtime/aot/AotInputs.h"

#include <algorithm>
#include <optional>

#include "runtime/TensorIO.h"

namespace nutshell::aot {

namespace {

ElementType elementTypeOf(const NutshellAotTensor& t) {
  return t.dtype == NUTSHELL_AOT_F32 ? ElementType::F32 : ElementType::I64;
}

std::vector<int64_t> shapeOf(const NutshellAotTensor& t) {
  return std::vector<int64_t>(t.shape, t.shape + t.rank);
}

/// How many runs' worth of `expected` the shape `shape` holds: 1 when equal,
/// k when the leading dim is k times the declared one and the rest equal,
/// 0 when it fits neither.
int64_t runsIn(const std::vector<int64_t>& shape, const NutshellAotTensor& expected) {
  std::vector<int64_t> declared = shapeOf(expected);
  if (shape == declared) return 1;
  if (shape.size() != declared.size() || declared.empty() || declared[0] <= 0 || shape[0] % declared[0] != 0)
    return 0;
  if (!std::equal(shape.begin() + 1, shape.end(), declared.begin() + 1)) return 0;
  return shape[0] / declared[0];
}

}  // namespace

std::string shapeText(const NutshellAotTensor& t) {
  std::string s = t.dtype == NUTSHELL_AOT_F32 ? "f32[" : "i64[";
  for (int32_t d = 0; d < t.rank; ++d) {
    if (d) s += ',';
    s += std::to_string(t.shape[d]);
  }
  return s + "]";
}

std::string namesOf(const NutshellAotTensor* tensors, int32_t count) {
  std::string s;
  for (int32_t i = 0; i < count; ++i) {
    if (i) s += ", ";
    s += std::string("'") + tensors[i].name + "' " + shapeText(tensors[i]);
  }
  return s;
}

int findTensor(const NutshellAotTensor* tensors, int32_t count, const std::string& name) {
  for (int32_t i = 0; i < count; ++i)
    if (name == tensors[i].name) return i;
  return -1;
}

Expected<AotInputs> readInputs(const NutshellAotModel& model,
                               const std::vector<std::pair<std::string, std::string>>& given) {
  std::vector<std::optional<Tensor>> inputs(size_t(model.num_inputs > 0 ? model.num_inputs : 0));
  AotInputs result;
  std::string firstBatched;  // the input that set result.runs
  for (const auto& [name, file] : given) {
    int index = findTensor(model.inputs, model.num_inputs, name);
    if (index < 0)
      return makeError("--input names '" + name + "', which is not an input of the model (inputs: " +
                       namesOf(model.inputs, model.num_inputs) + ")");
    if (inputs[size_t(index)]) return makeError("input '" + name + "' given twice");
    NUTSHELL_ASSIGN(NamedTensor named, readTensorFile(file));
    const NutshellAotTensor& expected = model.inputs[index];
    int64_t runs = runsIn(named.tensor.shape(), expected);
    if (named.tensor.type() != elementTypeOf(expected) || runs == 0)
      return makeError(
          "input '" + name + "': '" + file + "' holds " + storedTypeString(named.tensor, named.storedType) +
          " but the model expects " + shapeText(expected) +
          " or a batch of them along the first axis (shapes are fixed when the model is compiled: "
          "see nutshell-compile --input-shape)");
    if (firstBatched.empty()) {
      result.runs = runs;
      firstBatched = name;
    } else if (runs != result.runs) {
      return makeError("input '" + name + "': '" + file + "' holds " + std::to_string(runs) + " run(s) of " +
                       shapeText(expected) + " but input '" + firstBatched + "' holds " +
                       std::to_string(result.runs) + "; give every input the same number of rows");
    }
    inputs[size_t(index)] = std::move(named.tensor);
  }
  for (int32_t i = 0; i < model.num_inputs; ++i) {
    if (!inputs[size_t(i)])
      return makeError(std::string("no data for input '") + model.inputs[i].name + "' " +
                       shapeText(model.inputs[i]) + " (give --input " + model.inputs[i].name + "=FILE.npy)");
    result.tensors.push_back(std::move(*inputs[size_t(i)]));
  }
  return result;
}

}  // namespace nutshell::aot
