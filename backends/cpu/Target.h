// The machine the CPU backend generates code for: the host by default, or a
// named CPU (--target-cpu). Shared by the JIT and by AOT object emission.
#pragma once

#include <memory>
#include <string>

#include "nutshell/Expected.h"

namespace llvm {
class TargetMachine;
}

namespace nutshell::cpu {

struct TargetInfo {
  std::string triple;    // e.g. x86_64-pc-linux-gnu
  std::string cpuName;   // e.g. znver4
  std::string features;  // "+avx2,+fma,..." (empty: implied by cpuName)
  /// f32 lanes of the vectors the kernels use: 16 with AVX-512, 8 with AVX2,
  /// else 4 (SSE, NEON).
  int vectorWidth = 4;
  bool hasAvx512 = false;
  bool hasAvx2 = false;
  bool hasFma = false;
};

/// Registers LLVM's native target, asm printer and parser (idempotent,
/// thread-safe).
void initializeNativeTarget();

/// The host (cpuOverride empty: sys::getHostCPUName + getHostCPUFeatures) or
/// the named CPU with the features LLVM knows for it. Errors name an unknown CPU.
Expected<TargetInfo> detectTarget(const std::string& cpuOverride = "");

/// A TargetMachine for `target` at -O3 (PIC, so objects link into shared
/// libraries and PIE executables).
Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachine(const TargetInfo& target);

/// One line: "znver4 (x86_64-pc-linux-gnu), 16 x f32 vectors, AVX-512".
std::string describeTarget(const TargetInfo& target);

}  // namespace nutshell::cpu
