#include "backends/common/CompileCache.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nutshell::common {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "NUTSHELL-CACHE 1\n";
constexpr std::string_view kSuffix = ".nscache";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t rotl(uint64_t v, int r) {
  return (v << r) | (v >> (64 - r));
}

}  // namespace

CacheSettings CacheSettings::fromEnvironment() {
  CacheSettings settings;
  std::string mode = env("NUTSHELL_CACHE");
  if (mode == "off" || mode == "0") settings.enabled = false;
  if (!env("NUTSHELL_CACHE_DIR").empty())
    settings.dir = env("NUTSHELL_CACHE_DIR");
  else if (!env("XDG_CACHE_HOME").empty())
    settings.dir = env("XDG_CACHE_HOME") + "/nutshell";
  else if (!env("HOME").empty())
    settings.dir = env("HOME") + "/.cache/nutshell";
  else
    settings.enabled = false;
  std::string max = env("NUTSHELL_CACHE_MAX_BYTES");
  if (!max.empty()) {
    char* rest = nullptr;
    unsigned long long value = std::strtoull(max.c_str(), &rest, 10);
    if (rest && *rest == '\0' && value > 0) settings.maxBytes = value;
  }
  return settings;
}

uint64_t checksum64(std::string_view bytes) {
  // Four independent multiply-rotate lanes over 8-byte words (several GB/s),
  // then the tail and the length.
  constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull, kPrime2 = 0xC2B2AE3D27D4EB4Full;
  uint64_t lanes[4] = {kPrime1, kPrime2, ~kPrime1, ~kPrime2};
  const char* p = bytes.data();
  size_t n = bytes.size(), i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 4; ++l) lanes[l] = rotl(lanes[l] + load64(p + i + 8 * l) * kPrime2, 31) * kPrime1;
  uint64_t h = rotl(lanes[0], 1) + rotl(lanes[1], 7) + rotl(lanes[2], 12) + rotl(lanes[3], 18);
  for (; i < n; ++i) h = rotl(h ^ (uint64_t(uint8_t(p[i])) * kPrime1), 11) * kPrime2;
  h ^= n;
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  return h;
}

void CacheWriter::u64(uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out_.append(b, 8);
}

void CacheWriter::str(std::string_view s) {
  u64(s.size());
  out_.append(s);
}

uint64_t CacheReader::u64() {
  if (failed_ || in_.size() - pos_ < 8) {
    failed_ = true;
    return 0;
  }
  uint64_t v = load64(in_.data() + pos_);
  pos_ += 8;
  return v;
}

std::string_view CacheReader::str() {
  uint64_t size = u64();
  if (failed_ || in_.size() - pos_ < size) {
    failed_ = true;
    return {};
  }
  std::string_view s = in_.substr(pos_, size);
  pos_ += size;
  return s;
}

std::string CompileCache::entryPath(std::string_view kind, std::string_view key) const {
  return settings_.dir + "/" + std::string(kind) + "-" + std::string(key) + std::string(kSuffix);
}

CacheLookup CompileCache::load(std::string_view kind, std::string_view key) const {
  CacheLookup result;
  if (!settings_.enabled) return result;
  std::string path = entryPath(kind, key);
  std::ifstream in(path, std::ios::binary);
  if (!in) return result;  // a miss
  auto reject = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove(path, ignored);
    result.warning =
        "compile cache: '" + path + "' " + why + "; it was removed and the model is compiled again";
    return result;
  };
  std::error_code sizeError;
  uint64_t fileBytes = fs::file_size(path, sizeError);
  if (sizeError) return result;  // gone since it was opened: a miss
  // The header (magic, kind, key, sizes) is small; the payload is read
  // straight into the string handed out, in one read: a model's weights are
  // neither read byte by byte nor moved once more on the way out.
  // (An entry of this kind and key has exactly this header; any other file
  // differs from it somewhere in these bytes.)
  uint64_t headerBytes = kMagic.size() + 4 * 8 + kind.size() + key.size();
  std::string header(std::min(fileBytes, headerBytes), '\0');
  in.read(header.data(), std::streamsize(header.size()));
  if (header.compare(0, kMagic.size(), kMagic) != 0)
    return reject("is not a nutshell cache entry of this version");
  if (fileBytes < headerBytes) return reject("is truncated");
  CacheReader reader(std::string_view(header).substr(kMagic.size()));
  std::string_view storedKind = reader.str(), storedKey = reader.str();
  uint64_t size = reader.u64(), sum = reader.u64();
  if (reader.failed() || storedKind != kind || storedKey != key)
    return reject("was written for another model or options");
  if (fileBytes - header.size() != size) return reject("is truncated");
  std::string payload;
  try {
    payload.resize(size);
  } catch (const std::bad_alloc&) {
    return reject("does not fit in memory");
  }
  if (!in.read(payload.data(), std::streamsize(size))) return reject("is truncated");
  if (checksum64(payload) != sum) return reject("is damaged (its checksum does not match)");
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // most recently used
  result.payload = std::move(payload);
  return result;
}

Status CompileCache::store(std::string_view kind, std::string_view key, std::string_view payload) const {
  if (!settings_.enabled) return Status::success();
  std::error_code error;
  fs::create_directories(settings_.dir, error);
  if (error) return makeError("compile cache: cannot create '" + settings_.dir + "': " + error.message());
  CacheWriter header;
  header.str(kind);
  header.str(key);
  header.u64(payload.size());
  header.u64(checksum64(payload));
  std::string path = entryPath(kind, key);
  static std::atomic<unsigned> counter{0};
  std::string temporary = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(kMagic.data(), std::streamsize(kMagic.size()));
    out.write(header.bytes().data(), std::streamsize(header.bytes().size()));
    out.write(payload.data(), std::streamsize(payload.size()));
    out.close();
    if (!out) {
      fs::remove(temporary, error);
      return makeError("compile cache: cannot write '" + temporary + "'");
    }
  }
  // rename is atomic: a concurrent reader sees the old entry, the new one or none.
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    fs::remove(temporary, error);
    return makeError("compile cache: cannot rename '" + temporary + "' into place: " + why);
  }
  evict();
  return Status::success();
}

void CompileCache::evict() const {
  struct Entry {
    fs::path path;
    uint64_t bytes;
    fs::file_time_type used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code error;
  auto now = fs::file_time_type::clock::now();
  for (const fs::directory_entry& e : fs::directory_iterator(settings_.dir, error)) {
    std::string name = e.path().filename().string();
    std::error_code ignored;
    fs::file_time_type used = e.last_write_time(ignored);
    // A temporary file an hour old belongs to a process that died writing it.
    if (name.find(std::string(kSuffix) + ".tmp.") != std::string::npos) {
      if (now - used > std::chrono::hours(1)) fs::remove(e.path(), ignored);
      continue;
    }
    if (name.size() < kSuffix.size() ||
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
      continue;
    uint64_t bytes = e.file_size(ignored);
    entries.push_back({e.path(), bytes, used});
    total += bytes;
  }
  if (total <= settings_.maxBytes) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  // The newest entry (the one just written) stays, whatever its size.
  for (size_t i = 0; i + 1 < entries.size() && total > settings_.maxBytes; ++i) {
    std::error_code ignored;
    if (fs::remove(entries[i].path, ignored)) total -= entries[i].bytes;
  }
}

}  // namespace nutshell::common
