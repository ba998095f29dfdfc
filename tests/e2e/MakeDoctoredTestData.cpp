// make_doctored_test_data SRC DST: copy an ONNX test-data directory (input_K.pb,
// output_K.pb) to DST with the first element of output_0 moved by 1.0 plus
// 10% of its magnitude, far outside any comparison tolerance, so that
// nutshell-run --test-data DST must report a mismatch.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "runtime/TensorIO.h"

namespace fs = std::filesystem;
using namespace nutshell;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_doctored_test_data SRC_DIR DST_DIR\n");
    return 2;
  }
  fs::path src = argv[1], dst = argv[2];
  std::error_code ec;
  fs::create_directories(dst, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create '%s': %s\n", dst.c_str(), ec.message().c_str());
    return 2;
  }
  for (int k = 0;; ++k) {
    fs::path input = src / ("input_" + std::to_string(k) + ".pb");
    if (!fs::exists(input)) break;
    fs::copy_file(input, dst / input.filename(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::fprintf(stderr, "cannot copy '%s': %s\n", input.c_str(), ec.message().c_str());
      return 2;
    }
  }
  auto expected = readTensorProto((src / "output_0.pb").string());
  if (!expected) {
    std::fprintf(stderr, "%s\n", expected.message().c_str());
    return 2;
  }
  Tensor& t = expected->tensor;
  if (t.numElements() == 0) {
    std::fprintf(stderr, "output_0 is empty: nothing to doctor\n");
    return 2;
  }
  if (t.type() == ElementType::F32) t.f32()[0] += 1.0f + 0.1f * std::fabs(t.f32()[0]);
  else t.i64()[0] += 1;
  Status written = writeTensorProto(t, (dst / "output_0.pb").string(), expected->name);
  if (!written) {
    std::fprintf(stderr, "%s\n", written.message().c_str());
    return 2;
  }
  return 0;
}
