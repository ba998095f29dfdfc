// The pass interface. A pass transforms a Graph in place and says whether it
// changed anything; errors are values naming the node.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::passes {

/// What the cost model knows about the machine (measured or given).
/// Defaults: the reference machine of docs/benchmarks.md (Zen 4, AVX-512).
struct TargetDescription {
  double peakGflopsPerCore = 117.0;  // FP32 FMA peak, one core
  int cores = 1;                     // threads the code will run on
  double l2BandwidthGBs = 95.0;      // copy bandwidth in L2 (read + write)
  double l3BandwidthGBs = 53.0;
  double dramBandwidthGBs = 28.0;
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 1024 * 1024;
  int64_t l3Bytes = 32 * 1024 * 1024;
};

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
