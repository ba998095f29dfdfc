// The backend seam: a backend compiles a (planned) graph into an Executable
// that maps named input tensors to named output tensors. Everything a tool or
// the host API needs from a backend goes through this header and the registry
// (backends/BackendRegistry.h): no caller names a backend's own types.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/TargetDescription.h"
#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"

namespace nutshell {

/// Options every backend takes, plus settings that only some understand.
struct BackendOptions {
  /// Threads for backends that run on the host; 0 = NUTSHELL_NUM_THREADS or all cores.
  int threads = 0;
  /// Backend-specific settings by name, e.g. {"target-cpu", "znver4"} for
  /// cpu. A backend rejects a name it does not know (a typo is an error, not
  /// a setting silently ignored).
  std::map<std::string, std::string> settings;
};

/// A compiled model. run() checks input names, dtypes and shapes against the
/// graph's inputs and reports mismatches as errors.
class Executable {
public:
  virtual ~Executable() = default;
  virtual Expected<TensorMap> run(const TensorMap& inputs) = 0;
};

/// The wall time of one compile phase ("codegen", "optimize", "jit", ...).
struct PhaseTiming {
  std::string name;
  double ms = 0;
};

/// What compile() produced: the executable, how long each phase took, and
/// the kernels it generated (one line each: name, op, algorithm).
struct CompileResult {
  std::unique_ptr<Executable> executable;
  /// In order. Empty when compilation waits for the first run (symbolic input
  /// shapes) and for backends with nothing to compile.
  std::vector<PhaseTiming> phases;
  std::vector<std::string> kernels;

  /// The time of phase `name`, 0 if the backend has no such phase.
  double phaseMs(const std::string& name) const {
    for (const PhaseTiming& phase : phases)
      if (phase.name == name) return phase.ms;
    return 0;
  }
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Expected<CompileResult> compile(const ir::Graph& graph, const BackendOptions& options) = 0;
  /// The machine compile() targets with these options, for the cost model
  /// (passes::PassContext::target): cores, caches, peak. The default is the
  /// reference machine's description.
  virtual Expected<TargetDescription> targetDescription(const BackendOptions& options) const {
    (void)options;
    return TargetDescription{};
  }
};

/// Error unless every key of `options.settings` is in `known`; for backends'
/// compile().
inline Status checkBackendSettings(const std::string& backend, const BackendOptions& options,
                                   const std::vector<std::string>& known) {
  for (const auto& [key, value] : options.settings) {
    bool ok = false;
    for (const std::string& k : known) ok = ok || k == key;
    if (ok) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    return makeError("backend '" + backend + "' has no setting '" + key + "'" +
                     (list.empty() ? std::string(" (it takes none)") : " (it takes: " + list + ")"));
  }
  return Status::success();
}

}  // namespace nutshell
