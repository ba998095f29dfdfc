// Text form (.nsir) parser. Errors are `file:line:col: message`.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

/// Parse a graph from text. `fileName` prefixes error locations. @weights[K]
/// references are resolved against `weightsPath` (error if absent).
Expected<std::unique_ptr<Graph>> parseGraph(std::string_view text, std::string_view fileName = "<input>",
                                            const std::string& weightsPath = "");

/// Read and parse a .nsir file (its weights from `path + ".weights"`), then verify it.
Expected<std::unique_ptr<Graph>> parseGraphFile(const std::string& path);

}  // namespace nutshell::ir
