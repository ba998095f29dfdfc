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

/// The model's inputs in declaration order from NAME=FILE pairs: every input
/// given exactly once, each file of the declared dtype and shape. Errors name
/// the input and the file.
Expected<std::vector<Tensor>> readInputs(const NutshellAotModel& model,
                                         const std::vector<std::pair<std::string, std::string>>& given);

}  // namespace nutshell::aot
