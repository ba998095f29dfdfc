#include "backends/cpu/Jit.h"

#include <fmt/format.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/TargetParser/SubtargetFeature.h>

#include "runtime/ThreadPool.h"

namespace nutshell::cpu {

static Error toError(llvm::Error error, const char* what) {
  return makeError(fmt::format("cpu backend: {}: {}", what, llvm::toString(std::move(error))));
}

Jit::~Jit() = default;

Expected<std::unique_ptr<Jit>> Jit::create(const TargetInfo& target) {
  initializeNativeTarget();
  llvm::orc::JITTargetMachineBuilder machineBuilder{llvm::Triple(target.triple)};
  machineBuilder.setCPU(target.cpuName);
  llvm::SubtargetFeatures features(target.features);
  machineBuilder.addFeatures(features.getFeatures());
  machineBuilder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto built = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(machineBuilder)).create();
  if (!built) return toError(built.takeError(), "cannot create the JIT");
  std::unique_ptr<Jit> jit(new Jit());
  jit->jit_ = std::move(*built);

  // The runtime entry is defined by address (the host executable need not
  // export it); libc/libm symbols come from the process.
  llvm::orc::JITDylib& dylib = jit->jit_->getMainJITDylib();
  llvm::orc::SymbolMap runtime;
  runtime[jit->jit_->mangleAndIntern("nutshell_parallel_for")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nutshell_parallel_for), llvm::JITSymbolFlags::Exported};
  if (auto error = dylib.define(llvm::orc::absoluteSymbols(std::move(runtime))))
    return toError(std::move(error), "cannot define runtime symbols");
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      jit->jit_->getDataLayout().getGlobalPrefix());
  if (!generator) return toError(generator.takeError(), "cannot search the process for symbols");
  dylib.addGenerator(std::move(*generator));
  return jit;
}

Status Jit::addModule(std::unique_ptr<llvm::LLVMContext> context, std::unique_ptr<llvm::Module> module) {
  module->setDataLayout(jit_->getDataLayout());
  llvm::orc::ThreadSafeModule tsm(std::move(module), std::move(context));
  if (auto error = jit_->addIRModule(std::move(tsm))) return toError(std::move(error), "cannot add module");
  return Status::success();
}

Status Jit::addObject(const std::string& object) {
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(object, "nutshell-model.o");
  if (auto error = jit_->addObjectFile(std::move(buffer)))
    return toError(std::move(error), "cannot add object code");
  return Status::success();
}

Status Jit::defineSymbols(const std::vector<std::pair<std::string, const void*>>& symbols) {
  if (symbols.empty()) return Status::success();
  llvm::orc::SymbolMap map;
  for (const auto& [name, address] : symbols)
    map[jit_->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(address), llvm::JITSymbolFlags::Exported};
  if (auto error = jit_->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(map))))
    return toError(std::move(error), "cannot define host constants");
  return Status::success();
}

Expected<void*> Jit::lookup(const std::string& name) {
  auto address = jit_->lookup(name);
  if (!address) return toError(address.takeError(), fmt::format("symbol '{}' not found", name).c_str());
  return address->toPtr<void*>();
}

}  // namespace nutshell::cpu
