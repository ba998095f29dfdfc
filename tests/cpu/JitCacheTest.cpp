// The CPU backend with the persistent compile cache: a second compile of the
// same graph is a hit and computes the same bits; another option (a debug
// setting, another CPU) is a miss; a tampered entry is rebuilt with a
// warning; --no-cache (BackendOptions::cache = false) leaves it alone.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "backends/BackendRegistry.h"
#include "backends/cpu/ParallelCodegen.h"
#include "examples/Networks.h"
#include "tests/TestSeed.h"
#include "tests/cpu/CpuTestUtil.h"
#include "tests/cpu/PlannedModule.h"

using namespace nutshell;
namespace fs = std::filesystem;

namespace {

struct Compiled {
  std::string cache;
  std::vector<std::string> warnings;
  Tensor output;
};

Compiled compileAndRun(const ir::Graph& graph, const Tensor& x, BackendOptions options) {
  auto backend = createBackend("cpu");
  REQUIRE(backend.ok());
  auto compiled = (*backend)->compile(graph, options);
  INFO((compiled ? std::string() : compiled.message()));
  REQUIRE(compiled.ok());
  auto outputs = compiled->executable->run({{graph.inputs[0]->name, x}});
  REQUIRE(outputs.ok());
  return {compiled->cache, compiled->warnings, outputs->begin()->second};
}

bool sameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.byteSize()) == 0;
}

std::vector<fs::path> entries(const std::string& dir) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(dir)) found.push_back(e.path());
  return found;
}

}  // namespace

TEST_CASE("cpu jit cache: a second compile hits and runs the same code", "[cpu][cache]") {
  const std::string dir = (fs::temp_directory_path() / "nutshell-jit-cache-test").string();
  fs::remove_all(dir);
  ::setenv("NUTSHELL_CACHE_DIR", dir.c_str(), 1);
  auto graph = examples::lenet5(1);
  REQUIRE(graph.ok());
  uint64_t seed = test::seedFor("jit cache");
  INFO(test::describeSeed(seed));
  std::mt19937_64 rng(seed);
  Tensor x = cputest::randomTensor({1, 1, 28, 28}, rng);

  Compiled first = compileAndRun(**graph, x, {.threads = 1});
  CHECK(first.cache == "miss");
  REQUIRE(entries(dir).size() == 1);
  Compiled second = compileAndRun(**graph, x, {.threads = 1});
  CHECK(second.cache == "hit");
  CHECK(second.warnings.empty());
  CHECK(sameBits(first.output, second.output));

  SECTION("another option is another entry") {
    Compiled perturbed = compileAndRun(**graph, x, {.threads = 1, .settings = {{"debug-perturb", "y"}}});
    CHECK(perturbed.cache == "miss");
    CHECK(entries(dir).size() == 2);
    Compiled otherCpu = compileAndRun(**graph, x, {.threads = 1, .settings = {{"target-cpu", "x86-64-v2"}}});
    CHECK(otherCpu.cache == "miss");
    CHECK(entries(dir).size() == 3);
    // A changed weight is another model.
    auto reseeded = examples::lenet5(1, /*seed=*/2);
    REQUIRE(reseeded.ok());
    CHECK(compileAndRun(**reseeded, x, {.threads = 1}).cache == "miss");
  }
  SECTION("a tampered entry is rebuilt with a warning") {
    fs::path entry = entries(dir).at(0);
    std::string bytes;
    {
      std::ifstream in(entry, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    bytes[bytes.size() / 2] ^= 0x55;
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
    Compiled rebuilt = compileAndRun(**graph, x, {.threads = 1});
    CHECK(rebuilt.cache == "miss");
    REQUIRE(rebuilt.warnings.size() == 1);
    CHECK_THAT(rebuilt.warnings[0],
               Catch::Contains("checksum does not match") && Catch::Contains("compiled again"));
    CHECK(sameBits(first.output, rebuilt.output));
    CHECK(compileAndRun(**graph, x, {.threads = 1}).cache == "hit");
  }
  SECTION("a truncated entry is rebuilt with a warning") {
    fs::path entry = entries(dir).at(0);
    fs::resize_file(entry, fs::file_size(entry) / 3);
    Compiled rebuilt = compileAndRun(**graph, x, {.threads = 1});
    CHECK(rebuilt.cache == "miss");
    REQUIRE(rebuilt.warnings.size() == 1);
    CHECK_THAT(rebuilt.warnings[0], Catch::Contains("truncated"));
    CHECK(sameBits(first.output, rebuilt.output));
  }
  SECTION("bypassed, it is neither read nor written") {
    fs::remove_all(dir);
    Compiled bypassed = compileAndRun(**graph, x, {.threads = 1, .cache = false});
    CHECK(bypassed.cache == "off");
    CHECK_FALSE(fs::exists(dir));
    CHECK(sameBits(first.output, bypassed.output));
  }
  ::unsetenv("NUTSHELL_CACHE_DIR");
}

// ParallelCodegen: the module split into parts compiled on threads links and
// runs the very bits of the single-part compile, and its cache entry (a list
// of objects) is a hit that runs them too.
TEST_CASE("cpu backend: a module compiled in parts on threads runs the same bits", "[cpu][cache]") {
  const std::string dir = (fs::temp_directory_path() / "nutshell-parallel-codegen-test").string();
  fs::remove_all(dir);
  ::setenv("NUTSHELL_CACHE_DIR", dir.c_str(), 1);
  auto graph = examples::inceptionModule(1);
  REQUIRE(graph.ok());
  uint64_t seed = test::seedFor("parallel codegen");
  INFO(test::describeSeed(seed));
  std::mt19937_64 rng(seed);
  Tensor x = cputest::randomTensor({1, 192, 28, 28}, rng);

  ::setenv("NUTSHELL_COMPILE_THREADS", "1", 1);
  Compiled whole = compileAndRun(**graph, x, {.threads = 1, .cache = false});
  ::setenv("NUTSHELL_COMPILE_THREADS", "3", 1);
  Compiled parts = compileAndRun(**graph, x, {.threads = 1});
  CHECK(parts.cache == "miss");
  CHECK(sameBits(whole.output, parts.output));
  Compiled hit = compileAndRun(**graph, x, {.threads = 1});
  CHECK(hit.cache == "hit");
  CHECK(hit.warnings.empty());
  CHECK(sameBits(whole.output, hit.output));
  ::unsetenv("NUTSHELL_COMPILE_THREADS");
  ::unsetenv("NUTSHELL_CACHE_DIR");
}

TEST_CASE("cpu backend: compileToObjects splits a big module, never a small one", "[cpu]") {
  auto detected = cpu::detectTarget();
  REQUIRE(detected.ok());
  const cpu::TargetInfo& target = *detected;
  auto inception = examples::inceptionModule(1);
  REQUIRE(inception.ok());
  auto built = cputest::buildPlannedModule(**inception, target, {.externalConstants = true});
  REQUIRE(built.ok());
  auto objects = cpu::compileToObjects(*built->module, target, 3);
  INFO((objects ? std::string() : objects.message()));
  REQUIRE(objects.ok());
  CHECK(objects->size() == 3);
  for (const std::string& object : *objects)
    CHECK(object.substr(0, 4) ==
          "\x7f"
          "ELF");

  auto logreg = examples::logisticRegression(1);
  REQUIRE(logreg.ok());
  auto small = cputest::buildPlannedModule(**logreg, target, {.externalConstants = true});
  REQUIRE(small.ok());
  auto one = cpu::compileToObjects(*small->module, target, 3);
  REQUIRE(one.ok());
  CHECK(one->size() == 1);
}
