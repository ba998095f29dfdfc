#include "backends/cpu/ObjectEmitter.h"

#include <fmt/format.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/CodeGen.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

namespace nutshell::cpu {

Expected<std::string> emitMachineCode(llvm::Module& module, const TargetInfo& target, MachineCodeKind kind) {
  NUTSHELL_ASSIGN(auto machine, createTargetMachine(target));
  module.setTargetTriple(target.triple);
  module.setDataLayout(machine->createDataLayout());

  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  // Code generation still runs on the legacy pass manager in LLVM 19.
  llvm::legacy::PassManager passes;
  llvm::CodeGenFileType fileType =
      kind == MachineCodeKind::Object ? llvm::CodeGenFileType::ObjectFile : llvm::CodeGenFileType::AssemblyFile;
  if (machine->addPassesToEmitFile(passes, stream, nullptr, fileType))
    return makeError(fmt::format("cpu backend: target '{}' ({}) cannot emit {}", target.cpuName, target.triple,
                                 kind == MachineCodeKind::Object ? "object files" : "assembly"));
  passes.run(module);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace nutshell::cpu
