// What the CPU backend keeps in the persistent compile cache
// (backends/common/CompileCache.h) for one JIT-compiled module: its object
// code, the entry signature and kernel list, and the host constants (weights
// and their compile-time re-layouts) the code reads. A hit skips code
// generation, LLVM's optimizer and its code generator: the object is linked
// into the JIT and the constants are copied back.
//
// The key is a BLAKE3 digest of everything that decides the code: the
// planned graph (its text without constants, then every constant's bytes),
// the target (triple, CPU, features), the debug setting, and the identity of
// the nutshell build doing the compile (the file the code lives in: its size,
// inode and modification time), so a rebuilt compiler never loads code an
// older one wrote.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/cpu/HostConstants.h"
#include "backends/cpu/ModuleBuilder.h"
#include "backends/cpu/Target.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::cpu {

/// 64 hex digits. `purpose` tells apart entries of one graph made for
/// different uses (the JIT's, or an AOT request's format and prefix).
std::string jitCacheKey(const ir::Graph& planned, const TargetInfo& target, const std::string& perturbValue,
                        std::string_view purpose = "jit");

struct CachedModule {
  ModuleInfo info;
  std::shared_ptr<HostConstants> hostConstants;  // null when the module had none
  std::vector<std::string> objects;              // relocatable object code, linked together
};

std::string serializeCachedModule(const ModuleInfo& info, const HostConstants* constants,
                                  const std::vector<std::string>& objects);
/// Errors say what is malformed (the cache then rebuilds the entry).
Expected<CachedModule> deserializeCachedModule(std::string_view payload);

}  // namespace nutshell::cpu
