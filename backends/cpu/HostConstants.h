// Constant payloads (weights and their compile-time re-layouts) that a JIT
// module references instead of embedding. Embedding tens of megabytes as
// LLVM constant data makes the O3 pipeline and the JIT's code generator walk
// every element; the JIT only needs an address. The AOT compiler keeps the
// embedded globals so its objects stay self-contained.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class ArrayType;
class Constant;
class GlobalVariable;
class Module;
}  // namespace llvm

namespace nutshell::cpu {

class HostConstants {
public:
  /// Smaller payloads stay embedded: index tables that O3 may fold into code.
  static constexpr size_t kMinBytes = 4096;

  struct Entry {
    std::string symbol;  // name of the external global in the module
    const void* data = nullptr;
    size_t bytes = 0;
  };

  /// Copies `bytes` bytes into a 64-byte aligned host buffer and declares an
  /// external constant global of type `type` named `name` (or a uniqued
  /// variant) that the JIT resolves to it.
  llvm::GlobalVariable* declare(llvm::Module& module, llvm::ArrayType* type, const void* data, size_t bytes,
                                const std::string& name);

  /// Copies a payload that an earlier compile declared (a compile-cache
  /// hit: the module is not built again, its object code names `symbol`).
  /// False when out of memory.
  bool restore(const std::string& symbol, const void* data, size_t bytes);

  const std::vector<Entry>& entries() const { return entries_; }
  size_t totalBytes() const { return totalBytes_; }

private:
  void* copy(const void* data, size_t bytes);
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<void, FreeDeleter>> buffers_;
  std::vector<Entry> entries_;
  size_t totalBytes_ = 0;
};

/// A 64-byte aligned constant global holding `count` elements of `data`
/// (f32 when `isF32`, else i64): external and kept in `host` when `host` is
/// set and the payload is at least HostConstants::kMinBytes, else a private
/// global with the values as initializer.
llvm::GlobalVariable* makeConstantGlobal(llvm::Module& module, HostConstants* host, const void* data, size_t count,
                                         bool isF32, const std::string& name);
/// The same for raw bytes of any element type (bool, i32, i8, u8, f64
/// constants, whose payloads the IR holds widened).
llvm::GlobalVariable* makeConstantBytesGlobal(llvm::Module& module, HostConstants* host, const void* data,
                                              size_t bytes, const std::string& name);

}  // namespace nutshell::cpu
