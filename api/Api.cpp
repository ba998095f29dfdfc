// The host API (include/nutshell/nutshell.h): import -> bind shapes -> -O2
// pipeline -> backend compile, and input checking around Executable::run.
#include <chrono>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "backends/Backend.h"
#include "backends/BackendRegistry.h"
#include "backends/common/ExecutableShell.h"
#include "ir/Graph.h"
#include "ir/Parser.h"
#include "ir/ShapeInference.h"
#include "nutshell/nutshell.h"
#include "passes/PipelineOptions.h"

#ifdef NUTSHELL_HAVE_ONNX
#include "frontend/onnx/OnnxImporter.h"
#endif

namespace nutshell {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

TensorInfo infoOf(const ir::Value* v) {
  TensorInfo info;
  info.name = v->name;
  info.type = common::elementTypeOf(v->type.dtype);
  for (const ir::Dim& d : v->type.dims) info.shape.push_back(d.isStatic() ? d.size : -1);
  return info;
}

bool hasSuffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Passes + backend for a graph whose inputs are all static.
Expected<std::unique_ptr<Executable>> compileBound(std::unique_ptr<ir::Graph> graph,
                                                   const CompileOptions& options, CompileTimings& timings) {
  BackendOptions backendOptions;
  backendOptions.threads = options.threads;
  backendOptions.cache = options.cache;
  if (!options.targetCpu.empty()) backendOptions.settings["target-cpu"] = options.targetCpu;
  NUTSHELL_ASSIGN(std::unique_ptr<Backend> backend, createBackend(options.backend));
  auto start = Clock::now();
  // optLevel means what the tools' -O flag means: 0 is the minimal
  // pipeline a backend needs, not "no passes" (docs/passes.md).
  passes::PipelineOptions pipeline;
  // Priced for the machine the backend describes (threads included).
  NUTSHELL_ASSIGN(pipeline.target, backend->targetDescription(backendOptions));
  if (!options.passes.empty())
    pipeline.passes = options.passes;
  else
    pipeline.optLevel = options.optLevel;
  pipeline.convAlgo = options.convAlgo;
  std::ostringstream dumps;
  NUTSHELL_TRY(passes::runPipeline(*graph, pipeline, dumps));
  timings.passesMs = msSince(start);
  NUTSHELL_ASSIGN(CompileResult compiled, backend->compile(*graph, backendOptions));
  timings.codegenMs = compiled.phaseMs("codegen");
  timings.optimizeMs = compiled.phaseMs("optimize");
  timings.jitMs = compiled.phaseMs("jit");
  timings.cacheMs = compiled.phaseMs("cache");
  timings.cache = compiled.cache;
  timings.warnings = compiled.warnings;
  return std::move(compiled.executable);
}

}  // namespace

struct Model::State {
  CompileOptions options;
  std::unique_ptr<ir::Graph> graph;  // kept while inputs have symbolic dims
  std::vector<common::TensorSpec> inputs;
  common::VariantCache<Executable> variants;  // by input shapes
};

Model::Model() : state_(std::make_unique<State>()) {}
Model::~Model() = default;

Expected<Executable*> Model::executableFor(const TensorMap& inputs) {
  // A static model has one variant, compiled by compileModel under key "".
  std::string key = state_->graph ? common::shapeKey(state_->inputs, inputs) : "";
  return state_->variants.get(key, [&]() -> Expected<std::unique_ptr<Executable>> {
    std::unique_ptr<ir::Graph> graph = state_->graph->clone();
    NUTSHELL_TRY(ir::bindInputShapes(*graph, common::inputShapes(state_->inputs, common::provided(inputs))));
    CompileTimings timings;
    return compileBound(std::move(graph), state_->options, timings);
  });
}

Expected<TensorMap> Model::run(const TensorMap& inputs) {
  NUTSHELL_TRY(common::checkInputs(state_->inputs, inputs));
  NUTSHELL_ASSIGN(Executable * executable, executableFor(inputs));
  return executable->run(inputs);
}

Expected<std::unique_ptr<Model>> compileModel(const std::string& path, const CompileOptions& options) {
  auto start = Clock::now();
  if (!std::filesystem::exists(path)) return makeError(fmt::format("cannot open model '{}': no such file", path));
  std::unique_ptr<ir::Graph> graph;
  std::map<std::string, ir::TensorDataPtr> bound;
  for (const auto& [name, tensor] : options.bindings) bound[name] = common::tensorData(tensor);
  if (hasSuffix(path, ".onnx")) {
#ifdef NUTSHELL_HAVE_ONNX
    onnx::ImportOptions importOptions;
    importOptions.inputShapes = options.inputShapes;
    // At import, so that the importer's own folding sees the values.
    importOptions.constantInputs = bound;
    NUTSHELL_ASSIGN(graph, onnx::importOnnxFile(path, importOptions));
#else
    return makeError(fmt::format("'{}': this build has no ONNX importer", path));
#endif
  } else if (hasSuffix(path, ".nsir")) {
    NUTSHELL_ASSIGN(graph, ir::parseGraphFile(path));
    NUTSHELL_TRY(ir::bindInputValues(*graph, bound));
  } else {
    return makeError(fmt::format("'{}': unknown model format (expected .onnx or .nsir)", path));
  }
  double importMs = msSince(start);
  CompileOptions rest = options;
  rest.bindings.clear();  // bound above
  NUTSHELL_ASSIGN(auto model, compileModel(*graph, rest));
  model->timings_.importMs = importMs;
  return model;
}

Expected<std::unique_ptr<Model>> compileModel(const ir::Graph& source, const CompileOptions& options) {
  std::unique_ptr<ir::Graph> graph = source.clone();
  if (!options.bindings.empty()) {
    std::map<std::string, ir::TensorDataPtr> bound;
    for (const auto& [name, tensor] : options.bindings) bound[name] = common::tensorData(tensor);
    NUTSHELL_TRY(ir::bindInputValues(*graph, bound));
  }
  if (!options.inputShapes.empty()) {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const ir::Value* input : graph->inputs) {
      auto it = options.inputShapes.find(input->name);
      if (it != options.inputShapes.end()) {
        shapes[input->name] = it->second;
      } else if (input->type.isStatic()) {
        shapes[input->name] = input->type.shape();
      }
    }
    for (const auto& [name, shape] : options.inputShapes)
      if (!shapes.count(name)) return makeError(fmt::format("inputShapes names '{}', which is not a model input", name));
    bool allBound = shapes.size() == graph->inputs.size();
    if (allBound) NUTSHELL_TRY(ir::bindInputShapes(*graph, shapes));
  }

  // Backend names are checked now, not at the first run.
  NUTSHELL_TRY(createBackend(options.backend));
  std::unique_ptr<Model> model(new Model());
  model->backend_ = options.backend;
  model->state_->options = options;
  model->state_->inputs = common::inputSpecs(*graph);
  for (const ir::Value* v : graph->inputs) model->inputs_.push_back(infoOf(v));
  for (const ir::Value* v : graph->outputs) model->outputs_.push_back(infoOf(v));
  bool symbolic = false;
  for (const ir::Value* input : graph->inputs) symbolic = symbolic || !input->type.isStatic();
  if (symbolic) {
    // Optimized and compiled per input shape, on first use.
    model->state_->graph = std::move(graph);
    return model;
  }
  NUTSHELL_ASSIGN(auto executable, compileBound(std::move(graph), options, model->timings_));
  model->state_->variants.put("", std::move(executable));
  return model;
}

}  // namespace nutshell
