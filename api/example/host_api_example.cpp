// A complete host-API program: compile an ONNX model for the CPU, run it on
// an input, print the top class, and show what an input mistake reports.
//
//   host_api_example path/to/lenet5.onnx
#include <cstdio>
#include <vector>

#include "nutshell/nutshell.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx (a model with input x[N,1,28,28], e.g. lenet5)\n", argv[0]);
    return 2;
  }

  // Import, bind the batch dimension, optimize (-O2) and JIT-compile.
  auto model = nutshell::compileModel(argv[1], {.backend = "cpu", .threads = 2, .inputShapes = {{"x", {1, 1, 28, 28}}}});
  if (!model) {
    std::fprintf(stderr, "compile failed: %s\n", model.message().c_str());
    return 1;
  }
  for (const nutshell::TensorInfo& in : (*model)->inputs())
    std::printf("input  %s (%zu dims)\n", in.name.c_str(), in.shape.size());
  const nutshell::CompileTimings& t = (*model)->timings();
  std::printf("compiled in %.1f ms (import %.1f, passes %.1f, codegen %.1f, LLVM %.1f, JIT %.1f)\n",
              t.importMs + t.passesMs + t.codegenMs + t.optimizeMs + t.jitMs, t.importMs, t.passesMs, t.codegenMs,
              t.optimizeMs, t.jitMs);

  // A synthetic "image": a bright vertical bar.
  std::vector<float> pixels(28 * 28, 0.0f);
  for (int row = 4; row < 24; ++row) pixels[row * 28 + 14] = 1.0f;
  nutshell::Tensor x = nutshell::Tensor::f32({1, 1, 28, 28}, pixels);

  nutshell::Expected<nutshell::TensorMap> outputs = (*model)->run({{"x", x}});
  if (!outputs) {
    std::fprintf(stderr, "run failed: %s\n", outputs.message().c_str());
    return 1;
  }
  for (const auto& [name, y] : *outputs) {
    int best = 0;
    for (int i = 1; i < y.numElements(); ++i)
      if (y.f32()[i] > y.f32()[best]) best = i;
    std::printf("output %s: %s, top class %d (score %.4f)\n", name.c_str(), y.typeString().c_str(), best, y.f32()[best]);
  }

  // Mistakes are errors with a message, not crashes.
  auto wrongName = (*model)->run({{"image", x}});
  std::printf("wrong name  -> %s\n", wrongName ? "ok?!" : wrongName.message().c_str());
  auto wrongShape = (*model)->run({{"x", nutshell::Tensor(nutshell::ElementType::F32, {1, 28, 28})}});
  std::printf("wrong shape -> %s\n", wrongShape ? "ok?!" : wrongShape.message().c_str());
  return wrongName || wrongShape ? 1 : 0;
}
