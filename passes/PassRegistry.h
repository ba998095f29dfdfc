// Lookup of registered passes by name (the rows of passes/Passes.def).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "nutshell/Expected.h"
#include "passes/Pass.h"

namespace nutshell::passes {

// One factory declaration per row of Passes.def.
#define PASS(Name, Factory) std::unique_ptr<Pass> Factory();
#include "passes/Passes.def"

/// One registry row.
struct PassInfo {
  std::string_view name;
  std::unique_ptr<Pass> (*create)();
};

/// Every registered pass, in table order.
std::span<const PassInfo> registeredPasses();

/// The row named `name`, or null.
const PassInfo* lookupPass(std::string_view name);

inline bool isPassRegistered(std::string_view name) { return lookupPass(name) != nullptr; }

/// A fresh instance of the pass named `name`; the error lists the known names.
Expected<std::unique_ptr<Pass>> createPass(std::string_view name);

/// "canonicalize, cse, dce, ..." (for error messages and --help).
std::string registeredPassNames();

}  // namespace nutshell::passes
