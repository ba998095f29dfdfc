// The memory limit: the most bytes any one allocation whose size comes from a
// model or a file may take (a tensor, an arena, a folded constant, a file
// read). Sizes are checked against it before memory is touched, so a hostile
// or merely huge model gets an error naming what it wanted instead of an
// uncaught std::bad_alloc or a visit from the kernel's OOM killer.
//
// Default: the machine's physical memory. Set it with setMemoryLimit(), the
// tools' --max-memory=SIZE or the NUTSHELL_MAX_MEMORY environment variable
// (same syntax: bytes, or a number with K, M, G or T, powers of 1024).
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <unistd.h>

#include "nutshell/Expected.h"

namespace nutshell {

namespace detail {
inline std::atomic<uint64_t> memoryLimitOverride{0};
}  // namespace detail

/// Parses "1073741824", "512M", "8G", "1.5T" into bytes; nullopt-like 0 on error.
inline uint64_t parseByteSize(std::string_view text) {
  if (text.empty()) return 0;
  std::string s(text);
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || !(value > 0)) return 0;
  std::string_view suffix(end);
  double scale = 1;
  if (suffix == "K" || suffix == "k" || suffix == "KB" || suffix == "KiB")
    scale = 1024.0;
  else if (suffix == "M" || suffix == "MB" || suffix == "MiB")
    scale = 1024.0 * 1024;
  else if (suffix == "G" || suffix == "GB" || suffix == "GiB")
    scale = 1024.0 * 1024 * 1024;
  else if (suffix == "T" || suffix == "TB" || suffix == "TiB")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!suffix.empty())
    return 0;
  double bytes = value * scale;
  if (bytes < 1 || bytes > 9.0e18) return 0;
  return uint64_t(bytes);
}

/// Physical memory of this machine in bytes (a conservative 1 GiB if unknown).
inline uint64_t physicalMemoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long pageSize = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0) return uint64_t(1) << 30;
  return uint64_t(pages) * uint64_t(pageSize);
}

/// The current limit: setMemoryLimit's value, else NUTSHELL_MAX_MEMORY, else
/// physical memory.
inline uint64_t memoryLimit() {
  if (uint64_t set = detail::memoryLimitOverride.load(std::memory_order_relaxed)) return set;
  static const uint64_t fromEnvironment = [] {
    const char* env = std::getenv("NUTSHELL_MAX_MEMORY");
    uint64_t parsed = env ? parseByteSize(env) : 0;
    return parsed ? parsed : physicalMemoryBytes();
  }();
  return fromEnvironment;
}

/// Sets the limit for this process; 0 restores the default.
inline void setMemoryLimit(uint64_t bytes) {
  detail::memoryLimitOverride.store(bytes, std::memory_order_relaxed);
}

/// The value of a --max-memory flag: sets the limit, or an error quoting it.
inline Status setMemoryLimitFromFlag(const std::string& flag, const std::string& text) {
  uint64_t bytes = parseByteSize(text);
  if (bytes == 0) return makeError(flag + " expects a size such as 512M or 8G, got '" + text + "'");
  setMemoryLimit(bytes);
  return Status::success();
}

/// "3.2 GiB", "512 MiB", "100 bytes".
inline std::string formatBytes(uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = double(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 6) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return std::to_string(bytes) + " bytes";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
  return buffer;
}

/// Error unless `bytes` fits the limit. `what` names the allocation
/// ("input 'x' f32[3037000500,3]").
inline Status checkAllocation(uint64_t bytes, std::string_view what) {
  uint64_t limit = memoryLimit();
  if (bytes <= limit) return Status::success();
  return makeError("out of memory: " + std::string(what) + " needs " + formatBytes(bytes) +
                   ", more than the memory limit of " + formatBytes(limit) + " (--max-memory)");
}

}  // namespace nutshell
