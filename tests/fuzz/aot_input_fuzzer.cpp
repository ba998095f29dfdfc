// aot_input_fuzzer: what an AOT executable (runtime/aot/AotMain.cpp) does
// with `--input NAME=FILE`: find NAME among the model's declared inputs
// (NutshellAotTensor), refuse a name given twice, read FILE with
// readTensorFile (.npy or .pb by extension), and accept the tensor only when
// its dtype and shape are the declared ones (or a batch of them along the
// first axis); then the compiled code reads the declared number of bytes per
// run from the tensor's storage.
//
// It calls the executables' own code (runtime/aot/AotInputs.h, readInputs)
// on descriptors like the ones nutshell-compile emits, and checks the
// property the compiled code relies on: an accepted tensor holds the declared
// number of bytes for every run.
//
// Input layout: byte 0 picks the model signature and the file extension,
// byte 1 picks the input name (one value names no input; bit 7 gives the
// name twice), the rest is the tensor file.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"
#include "runtime/TensorIO.h"
#include "runtime/aot/AotInputs.h"
#include "runtime/aot/AotModel.h"
#include "tests/fuzz/FuzzCommon.h"

namespace {

using namespace nutshell;

// ---- model signatures like the ones nutshell-compile emits -----------------

const int64_t kImage[] = {1, 3, 32, 32};
const int64_t kRow[] = {2, 3};
const int64_t kIndices[] = {4};
const int64_t kEmpty[] = {0, 5};
const int64_t kBig[] = {1, 256, 256};

const NutshellAotTensor kTrafficsignInputs[] = {{"x", NUTSHELL_AOT_F32, 4, kImage}};
const NutshellAotTensor kMixedInputs[] = {
    {"x", NUTSHELL_AOT_F32, 2, kRow},
    {"idx", NUTSHELL_AOT_I64, 1, kIndices},
    {"scale", NUTSHELL_AOT_F32, 0, nullptr},  // a scalar
};
const NutshellAotTensor kOddInputs[] = {
    {"input:0", NUTSHELL_AOT_F32, 2, kEmpty},
    {"big", NUTSHELL_AOT_I64, 3, kBig},
};

struct Signature {
  const NutshellAotTensor* inputs;
  int32_t count;
};
const Signature kSignatures[] = {{kTrafficsignInputs, 1}, {kMixedInputs, 3}, {kOddInputs, 2}};
const char* const kExtensions[] = {".npy", ".pb", ".NPY", ".Pb", ".bin", ""};

ElementType elementTypeOf(const NutshellAotTensor& t) {
  return t.dtype == NUTSHELL_AOT_F32 ? ElementType::F32 : ElementType::I64;
}

std::vector<int64_t> shapeOf(const NutshellAotTensor& t) {
  return std::vector<int64_t>(t.shape, t.shape + t.rank);
}

/// A descriptor like the one nutshell-compile links into an executable.
NutshellAotModel modelFor(const Signature& sig) {
  NutshellAotModel model{};
  model.abi_version = NUTSHELL_AOT_ABI_VERSION;
  model.num_inputs = sig.count;
  model.inputs = sig.inputs;
  model.name = "fuzzed";
  return model;
}

/// Declared bytes of an input: what the compiled code reads through the
/// pointer AotMain hands it.
size_t declaredBytes(const NutshellAotTensor& t) {
  size_t n = 1;
  for (int32_t d = 0; d < t.rank; ++d) n *= size_t(t.shape[d]);
  return n * (t.dtype == NUTSHELL_AOT_F32 ? 4 : 8);
}

/// Stand-in for the model's run(): reads every declared byte of each input.
void consumeInputs(const Signature& model, const aot::AotInputs& inputs) {
  unsigned sum = 0;
  if (inputs.runs < 1) {
    std::fprintf(stderr, "aot_input_fuzzer: inputs accepted for %lld runs\n",
                 static_cast<long long>(inputs.runs));
    std::abort();
  }
  for (int32_t i = 0; i < model.count; ++i) {
    const Tensor& tensor = inputs.tensors[size_t(i)];
    size_t bytes = declaredBytes(model.inputs[i]) * size_t(inputs.runs);
    if (tensor.byteSize() < bytes) {
      std::fprintf(stderr, "aot_input_fuzzer: input '%s' accepted with %zu bytes, the model reads %zu\n",
                   model.inputs[i].name, tensor.byteSize(), bytes);
      std::abort();
    }
    const auto* p = static_cast<const unsigned char*>(tensor.data());
    for (size_t b = 0; p && b < bytes; b += 61) sum += p[b];
    if (p && bytes) sum += p[bytes - 1];
  }
  volatile unsigned sink = sum;
  (void)sink;
}

/// A file of the declared type and shape for input `index` of signature
/// `sig`, as a real caller gives the inputs not under test (written once).
std::string validInputFile(size_t sig, int index) {
  static std::map<std::pair<size_t, int>, std::string> written;
  auto it = written.find({sig, index});
  if (it != written.end()) return it->second;
  const NutshellAotTensor& t = kSignatures[sig].inputs[index];
  std::string path =
      fuzz::scratchDir() + "/valid" + std::to_string(sig) + "_" + std::to_string(index) + ".npy";
  if (!writeNpy(Tensor(elementTypeOf(t), shapeOf(t)), path)) return "";
  written[{sig, index}] = path;
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::setUp();
  if (size < 2 || size > fuzz::kMaxInputBytes) return 0;
  const size_t sig = data[0] % std::size(kSignatures);
  const Signature& model = kSignatures[sig];
  const char* extension = kExtensions[(data[0] / std::size(kSignatures)) % std::size(kExtensions)];
  int named = int(data[1] & 0x7f) % (model.count + 1);  // == count: a name the model lacks
  bool twice = (data[1] & 0x80) != 0;
  std::string_view file(reinterpret_cast<const char*>(data + 2), size - 2);

  std::string path = fuzz::scratchDir() + "/input" + extension;
  if (!fuzz::writeFile(path, file)) return 0;
  std::string name = named < model.count ? model.inputs[named].name : "no_such_input";

  std::vector<std::pair<std::string, std::string>> given;
  for (int32_t i = 0; i < model.count; ++i) {
    if (i == named) continue;
    std::string other = validInputFile(sig, i);
    if (other.empty()) return 0;
    given.emplace_back(model.inputs[i].name, other);
  }
  given.emplace_back(name, path);
  if (twice) given.emplace_back(name, path);

  auto inputs = aot::readInputs(modelFor(model), given);
  if (!inputs) return 0;
  consumeInputs(model, *inputs);
  return 0;
}
