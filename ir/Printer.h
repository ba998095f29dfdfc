// Text form (.nsir) printer. Deterministic: the same graph always prints the
// same bytes, and print(parse(print(g))) == print(g).
#pragma once

#include <string>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

struct PrintOptions {
  /// Print constants as `<elided>` (shape only). Such text parses back into
  /// constants whose values are unknown (TensorData::elided).
  bool elideConstants = false;
  /// Print constants with more elements than this as `<elided>`, smaller
  /// ones with their values; -1: no limit. Ignored where a weights side file
  /// takes the large constants (writeGraphFile).
  int64_t elideAbove = -1;
  /// Constants with more elements than this go to the side weights file as
  /// @weights[K] when one is being written (writeGraphFile); -1: all inline.
  int64_t inlineLimit = -1;
};

std::string printGraph(const Graph& graph, const PrintOptions& options = {});

/// How many constants printGraph(graph, options) prints as `<elided>` because
/// of options.elideAbove (constants elided already, or by elideConstants,
/// are not counted).
int64_t countElidedBySize(const Graph& graph, const PrintOptions& options);

/// Write `path` (.nsir) and, when constants exceed options.inlineLimit,
/// `path + ".weights"` holding them (binary; see docs/ir.md).
Status writeGraphFile(const Graph& graph, const std::string& path, PrintOptions options = {});

/// Graphviz text of the graph (nodes labelled with op, key attributes, type).
std::string printDot(const Graph& graph);

}  // namespace nutshell::ir
