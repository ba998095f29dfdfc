#include "backends/cpu/Target.h"

#include <mutex>

#include <fmt/format.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

namespace nutshell::cpu {

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

static Expected<std::unique_ptr<llvm::TargetMachine>> makeMachine(const std::string& triple, const std::string& cpu,
                                                                  const std::string& features) {
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) return makeError(fmt::format("cpu backend: no LLVM target for '{}': {}", triple, error));
  llvm::TargetOptions options;
  // Kernels only contract a*b+c into FMAs where the IR says so (per
  // instruction flags); no global unsafe-math.
  options.AllowFPOpFusion = llvm::FPOpFusion::Standard;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine) return makeError(fmt::format("cpu backend: cannot create a target machine for cpu '{}'", cpu));
  return machine;
}

Expected<TargetInfo> detectTarget(const std::string& cpuOverride) {
  initializeNativeTarget();
  TargetInfo info;
  info.triple = llvm::sys::getProcessTriple();
  if (cpuOverride.empty() || cpuOverride == "native" || cpuOverride == "host") {
    info.cpuName = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
    std::string features;
    for (const auto& entry : hostFeatures) {
      if (!features.empty()) features += ",";
      features += (entry.second ? "+" : "-") + entry.getKey().str();
    }
    info.features = features;
  } else {
    // Validate the name against a generic machine first: LLVM only warns
    // (and falls back to a baseline) for a CPU it does not know.
    NUTSHELL_ASSIGN(auto generic, makeMachine(info.triple, "", ""));
    if (!generic->getMCSubtargetInfo()->isCPUStringValid(cpuOverride))
      return makeError(fmt::format("cpu backend: unknown --target-cpu '{}' for {}", cpuOverride, info.triple));
    info.cpuName = cpuOverride;
  }
  NUTSHELL_ASSIGN(auto machine, makeMachine(info.triple, info.cpuName, info.features));
  const llvm::MCSubtargetInfo* sti = machine->getMCSubtargetInfo();
  llvm::Triple triple(info.triple);
  if (triple.isX86()) {
    info.hasAvx512 = sti->checkFeatures("+avx512f");
    info.hasAvx2 = sti->checkFeatures("+avx2");
    info.hasFma = sti->checkFeatures("+fma");
  } else if (triple.isAArch64()) {
    info.hasFma = true;
  }
  info.vectorWidth = info.hasAvx512 ? 16 : info.hasAvx2 ? 8 : 4;
  return info;
}

Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachine(const TargetInfo& target) {
  initializeNativeTarget();
  return makeMachine(target.triple, target.cpuName, target.features);
}

std::string describeTarget(const TargetInfo& target) {
  return fmt::format("{} ({}), {} x f32 vectors{}{}", target.cpuName, target.triple, target.vectorWidth,
                     target.hasAvx512 ? ", AVX-512" : target.hasAvx2 ? ", AVX2" : "", target.hasFma ? ", FMA" : "");
}

}  // namespace nutshell::cpu
