// LLVM's optimizer and code generator on several threads: the JIT's module
// is split into parts of about equal size, each optimized (O3) and turned into
// a relocatable object in a context of its own, all at once. Kernels are
// independent functions, so a part is a set of whole kernels; the objects are
// linked together by the JIT. On a model whose kernels take seconds to
// compile this divides that time by the threads (ResNet-18: 15 distinct
// kernels of 1,000-5,000 instructions each).
#pragma once

#include <string>
#include <vector>

#include "backends/cpu/Target.h"
#include "nutshell/Expected.h"

namespace llvm {
class Module;
}

namespace nutshell::cpu {

/// How many parts compileToObjects splits into when nothing says otherwise:
/// NUTSHELL_COMPILE_THREADS if set (1 = no split), else the hardware threads,
/// at most 8.
unsigned defaultCompileThreads();

/// Optimizes `module` (not yet optimized; it is consumed: its functions are
/// given external linkage and cloned out) and generates one object per part,
/// at most `parts` parts and never more than the module has kernels. With one
/// part it is optimizeModule + emitMachineCode. The run entry and every kernel
/// keep their names, so the objects link as the single module would.
Expected<std::vector<std::string>> compileToObjects(llvm::Module& module, const TargetInfo& target,
                                                    unsigned parts);

}  // namespace nutshell::cpu
