#include "passes/PassRegistry.h"

#include <array>

namespace nutshell::passes {

namespace {
constexpr PassInfo kPasses[] = {
#define PASS(Name, Factory) PassInfo{Name, &Factory},
#include "passes/Passes.def"
};
}  // namespace

std::span<const PassInfo> registeredPasses() { return kPasses; }

const PassInfo* lookupPass(std::string_view name) {
  for (const PassInfo& info : kPasses)
    if (info.name == name) return &info;
  return nullptr;
}

std::string registeredPassNames() {
  std::string names;
  for (const PassInfo& info : kPasses) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

Expected<std::unique_ptr<Pass>> createPass(std::string_view name) {
  const PassInfo* info = lookupPass(name);
  if (!info)
    return makeError("unknown pass '" + std::string(name) + "' (registered: " + registeredPassNames() + ")");
  return info->create();
}

}  // namespace nutshell::passes
