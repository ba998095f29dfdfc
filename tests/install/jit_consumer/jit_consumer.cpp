// Built against an installed nutshell (nutshell::api): JIT-compiles MODEL,
// runs it once on a raw float32 file given the input's shape, and writes its
// first output as raw float32, for InstallTest.cmake to compare with the
// model's test data.
//   jit_consumer MODEL D0xD1x... IN.f32 OUT.f32
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "nutshell/nutshell.h"

namespace {

std::vector<int64_t> parseShape(const std::string& text) {
  std::vector<int64_t> shape;
  std::istringstream in(text);
  for (std::string dim; std::getline(in, dim, 'x');) shape.push_back(std::stoll(dim));
  return shape;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL D0xD1x... IN.f32 OUT.f32\n", argv[0]);
    return 2;
  }
  // No inputShapes: the model compiles on the first run, for the shape given.
  auto model = nutshell::compileModel(argv[1], {.backend = "cpu", .threads = 2});
  if (!model) {
    std::fprintf(stderr, "compile failed: %s\n", model.message().c_str());
    return 1;
  }
  std::ifstream in(argv[3], std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nutshell::Tensor x(nutshell::ElementType::F32, parseShape(argv[2]));
  if (bytes.size() != x.byteSize()) {
    std::fprintf(stderr, "%s: %zu bytes, expected %s (%zu bytes)\n", argv[3], bytes.size(),
                 x.typeString().c_str(), x.byteSize());
    return 2;
  }
  bytes.copy(static_cast<char*>(x.data()), bytes.size());

  const std::string& inputName = (*model)->inputs().at(0).name;
  nutshell::Expected<nutshell::TensorMap> outputs = (*model)->run({{inputName, x}});
  if (!outputs) {
    std::fprintf(stderr, "run failed: %s\n", outputs.message().c_str());
    return 1;
  }
  const auto& [name, y] = *outputs->begin();
  std::ofstream out(argv[4], std::ios::binary);
  out.write(static_cast<const char*>(y.data()), static_cast<std::streamsize>(y.byteSize()));
  if (!out.flush()) {
    std::fprintf(stderr, "cannot write %s\n", argv[4]);
    return 2;
  }
  std::printf("jit_consumer: %s %s -> %s %s on %s\n", inputName.c_str(), x.typeString().c_str(), name.c_str(),
              y.typeString().c_str(), (*model)->backend().c_str());
  return 0;
}
