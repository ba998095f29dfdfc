// onnx_fuzzer: serialized ModelProto bytes -> onnx::importOnnxBytes ->
// verifier -> print/parse round trip -> -O2. A model whose inputs have
// symbolic dims is imported a second time with them bound
// (ImportOptions::inputShapes), as nutshell-run --input-shape does, so that
// the shape-dependent import paths and the static-shape passes run too.
//
// External data resolves against a scratch folder holding one file,
// "weights.bin" (4096 bytes), so the external-data reader is reachable
// without touching any other file.
#include <cstdint>
#include <string>

#include "frontend/onnx/OnnxImporter.h"
#include "ir/Verifier.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

using namespace nutshell;

/// The folder external data resolves against: one 4096-byte file, weights.bin.
const std::string& externalDataDir() {
  static const std::string dir = [] {
    std::string bytes;
    for (int i = 0; i < 4096; ++i) bytes += char(i * 37);
    fuzz::writeFile(fuzz::scratchDir() + "/weights.bin", bytes);
    return fuzz::scratchDir();
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::setUp();
  if (size > fuzz::kMaxInputBytes) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto imported = onnx::importOnnxBytes(bytes, {}, externalDataDir());
  if (!imported) return 0;
  std::unique_ptr<ir::Graph> graph = imported.take();
  if (!ir::verifyGraph(*graph)) return 0;

  auto shapes = fuzz::boundInputShapes(*graph);
  if (!shapes.empty() && fuzz::smallEnoughForPasses(*graph)) {
    onnx::ImportOptions options;
    options.inputShapes = shapes;
    auto bound = onnx::importOnnxBytes(bytes, options, externalDataDir());
    if (bound && ir::verifyGraph(**bound)) graph = bound.take();
  }
  fuzz::exerciseVerifiedGraph(*graph);
  return 0;
}
