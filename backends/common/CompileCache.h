// The persistent compile cache: compiled code kept on disk between
// processes, so a model compiled once starts in milliseconds the next time.
// Generic bytes under a key; what goes in an entry (object code, kernel
// lists, weight re-layouts) and what the key covers are the backend's.
//
// Where: $NUTSHELL_CACHE_DIR, else $XDG_CACHE_HOME/nutshell, else
// ~/.cache/nutshell. NUTSHELL_CACHE=off (or a tool's --no-cache) bypasses it.
// Safe with several processes: an entry is written to a temporary file and
// renamed into place, so readers see a whole entry or none. An entry records
// its key, its length and a checksum; one that is truncated, tampered with
// or written for another key is reported, removed and rebuilt, never used.
// Bounded: past NUTSHELL_CACHE_MAX_BYTES (default 2 GiB) the entries used
// least recently are removed (a hit refreshes an entry's time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nutshell/Expected.h"

namespace nutshell::common {

struct CacheSettings {
  bool enabled = true;
  std::string dir;
  uint64_t maxBytes = uint64_t(2) << 30;

  /// From the environment (above); `enabled` false when NUTSHELL_CACHE=off
  /// or no folder can be named (no HOME).
  static CacheSettings fromEnvironment();
};

/// What a lookup found.
struct CacheLookup {
  std::optional<std::string> payload;  // set on a hit
  /// Set when an entry was there but unusable (it was removed): say so.
  std::string warning;
};

class CompileCache {
public:
  explicit CompileCache(CacheSettings settings) : settings_(std::move(settings)) {}

  bool enabled() const { return settings_.enabled; }
  const CacheSettings& settings() const { return settings_; }

  /// The entry of `key` (hex digits, names the file) of kind `kind` (e.g.
  /// "cpu-jit"), verified; none when missing or unusable.
  CacheLookup load(std::string_view kind, std::string_view key) const;
  /// Writes the entry (temporary file, then rename) and evicts past the
  /// bound. A failure to write is an error the caller may ignore: the cache
  /// is an optimization, never a reason for a compile to fail.
  Status store(std::string_view kind, std::string_view key, std::string_view payload) const;

  /// The file an entry lives in.
  std::string entryPath(std::string_view kind, std::string_view key) const;

private:
  void evict() const;
  CacheSettings settings_;
};

/// A fast 64-bit checksum of `bytes` (not cryptographic: it detects a
/// damaged entry, the key detects a foreign one).
uint64_t checksum64(std::string_view bytes);

/// Appends fixed-width little-endian integers and length-prefixed strings:
/// the entries' serialization, read back by CacheReader.
class CacheWriter {
public:
  void u64(uint64_t v);
  void str(std::string_view s);
  std::string& bytes() { return out_; }

private:
  std::string out_;
};

/// Reads what CacheWriter wrote; any read past the end sets failed().
class CacheReader {
public:
  explicit CacheReader(std::string_view bytes) : in_(bytes) {}
  uint64_t u64();
  std::string_view str();
  bool failed() const { return failed_; }
  bool atEnd() const { return pos_ == in_.size(); }

private:
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace nutshell::common
