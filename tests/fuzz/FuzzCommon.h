// What every fuzz target shares: the input size cap and the strict mode.
//
// A fuzz target never treats an error value as a failure: bad input must give
// an error, not a crash. Only crashes, sanitizer reports, timeouts and
// out-of-memory are findings. With NUTSHELL_FUZZ_STRICT=1 in the environment
// the targets also abort on what is a bug rather than bad input: a pass that
// breaks a verified graph, printed IR that does not parse back, a tensor that
// does not survive re-encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

#if __has_include("nutshell/MemoryLimit.h")
#include "nutshell/MemoryLimit.h"
#define NUTSHELL_FUZZ_HAVE_MEMORY_LIMIT 1
#endif

namespace nutshell::fuzz {

/// Inputs longer than this are ignored (libFuzzer's -max_len should be at
/// most this; the regression driver hands every file over whole).
inline constexpr size_t kMaxInputBytes = 1 << 20;

/// The library's memory limit (nutshell/MemoryLimit.h) while fuzzing: sizes
/// a model or file asks for are refused above it, so an allocation past
/// libFuzzer's -malloc_limit_mb (default: -rss_limit_mb, 2048 in
/// scripts/fuzz.sh) is one that bypassed the check, a bug.
inline constexpr uint64_t kFuzzMemoryLimit = uint64_t(256) << 20;

/// First thing each target does with an input: one-time settings.
inline void setUp() {
#ifdef NUTSHELL_FUZZ_HAVE_MEMORY_LIMIT
  static const bool done = [] {
    setMemoryLimit(kFuzzMemoryLimit);
    return true;
  }();
  (void)done;
#endif
}

inline bool strictMode() {
  static const bool strict = [] {
    const char* value = std::getenv("NUTSHELL_FUZZ_STRICT");
    return value && value[0] == '1';
  }();
  return strict;
}

/// Abort (a finding) in strict mode; ignore otherwise.
inline void strictFailure(const char* what, const std::string& message) {
  if (!strictMode()) return;
  std::fprintf(stderr, "nutshell fuzz (strict): %s: %s\n", what, message.c_str());
  std::abort();
}

/// A folder of this process's own (TMPDIR/nutshell-fuzz-PID), removed at
/// exit, for targets whose code under test reads files.
inline const std::string& scratchDir() {
  struct Dir {
    std::string path;
    Dir() {
      std::filesystem::path p =
          std::filesystem::temp_directory_path() / ("nutshell-fuzz-" + std::to_string(::getpid()));
      std::error_code ec;
      std::filesystem::create_directories(p, ec);
      path = p.string();
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

inline bool writeFile(const std::string& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  return file.write(bytes.data(), std::streamsize(bytes.size())) && file.flush();
}

}  // namespace nutshell::fuzz
