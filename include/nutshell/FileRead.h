// Reading a whole file that came from someone else: it must be a regular file
// (not a directory, a FIFO or /dev/zero behind a symlink), and the read is
// bounded by the size the file has when it is opened and by a limit the caller
// gives, so a hostile path cannot make nutshell read without end.
#pragma once

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nutshell/Expected.h"
#include "nutshell/MemoryLimit.h"

namespace nutshell {

namespace detail {

/// Opens `path`, checks it is a regular file, and reads `count` bytes at
/// `offset` (count < 0: the rest of the file, at most maxBytes).
inline Expected<std::string> readRegularFileBytes(const std::string& path, const std::string& role,
                                                  uint64_t offset, int64_t count, uint64_t maxBytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return makeError("cannot open " + role + " '" + path +
                     "': " + (errno == ENOENT ? "no such file" : std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  // fstat on the opened descriptor: what is checked is what is read.
  struct stat info;
  if (::fstat(fd, &info) != 0)
    return makeError("cannot stat " + role + " '" + path + "': " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) return makeError(role + " '" + path + "' is a directory, not a file");
  if (!S_ISREG(info.st_mode))
    return makeError(role + " '" + path + "' is not a regular file (a device, FIFO or socket)");
  const uint64_t size = uint64_t(info.st_size);
  if (count < 0) {
    if (size > maxBytes)
      return makeError(role + " '" + path + "' has " + formatBytes(size) + ", more than the limit of " +
                       formatBytes(maxBytes));
    count = int64_t(size);
    offset = 0;
  } else if (offset > size || uint64_t(count) > size - offset) {
    return makeError(role + " '" + path + "' has " + std::to_string(size) + " bytes, needs " +
                     std::to_string(count) + " at offset " + std::to_string(offset));
  } else if (uint64_t(count) > maxBytes) {
    return makeError("reading " + formatBytes(uint64_t(count)) + " of " + role + " '" + path +
                     "' is more than the limit of " + formatBytes(maxBytes));
  }
  std::string bytes(size_t(count), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError("error reading " + role + " '" + path + "': " + std::strerror(errno));
    if (n == 0) return makeError(role + " '" + path + "' changed while it was read (it shrank)");
    done += size_t(n);
  }
  return bytes;
}

}  // namespace detail

/// The bytes of the regular file at `path`, at most `maxBytes` of them (the
/// memory limit by default). `what` names the file's role in messages
/// ("ONNX file", "weights file"). Errors: missing or unreadable file, a
/// directory, anything that is not a regular file, a file over the limit, a
/// file that shrank while it was read.
inline Expected<std::string> readRegularFile(const std::string& path, std::string_view what,
                                             uint64_t maxBytes = 0) {
  return detail::readRegularFileBytes(path, std::string(what), 0, -1, maxBytes ? maxBytes : memoryLimit());
}

/// `count` bytes at `offset` of the regular file at `path` (checked against
/// the file's size and the memory limit before anything is allocated).
inline Expected<std::string> readRegularFileRange(const std::string& path, std::string_view what,
                                                  uint64_t offset, uint64_t count) {
  if (count > uint64_t(INT64_MAX)) return makeError("cannot read " + std::to_string(count) + " bytes");
  return detail::readRegularFileBytes(path, std::string(what), offset, int64_t(count), memoryLimit());
}

}  // namespace nutshell
