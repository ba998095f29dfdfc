// ORC LLJIT wrapper: takes an optimized module, resolves the runtime's
// symbols (nutshell_parallel_for, libc's memcpy/memset), returns addresses.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/Target.h"
#include "nutshell/Expected.h"

namespace llvm {
class LLVMContext;
class Module;
namespace orc {
class LLJIT;
}
}  // namespace llvm

namespace nutshell::cpu {

class Jit {
public:
  static Expected<std::unique_ptr<Jit>> create(const TargetInfo& target);
  ~Jit();

  /// Hands the module (and its context) to the JIT; code is generated lazily
  /// at the first lookup.
  Status addModule(std::unique_ptr<llvm::LLVMContext> context, std::unique_ptr<llvm::Module> module);
  /// Links relocatable object code (emitMachineCode's, or a compile-cache
  /// entry's) into the JIT.
  Status addObject(const std::string& object);
  /// Defines `symbols` (name -> host address) for the modules' external
  /// declarations, e.g. the payloads of HostConstants.
  Status defineSymbols(const std::vector<std::pair<std::string, const void*>>& symbols);
  /// Address of a defined function (compiles the module on first use).
  Expected<void*> lookup(const std::string& name);

private:
  Jit() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
};

}  // namespace nutshell::cpu
