// The persistent compile cache (backends/common/CompileCache.h) on its own:
// entries round-trip; a truncated, tampered or foreign entry is refused with
// a warning and removed, never returned; least recently used entries go when
// the bound is passed; a disabled cache writes nothing.
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "backends/common/CompileCache.h"

using namespace nutshell;
using namespace nutshell::common;
namespace fs = std::filesystem;

namespace {

/// A fresh cache folder under the system's temporary folder.
CacheSettings freshSettings(const std::string& name) {
  CacheSettings settings;
  settings.dir = (fs::temp_directory_path() / ("nutshell-cache-test-" + name)).string();
  fs::remove_all(settings.dir);
  return settings;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

const std::string kKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kOtherKey = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

}  // namespace

TEST_CASE("compile cache: an entry round-trips and a missing one is a quiet miss", "[cache]") {
  CompileCache cache(freshSettings("roundtrip"));
  CacheLookup miss = cache.load("test", kKey);
  CHECK_FALSE(miss.payload);
  CHECK(miss.warning.empty());
  std::string payload = "object code\0with a zero byte";
  payload += std::string(1000, '\x7f');
  REQUIRE(cache.store("test", kKey, payload));
  CacheLookup hit = cache.load("test", kKey);
  REQUIRE(hit.payload);
  CHECK(*hit.payload == payload);
  CHECK(hit.warning.empty());
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(cache.settings().dir)) {
    ++files;
    CHECK(e.path().string() == cache.entryPath("test", kKey));
  }
  CHECK(files == 1);
}

TEST_CASE("compile cache: a truncated, tampered or foreign entry is refused, removed and reported",
          "[cache]") {
  CompileCache cache(freshSettings("damaged"));
  const std::string payload(4096, 'w');
  const std::string path = cache.entryPath("test", kKey);

  SECTION("truncated") {
    REQUIRE(cache.store("test", kKey, payload));
    std::string bytes = readFile(path);
    writeFile(path, bytes.substr(0, bytes.size() - 100));
    CacheLookup found = cache.load("test", kKey);
    CHECK_FALSE(found.payload);
    CHECK_THAT(found.warning, Catch::Contains("is truncated") && Catch::Contains("compiled again"));
  }
  SECTION("truncated inside the header") {
    REQUIRE(cache.store("test", kKey, payload));
    writeFile(path, readFile(path).substr(0, 30));
    CacheLookup found = cache.load("test", kKey);
    CHECK_FALSE(found.payload);
    CHECK_THAT(found.warning, Catch::Contains("is truncated"));
  }
  SECTION("one byte changed") {
    REQUIRE(cache.store("test", kKey, payload));
    std::string bytes = readFile(path);
    bytes[bytes.size() - 7] ^= 0x10;
    writeFile(path, bytes);
    CacheLookup found = cache.load("test", kKey);
    CHECK_FALSE(found.payload);
    CHECK_THAT(found.warning, Catch::Contains("checksum does not match"));
  }
  SECTION("another key's entry under this key's name") {
    REQUIRE(cache.store("test", kOtherKey, payload));
    fs::rename(cache.entryPath("test", kOtherKey), path);
    CacheLookup found = cache.load("test", kKey);
    CHECK_FALSE(found.payload);
    CHECK_THAT(found.warning, Catch::Contains("written for another model or options"));
  }
  SECTION("not a cache entry at all") {
    fs::create_directories(cache.settings().dir);
    writeFile(path, "hello");
    CacheLookup found = cache.load("test", kKey);
    CHECK_FALSE(found.payload);
    CHECK_THAT(found.warning, Catch::Contains("not a nutshell cache entry"));
  }
  CHECK_FALSE(fs::exists(path));
  // Rebuilt: the next store and load work.
  REQUIRE(cache.store("test", kKey, payload));
  CHECK(cache.load("test", kKey).payload == payload);
}

TEST_CASE("compile cache: past its bound the least recently used entries are removed", "[cache]") {
  CacheSettings settings = freshSettings("evict");
  settings.maxBytes = 3 * 1200;  // room for three 1000-byte entries and their headers (~120 bytes)
  CompileCache cache(settings);
  const std::string payload(1000, 'p');
  const std::string keys[] = {std::string(64, 'a'), std::string(64, 'b'), std::string(64, 'c'),
                              std::string(64, 'd')};
  for (int i = 0; i < 3; ++i) {
    REQUIRE(cache.store("test", keys[i], payload));
    // File times need to differ for the order to be defined.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Using 'a' makes 'b' the least recently used.
  REQUIRE(cache.load("test", keys[0]).payload);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(cache.store("test", keys[3], payload));
  CHECK(fs::exists(cache.entryPath("test", keys[0])));
  CHECK_FALSE(fs::exists(cache.entryPath("test", keys[1])));
  CHECK(fs::exists(cache.entryPath("test", keys[2])));
  CHECK(fs::exists(cache.entryPath("test", keys[3])));
}

TEST_CASE("compile cache: disabled, it neither writes nor reads", "[cache]") {
  CacheSettings settings = freshSettings("disabled");
  settings.enabled = false;
  CompileCache cache(settings);
  REQUIRE(cache.store("test", kKey, "payload"));
  CHECK_FALSE(fs::exists(settings.dir));
  CHECK_FALSE(cache.load("test", kKey).payload);
}

TEST_CASE("compile cache: serialization reads back what it wrote and fails past the end", "[cache]") {
  CacheWriter w;
  w.u64(42);
  w.str("kernel list");
  w.str("");
  CacheReader r(w.bytes());
  CHECK(r.u64() == 42);
  CHECK(r.str() == "kernel list");
  CHECK(r.str().empty());
  CHECK(r.atEnd());
  CHECK_FALSE(r.failed());
  CHECK(r.u64() == 0);
  CHECK(r.failed());
  // A length that claims more than is there fails instead of reading past the end.
  CacheWriter lying;
  lying.u64(1u << 30);
  CacheReader bad(lying.bytes());
  CHECK(bad.str().empty());
  CHECK(bad.failed());
  CHECK(checksum64("abc") != checksum64("abd"));
  CHECK(checksum64(std::string(100, 'x')) != checksum64(std::string(101, 'x')));
}
