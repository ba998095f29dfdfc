// The backend interface: a backend compiles a (planned) graph into an
// Executable that maps named input tensors to named output tensors.
#pragma once

#include <memory>
#include <string>

#include "ir/Graph.h"
#include "nutshell/Expected.h"
#include "runtime/Tensor.h"

namespace nutshell {

struct BackendOptions {
  int threads = 0;         // 0: NUTSHELL_NUM_THREADS or all cores
  std::string targetCpu;   // cpu backend: "" = host
};

/// A compiled model. run() checks input names, dtypes and shapes against the
/// graph's inputs and reports mismatches as errors.
class Executable {
public:
  virtual ~Executable() = default;
  virtual Expected<TensorMap> run(const TensorMap& inputs) = 0;
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Expected<std::unique_ptr<Executable>> compile(const ir::Graph& graph, const BackendOptions& options) = 0;
};

}  // namespace nutshell
