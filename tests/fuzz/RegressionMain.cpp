// Driver that replays inputs through a fuzz target without libFuzzer: every
// file named on the command line, and every file under each folder named
// there (recursively; names starting with '.' are skipped, so a folder can
// hold a .gitkeep), is handed to LLVMFuzzerTestOneInput once, in sorted
// order. A crash or sanitizer report ends the process (the test fails); a
// clean pass prints how many inputs ran. Missing paths are errors, so a
// renamed corpus folder cannot make the test pass vacuously.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path path(argv[i]);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().rfind('.', 0) == 0) {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) files.push_back(it->path());
      }
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      std::fprintf(stderr, "%s: no such file or folder: %s\n", argv[0], argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());

  using Clock = std::chrono::steady_clock;
  double slowest = 0;
  std::string slowestName;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], file.c_str());
      return 2;
    }
    // The name first, so that a crash report can be traced to its input.
    std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(), bytes.size());
    auto start = Clock::now();
    // A copy in a buffer of exactly its size, as libFuzzer hands inputs over,
    // so that reads past the end are caught.
    // (An empty input still gets a valid pointer, as libFuzzer gives it.)
    std::vector<uint8_t> buffer(bytes.begin(), bytes.end());
    static uint8_t none = 0;
    LLVMFuzzerTestOneInput(buffer.empty() ? &none : buffer.data(), buffer.size());
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds > slowest) {
      slowest = seconds;
      slowestName = file.string();
    }
  }
  std::printf("%zu inputs ran", files.size());
  if (!files.empty()) std::printf(" (slowest %.3f s: %s)", slowest, slowestName.c_str());
  std::printf("\n");
  return 0;
}
