// The `nutshell_aot_model` descriptor (runtime/aot/AotModel.h) as LLVM
// constants in the model's module, for --emit=exe: the prebuilt AOT main finds
// the entry point, names and shapes through it, so producing an executable
// needs no generated C source and start-up reads only constant data.
#pragma once

#include <string>

#include "backends/Backend.h"
#include "nutshell/Expected.h"

namespace llvm {
class Module;
}

namespace nutshell::cpu {

/// Adds `const NutshellAotModel <prefix>_model_info` and `<prefix>_info()`
/// (external linkage) to `module`, which must already define
/// `<info.prefix>_run`; `standalone` adds the alias `nutshell_aot_model`.
/// `target` is the description the executable prints and checks its CPU
/// against.
Status addModelDescriptor(llvm::Module& module, const EntrySignature& info, const std::string& target,
                          bool standalone);

}  // namespace nutshell::cpu
