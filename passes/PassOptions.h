// Reading a pass's {key=value} options from PassContext::options.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "nutshell/Expected.h"
#include "passes/Pass.h"

namespace nutshell::passes {

/// Error when `context` holds an option not in `known` (typos would
/// otherwise be ignored silently).
Status checkOptions(std::string_view pass, const PassContext& context, std::initializer_list<std::string_view> known);

/// Integer option `key`, or `fallback` when absent; an error names the pass.
Expected<int64_t> intOption(std::string_view pass, const PassContext& context, const std::string& key,
                            int64_t fallback);

}  // namespace nutshell::passes
