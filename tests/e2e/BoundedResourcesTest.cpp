// The runtime's guards against hostile sizes and paths: the memory limit,
// Tensor::allocate, and reading files that came from someone else.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "nutshell/FileRead.h"
#include "nutshell/MemoryLimit.h"
#include "nutshell/Tensor.h"
#include "runtime/TensorIO.h"

using namespace nutshell;
namespace fs = std::filesystem;

namespace {
/// Sets a memory limit for one test and restores the default after it.
struct ScopedMemoryLimit {
  explicit ScopedMemoryLimit(uint64_t bytes) { setMemoryLimit(bytes); }
  ~ScopedMemoryLimit() { setMemoryLimit(0); }
};
}  // namespace

TEST_CASE("byte sizes parse with binary suffixes", "[runtime][memory]") {
  CHECK(parseByteSize("1024") == 1024);
  CHECK(parseByteSize("1K") == 1024);
  CHECK(parseByteSize("512M") == 512ull << 20);
  CHECK(parseByteSize("8G") == 8ull << 30);
  CHECK(parseByteSize("1.5G") == 3ull << 29);
  CHECK(parseByteSize("2T") == 2ull << 40);
  for (const char* bad : {"", "lots", "-1G", "0", "1X", "G", "1e30"}) {
    INFO(bad);
    CHECK(parseByteSize(bad) == 0);
  }
}

TEST_CASE("the memory limit defaults to the machine's memory and can be set", "[runtime][memory]") {
  CHECK(memoryLimit() >= (uint64_t(64) << 20));
  {
    ScopedMemoryLimit limit(4096);
    CHECK(memoryLimit() == 4096);
    CHECK(checkAllocation(4096, "x"));
    Status over = checkAllocation(4097, "input 'x' f32[1025]");
    REQUIRE_FALSE(over);
    CHECK_THAT(over.message(),
               Catch::Contains("out of memory: input 'x' f32[1025] needs 4.0 KiB, more than the "
                               "memory limit of 4.0 KiB (--max-memory)"));
  }
  CHECK(memoryLimit() != 4096);
}

TEST_CASE("Tensor::allocate refuses sizes it cannot or may not allocate", "[runtime][memory]") {
  auto ok = Tensor::allocate(ElementType::F32, {2, 3});
  REQUIRE(ok);
  CHECK(ok->numElements() == 6);
  CHECK(ok->f32()[5] == 0.0f);
  auto empty = Tensor::allocate(ElementType::I64, {0, 5});
  REQUIRE(empty);
  CHECK(empty->numElements() == 0);

  auto huge = Tensor::allocate(ElementType::F32, {3037000500, 3}, "random input 'x'");
  REQUIRE_FALSE(huge);
  CHECK_THAT(huge.message(), Catch::Contains("out of memory: random input 'x' f32[3037000500,3] needs"));
  auto overflow = Tensor::allocate(ElementType::F32, {int64_t(1) << 40, int64_t(1) << 40});
  REQUIRE_FALSE(overflow);
  CHECK_THAT(overflow.message(), Catch::Contains("size overflows 64 bits"));
  auto negative = Tensor::allocate(ElementType::F32, {2, -3});
  REQUIRE_FALSE(negative);
  CHECK_THAT(negative.message(), Catch::Contains("negative dim -3"));
  {
    ScopedMemoryLimit limit(1000);
    CHECK_FALSE(Tensor::allocate(ElementType::F32, {251}));
    CHECK(Tensor::allocate(ElementType::F32, {250}));
    CHECK_THROWS_AS(Tensor(ElementType::F32, {1000}), std::bad_alloc);
  }
}

TEST_CASE("files from strangers: regular files only, reads bounded by their size", "[runtime][files]") {
  const fs::path dir = fs::temp_directory_path() / "nutshell-bounded-reads";
  fs::remove_all(dir);
  fs::create_directories(dir / "folder.npy");
  { std::ofstream(dir / "small.bin", std::ios::binary) << "0123456789"; }
  fs::create_symlink("/dev/zero", dir / "zero.npy");

  auto whole = readRegularFile((dir / "small.bin").string(), "test file");
  REQUIRE(whole);
  CHECK(*whole == "0123456789");
  auto range = readRegularFileRange((dir / "small.bin").string(), "test file", 3, 4);
  REQUIRE(range);
  CHECK(*range == "3456");
  auto past = readRegularFileRange((dir / "small.bin").string(), "test file", 8, 4);
  REQUIRE_FALSE(past);
  CHECK_THAT(past.message(), Catch::Contains("has 10 bytes, needs 4 at offset 8"));
  auto limited = readRegularFile((dir / "small.bin").string(), "test file", 9);
  REQUIRE_FALSE(limited);
  CHECK_THAT(limited.message(), Catch::Contains("has 10 bytes, more than the limit of 9 bytes"));

  auto zero = readNpy((dir / "zero.npy").string());
  REQUIRE_FALSE(zero);
  CHECK_THAT(zero.message(), Catch::Contains("is not a regular file"));
  auto folder = readNpy((dir / "folder.npy").string());
  REQUIRE_FALSE(folder);
  CHECK_THAT(folder.message(), Catch::Contains("is a directory"));
  auto missing = readNpy((dir / "missing.npy").string());
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.message(),
             Catch::Contains("cannot open tensor file") && Catch::Contains("no such file"));
  fs::remove_all(dir);
}
