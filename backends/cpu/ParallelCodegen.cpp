#include "backends/cpu/ParallelCodegen.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/ValueMapper.h>

#include "backends/cpu/ModuleBuilder.h"
#include "backends/cpu/ObjectEmitter.h"

namespace nutshell::cpu {
namespace {

// Below this many instructions (before O3, which unrolls and vectorizes them
// into ten times as many) a model compiles in a few tens of milliseconds and
// one part is as fast as several: each part pays for its own pass setup.
constexpr size_t kSplitThreshold = 1000;

size_t instructionCount(const llvm::Function& f) {
  size_t n = 0;
  for (const llvm::BasicBlock& block : f) n += block.size();
  return n;
}

/// The part of every defined function: largest first onto the lightest part,
/// so that the parts take about equal time.
std::unordered_map<const llvm::GlobalValue*, unsigned> assignParts(llvm::Module& module, unsigned parts) {
  std::vector<std::pair<size_t, const llvm::Function*>> bySize;
  for (const llvm::Function& f : module)
    if (!f.isDeclaration()) bySize.emplace_back(instructionCount(f), &f);
  std::stable_sort(bySize.begin(), bySize.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<size_t> load(parts, 0);
  std::unordered_map<const llvm::GlobalValue*, unsigned> partOf;
  for (const auto& [size, f] : bySize) {
    unsigned lightest = unsigned(std::min_element(load.begin(), load.end()) - load.begin());
    partOf[f] = lightest;
    load[lightest] += size;
  }
  return partOf;
}

/// A read-only table the kernels index, or an embedded weight (a local
/// constant): every part that uses it gets its own copy, so no part reads
/// another's data. Every other global is defined in part 0.
bool copiedWhereUsed(const llvm::GlobalVariable& global) {
  return global.hasLocalLinkage() && global.isConstant() && global.hasInitializer();
}

/// The globals `root` refers to, through constant expressions and the
/// initializers of the globals it reaches.
void collectGlobals(const llvm::Value* root, std::unordered_set<const llvm::GlobalVariable*>& found) {
  std::vector<const llvm::Value*> work{root};
  std::unordered_set<const llvm::Value*> seen;
  while (!work.empty()) {
    const llvm::Value* value = work.back();
    work.pop_back();
    if (!seen.insert(value).second) continue;
    auto visitOperands = [&](const llvm::User* user) {
      for (const llvm::Use& use : user->operands())
        if (llvm::isa<llvm::Constant>(use.get())) work.push_back(use.get());
    };
    if (const auto* f = llvm::dyn_cast<llvm::Function>(value)) {
      if (value != root) continue;  // another function: its part has its own uses
      for (const llvm::BasicBlock& block : *f)
        for (const llvm::Instruction& inst : block) visitOperands(&inst);
    } else if (const auto* global = llvm::dyn_cast<llvm::GlobalVariable>(value)) {
      found.insert(global);
      if (global->hasInitializer()) work.push_back(global->getInitializer());
    } else if (const auto* constant = llvm::dyn_cast<llvm::Constant>(value)) {
      visitOperands(constant);
    }
  }
}

/// Functions (and the rare mutable or local non-table global) become
/// external, so that a part can call or read what another part defines.
/// Default visibility, not dso_local: calls go through the PLT and data
/// through the GOT, which the JIT linker builds, so parts may land anywhere
/// in the address space.
void externalize(llvm::Module& module) {
  auto open = [](llvm::GlobalValue& value) {
    if (!value.hasLocalLinkage()) return;
    value.setLinkage(llvm::GlobalValue::ExternalLinkage);
    value.setVisibility(llvm::GlobalValue::DefaultVisibility);
    value.setDSOLocal(false);
  };
  for (llvm::Function& f : module)
    if (!f.isDeclaration()) open(f);
  for (llvm::GlobalVariable& global : module.globals())
    if (!global.isDeclaration() && !copiedWhereUsed(global)) open(global);
  for (llvm::GlobalAlias& alias : module.aliases()) open(alias);
}

std::string toBitcode(const llvm::Module& module) {
  std::string bytes;
  llvm::raw_string_ostream stream(bytes);
  llvm::WriteBitcodeToFile(module, stream);
  stream.flush();
  return bytes;
}

Expected<std::string> compilePart(const std::string& bitcode, const TargetInfo& target) {
  llvm::LLVMContext context;
  auto buffer = llvm::MemoryBuffer::getMemBuffer(bitcode, "nutshell-part", false);
  auto parsed = llvm::parseBitcodeFile(buffer->getMemBufferRef(), context);
  if (!parsed)
    return makeError("cpu backend: internal error, a module part does not read back: " +
                     llvm::toString(parsed.takeError()));
  NUTSHELL_TRY(optimizeModule(**parsed, target));
  return emitMachineCode(**parsed, target, MachineCodeKind::Object);
}

}  // namespace

unsigned defaultCompileThreads() {
  if (const char* env = std::getenv("NUTSHELL_COMPILE_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return unsigned(std::min(n, 64));
  }
  unsigned hardware = std::thread::hardware_concurrency();
  return std::clamp(hardware, 1u, 8u);
}

Expected<std::vector<std::string>> compileToObjects(llvm::Module& module, const TargetInfo& target,
                                                    unsigned parts) {
  size_t kernels = 0, instructions = 0;
  for (const llvm::Function& f : module)
    if (!f.isDeclaration()) {
      ++kernels;
      instructions += instructionCount(f);
    }
  parts = unsigned(std::min<size_t>(parts, kernels));
  if (parts <= 1 || instructions < kSplitThreshold) {
    NUTSHELL_TRY(optimizeModule(module, target));
    NUTSHELL_ASSIGN(std::string object, emitMachineCode(module, target, MachineCodeKind::Object));
    return std::vector<std::string>{std::move(object)};
  }

  externalize(module);
  std::unordered_map<const llvm::GlobalValue*, unsigned> partOf = assignParts(module, parts);
  // What each part must define: its functions' globals; part 0 also every
  // global that is not copied (and what their initializers reach).
  std::vector<std::unordered_set<const llvm::GlobalVariable*>> needed(parts);
  for (const llvm::Function& f : module)
    if (!f.isDeclaration()) collectGlobals(&f, needed[partOf.at(&f)]);
  for (const llvm::GlobalVariable& global : module.globals())
    if (!global.isDeclaration() && !copiedWhereUsed(global)) collectGlobals(&global, needed[0]);
  for (const llvm::GlobalAlias& alias : module.aliases()) collectGlobals(alias.getAliasee(), needed[0]);
  // Cloned one after the other (they share the module's context); compiled
  // at once, each from its bitcode in a context of its own.
  std::vector<std::string> bitcode;
  for (unsigned part = 0; part < parts; ++part) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> clone = llvm::CloneModule(module, map, [&](const llvm::GlobalValue* value) {
      if (const auto* global = llvm::dyn_cast<llvm::GlobalVariable>(value))
        return copiedWhereUsed(*global) ? needed[part].count(global) > 0 : part == 0;
      if (llvm::isa<llvm::GlobalAlias>(value)) return part == 0;  // (the AOT descriptor's other name)
      auto found = partOf.find(value);
      return found != partOf.end() && found->second == part;
    });
    bitcode.push_back(toBitcode(*clone));
  }
  std::vector<Expected<std::string>> objects(
      parts, makeError("cpu backend: internal error, a part did not compile"));
  std::vector<std::thread> workers;
  for (unsigned part = 1; part < parts; ++part)
    workers.emplace_back([&, part] { objects[part] = compilePart(bitcode[part], target); });
  objects[0] = compilePart(bitcode[0], target);
  for (std::thread& worker : workers) worker.join();

  std::vector<std::string> out;
  for (Expected<std::string>& object : objects) {
    if (!object) return makeError(object.message());
    out.push_back(std::move(*object));
  }
  return out;
}

}  // namespace nutshell::cpu
