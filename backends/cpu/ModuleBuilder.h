// Graph -> llvm::Module. By default the module is self-contained (weights are
// private globals; ModuleOptions::externalConstants keeps them in host memory
// for the JIT) and exposes a C entry ABI that the JIT and AOT builds share:
//
//   int32_t <prefix>_run(void* const* inputs, void* const* outputs, void* workspace);  // RunStatus
//   int64_t <prefix>_workspace_bytes(void);
//   int64_t <prefix>_num_inputs(void);
//   int64_t <prefix>_num_outputs(void);
//   const char* <prefix>_signature(void);  // "(%x: f32[1,1,28,28]) -> (%y: f32[1,10])"
//
// inputs/outputs are in graph order; workspace is caller-provided, 64-byte
// aligned, workspace_bytes() long. The generated code calls the runtime's
// nutshell_parallel_for (runtime/ThreadPool.h) and libc's memcpy.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/Backend.h"
#include "backends/cpu/Target.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace nutshell::cpu {

class HostConstants;

/// What the module's entry points expect (the AOT ABI, backends/Backend.h),
/// for hosts (JIT executable, AOT header writer) that call them.
struct ModuleInfo : EntrySignature {
  /// One line per emitted kernel (NUTSHELL_DEBUG=2 prints them).
  std::vector<std::string> kernels;
};

struct ModuleOptions {
  /// Symbol prefix of the entry points (a C identifier).
  std::string prefix = "nutshell";
  /// JIT: constants of HostConstants::kMinBytes or more (weights and their
  /// compile-time re-layouts) stay in host memory (BuiltModule::hostConstants)
  /// and the module declares them as external globals, which the JIT defines
  /// at those addresses. Off (AOT): they are embedded as private globals.
  bool externalConstants = false;
  /// Debugging the debugger: after the kernel that computes the value of
  /// this name, add 1 to its first element (a planted wrong kernel, which
  /// nutshell-run --bisect must find). Empty: off.
  std::string perturbValue;
  /// Called after each node's kernel is emitted: (nodes done, nodes in all).
  std::function<void(size_t done, size_t total)> onNodeEmitted;
};

struct BuiltModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  ModuleInfo info;
  /// With ModuleOptions::externalConstants: the payloads the module's
  /// external globals name; must outlive the compiled code.
  std::shared_ptr<HostConstants> hostConstants;
};

/// Emits every node's kernel and the entry points. The graph must have static
/// shapes (bind symbolic input dims first), no elided constants, and a valid
/// memory plan (ir::planMemory / plan-memory), whose offsets the code uses.
Expected<BuiltModule> buildModule(const ir::Graph& graph, const TargetInfo& target, const ModuleOptions& options = {});

/// Runs LLVM's O3 pipeline (PassBuilder) tuned for `target`.
Status optimizeModule(llvm::Module& module, const TargetInfo& target);

/// Textual LLVM IR of the module.
std::string moduleText(const llvm::Module& module);

}  // namespace nutshell::cpu
