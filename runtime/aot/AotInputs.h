// The input handling of AOT executables (AotMain.cpp): find each
// `--input NAME=FILE` among the model's declared inputs, read the tensor file
// and check its dtype and shape against the declaration. Separate from main()
// so that the fuzz target (tests/fuzz/aot_input_fuzzer.cpp) runs this very
// code against any descriptor, not a copy of it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"
#include "runtime/aot/AotModel.h"

namespace nutshell::aot {

/// "f32[1,3,32,32]"
std::string shapeText(const NutshellAotTensor& tensor);
/// "'x' f32[1,3,32,32], 'y' i64[2]"
std::string namesOf(const NutshellAotTensor* tensors, int32_t count);
/// Index of the tensor called `name`, or -1.
int findTensor(const NutshellAotTensor* tensors, int32_t count, const std::string& name);

/// The inputs of `runs` runs of the model, each tensor the runs' inputs
/// stacked along the leading axis.
struct AotInputs {
  std::vector<Tensor> tensors;
  int64_t runs = 1;
};

/// The model's inputs in declaration order from NAME=FILE pairs: every input
/// given exactly once, each file of the declared dtype and shape, or of that
/// shape with a leading dim k times the declared one: a batch of k runs
/// (every input the same k; the outputs are stacked alike). Errors name the
/// input and the file.
Expected<AotInputs> readInputs(const NutshellAotModel& model,
                               const std::vector<std::pair<std::string, std::string>>& given);

}  // namespace nutshell::aot
