// tensor_fuzzer: bytes -> parseNpy and parseTensorProto (runtime/TensorIO.h),
// both on every input. A tensor that parses must be self-consistent (element
// count = product of the shape, every byte of its storage readable), and
// re-encoding it must give a file that parses to the same tensor.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "nutshell/Tensor.h"
#include "runtime/TensorIO.h"
#include "tests/fuzz/FuzzCommon.h"

namespace {

using namespace nutshell;

/// Reads every byte of the tensor (ASan reports storage smaller than the
/// shape says) and checks the count against the shape.
void checkTensor(const Tensor& tensor, const char* what) {
  int64_t product = 1;
  for (int64_t d : tensor.shape()) {
    if (d < 0) fuzz::strictFailure(what, "negative dim in " + tensor.typeString());
    product *= d;
  }
  if (product != tensor.numElements())
    fuzz::strictFailure(what, "element count disagrees with " + tensor.typeString());
  size_t elementBytes = tensor.type() == ElementType::F32 ? 4 : 8;
  if (tensor.byteSize() != size_t(tensor.numElements()) * elementBytes)
    fuzz::strictFailure(what, "byte size disagrees with " + tensor.typeString());
  const auto* bytes = static_cast<const unsigned char*>(tensor.data());
  unsigned sum = 0;
  for (size_t i = 0; bytes && i < tensor.byteSize(); ++i) sum += bytes[i];
  volatile unsigned sink = sum;
  (void)sink;
}

bool sameTensor(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && a.shape() == b.shape() && a.byteSize() == b.byteSize() &&
         (a.byteSize() == 0 || std::memcmp(a.data(), b.data(), a.byteSize()) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::setUp();
  if (size > fuzz::kMaxInputBytes) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (auto npy = parseNpy(bytes, "<fuzz.npy>")) {
    checkTensor(*npy, "npy");
    auto again = parseNpy(encodeNpy(*npy), "<re-encoded.npy>");
    if (!again)
      fuzz::strictFailure("npy", "re-encoded tensor does not parse: " + again.message());
    else if (!sameTensor(*npy, *again))
      fuzz::strictFailure("npy", "re-encoded tensor differs");
  }

  if (auto proto = parseTensorProto(bytes, "<fuzz.pb>")) {
    checkTensor(proto->tensor, "pb");
    auto again = parseTensorProto(encodeTensorProto(proto->tensor, proto->name), "<re-encoded.pb>");
    if (!again)
      fuzz::strictFailure("pb", "re-encoded tensor does not parse: " + again.message());
    else if (!sameTensor(proto->tensor, again->tensor) || again->name != proto->name)
      fuzz::strictFailure("pb", "re-encoded tensor differs");
  }
  return 0;
}
