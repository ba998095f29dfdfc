// Helper of the AOT tests: converts ONNX test data (.pb) into what the produced
// programs read, and compares what they write with the expected outputs.
//
//   aot_tensor_tool shape FILE                  prints the dims, "2x3x32x32"
//   aot_tensor_tool convert IN OUT              .pb/.npy -> .npy/.pb
//   aot_tensor_tool to-raw IN OUT               raw little-endian elements (embed.c's input)
//   aot_tensor_tool argmax IN OUT [--shift S]   i64[N] top class of each row of f32[N,C] scores,
//                                               plus S modulo C (S > 0: wrong labels)
//   aot_tensor_tool compare ACTUAL EXPECTED [--raw] [--rtol R] [--atol A]
//       ACTUAL is a tensor file, or with --raw the raw elements of EXPECTED's type and shape
//
// Exit status: 0 ok / match, 1 mismatch, 2 error.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "nutshell/Tensor.h"
#include "runtime/TensorIO.h"
#include "tools/TensorCompare.h"

using namespace nutshell;

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "aot_tensor_tool: error: %s\n", message.c_str());
  return 2;
}

int compare(const std::vector<std::string>& args) {
  if (args.size() < 2) return fail("compare ACTUAL EXPECTED [--raw] [--rtol R] [--atol A]");
  bool raw = false;
  tools::Tolerance tolerance;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--raw") {
      raw = true;
    } else if ((args[i] == "--rtol" || args[i] == "--atol") && i + 1 < args.size()) {
      (args[i] == "--rtol" ? tolerance.rtol : tolerance.atol) = std::strtod(args[i + 1].c_str(), nullptr);
      ++i;
    } else {
      return fail("unknown compare option '" + args[i] + "'");
    }
  }
  auto expected = readTensorFile(args[1]);
  if (!expected) return fail(expected.message());
  Tensor actual;
  if (raw) {
    auto bytes = readFileBytes(args[0]);
    if (!bytes) return fail(bytes.message());
    actual = Tensor(expected->tensor.type(), expected->tensor.shape());
    if (bytes->size() != actual.byteSize())
      return fail("'" + args[0] + "' has " + std::to_string(bytes->size()) + " bytes, expected " +
                  std::to_string(actual.byteSize()) + " for " + actual.typeString());
    std::memcpy(actual.data(), bytes->data(), bytes->size());
  } else {
    auto read = readTensorFile(args[0]);
    if (!read) return fail(read.message());
    actual = std::move(read->tensor);
  }
  tools::CompareResult result = tools::compareTensors(actual, expected->tensor, tolerance);
  std::printf("%s vs %s: max_abs_err=%s max_rel_err=%s (rtol %g, atol %g) %s\n", args[0].c_str(), args[1].c_str(),
              tools::formatDouble(result.maxAbsError).c_str(), tools::formatDouble(result.maxRelError).c_str(),
              tolerance.rtol, tolerance.atol, result.match ? "OK" : "MISMATCH");
  if (!result.match) std::printf("  %s\n", result.detail.c_str());
  return result.match ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return fail("usage: aot_tensor_tool shape|convert|to-raw|argmax|compare ...");
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "compare") return compare(args);
  if (args.empty()) return fail(command + " needs a file");
  auto input = readTensorFile(args[0]);
  if (!input) return fail(input.message());
  const Tensor& tensor = input->tensor;
  if (command == "shape") {
    std::string text;
    for (size_t d = 0; d < tensor.rank(); ++d) {
      if (d) text += 'x';
      text += std::to_string(tensor.shape()[d]);
    }
    std::printf("%s\n", text.c_str());
    return 0;
  }
  if (command == "argmax") {
    if (args.size() != 2 && !(args.size() == 4 && args[2] == "--shift"))
      return fail("argmax IN OUT [--shift S]");
    if (tensor.type() != ElementType::F32 || tensor.rank() != 2) return fail("argmax needs f32[N,C] scores");
    int64_t shift = args.size() == 4 ? std::strtoll(args[3].c_str(), nullptr, 10) : 0;
    int64_t rows = tensor.shape()[0], classes = tensor.shape()[1];
    Tensor labels(ElementType::I64, {rows});
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = tensor.f32() + r * classes;
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        if (row[c] > row[best]) best = c;
      labels.i64()[r] = (best + shift) % classes;
    }
    Status written = writeTensorFile(labels, args[1], "labels");
    return written ? 0 : fail(written.message());
  }
  if (args.size() != 2) return fail(command + " IN OUT");
  if (command == "convert") {
    Status written = writeTensorFile(tensor, args[1], input->name);
    return written ? 0 : fail(written.message());
  }
  if (command == "to-raw") {
    std::ofstream out(args[1], std::ios::binary);
    out.write(static_cast<const char*>(tensor.data()), static_cast<std::streamsize>(tensor.byteSize()));
    return out ? 0 : fail("cannot write '" + args[1] + "'");
  }
  return fail("unknown command '" + command + "'");
}
