// The pass interface. A pass transforms a Graph in place and says whether it
// changed anything; errors are values naming the node.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "ir/Graph.h"
#include "ir/TargetDescription.h"
#include "nutshell/Expected.h"

namespace nutshell::passes {

using nutshell::TargetDescription;

/// State shared by the passes of one pipeline run.
struct PassContext {
  TargetDescription target;
  /// --conv-algo=auto|direct|im2col|fft|winograd (global default).
  std::string convAlgo = "auto";
  /// --conv-algo=NODE=ALGO overrides, by node (first result) name.
  std::map<std::string, std::string> convAlgoPerNode;
  /// Per-pass options from the pipeline string, e.g. select-conv-algo{mode=auto}.
  std::map<std::string, std::string> options;
};

class Pass {
public:
  virtual ~Pass() = default;
  /// The name used in pipeline strings and dump flags.
  virtual std::string_view name() const = 0;
  /// true when the graph changed.
  virtual Expected<bool> run(ir::Graph& graph, PassContext& context) = 0;
};

}  // namespace nutshell::passes
