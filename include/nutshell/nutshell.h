// The nutshell C++ host API: compile a model once, run it many times.
//
//   auto model = nutshell::compileModel("lenet5.onnx", {.backend = "cpu", .threads = 2});
//   if (!model) { std::cerr << model.message() << "\n"; return 1; }
//   nutshell::Tensor x = nutshell::Tensor::f32({1, 1, 28, 28}, pixels);
//   nutshell::Expected<nutshell::TensorMap> outputs = (*model)->run({{"x", x}});
//
// compileModel imports (.onnx or .nsir), binds input shapes, runs the -O2
// pass pipeline and compiles with the chosen backend. Errors are values
// (nutshell::Expected) whose message names what went wrong. See
// docs/host-api.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"

namespace nutshell {

namespace ir {
class Graph;
}
class Executable;

struct CompileOptions {
  /// "cpu" (LLVM JIT) or "reference" (the interpreter).
  std::string backend = "cpu";
  /// Threads for the cpu backend; 0 = NUTSHELL_NUM_THREADS or all cores.
  int threads = 0;
  /// Binds symbolic input dims, e.g. {{"x", {1, 1, 28, 28}}}. Inputs left
  /// symbolic are bound by the first run's tensors (the cpu backend compiles
  /// once per distinct input shape).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Fixes inputs' values at compile time (the tools' --bind NAME=FILE): each
  /// named input becomes a constant of this tensor's type and value and is
  /// no longer an input of the model, so shape operands read from it (Slice
  /// starts, Pad pads, reduce axes ...) fold. The type and shape must fit the
  /// input's declaration.
  std::map<std::string, Tensor> bindings;
  /// As the tools' -O flag: 2, the -O2 pipeline (fusion, algorithm
  /// selection, memory planning); 0, the -O0 pipeline, the minimal one a
  /// backend needs and no optimization (infer-shapes, fold-constants, dce,
  /// plan-memory). Other levels are an error. Ignored when `passes` is set.
  int optLevel = 2;
  /// An explicit pipeline string (see docs/passes.md), e.g.
  /// "canonicalize,infer-shapes,fuse,plan-memory".
  std::string passes;
  /// Convolution algorithm: auto|direct|im2col|fft|winograd.
  std::string convAlgo = "auto";
  /// cpu backend: LLVM CPU name to generate code for ("" = this machine).
  std::string targetCpu;
  /// The persistent compile cache (docs/compile-cache.md): compiled code is
  /// kept on disk and a second compile of the same model, options and
  /// machine loads it. false: neither read nor write it.
  bool cache = true;
};

/// Wall-clock milliseconds of each compile phase.
struct CompileTimings {
  double importMs = 0;
  double passesMs = 0;
  double codegenMs = 0;   // cpu: graph -> LLVM IR
  double optimizeMs = 0;  // cpu: LLVM O3
  double jitMs = 0;       // cpu: machine code
  double cacheMs = 0;     // looking up (and, on a hit, loading) the compile cache
  /// "hit", "miss" or "off".
  std::string cache = "off";
  /// Not errors, but worth hearing: a damaged cache entry that was rebuilt.
  std::vector<std::string> warnings;
};

/// One model input or output. Symbolic dims are -1.
struct TensorInfo {
  std::string name;
  ElementType type = ElementType::F32;
  std::vector<int64_t> shape;
};

/// A compiled model. run() may be called any number of times; calls from
/// several threads are serialized per model.
class Model {
public:
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// Runs the model on named inputs (every input, by name). Wrong or missing
  /// names, dtypes and shapes are errors that say what was expected.
  Expected<TensorMap> run(const TensorMap& inputs);

  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  const std::string& backend() const { return backend_; }
  const CompileTimings& timings() const { return timings_; }

private:
  friend Expected<std::unique_ptr<Model>> compileModel(const std::string& path, const CompileOptions& options);
  friend Expected<std::unique_ptr<Model>> compileModel(const ir::Graph& graph, const CompileOptions& options);
  Model();
  /// The compiled executable for these input shapes (compiled on first use
  /// when the model has symbolic dims).
  Expected<Executable*> executableFor(const TensorMap& inputs);

  struct State;
  std::unique_ptr<State> state_;
  std::vector<TensorInfo> inputs_, outputs_;
  std::string backend_;
  CompileTimings timings_;
};

/// Import `path` (.onnx or .nsir), optimize and compile it.
Expected<std::unique_ptr<Model>> compileModel(const std::string& path, const CompileOptions& options = {});
/// Optimize and compile a graph (built with GraphBuilder or imported); the
/// graph is copied, not modified.
Expected<std::unique_ptr<Model>> compileModel(const ir::Graph& graph, const CompileOptions& options = {});

}  // namespace nutshell
