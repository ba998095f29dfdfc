// nutshell-run: load a model (.onnx or .nsir), run it on a backend, and either
// print / save its outputs or compare them with ONNX test data.
//
//   nutshell-run MODEL [--backend=NAME] [--input NAME=FILE] [--output NAME=FILE]
//                [--test-data DIR] [--input-shape NAME=2x3x32x32] [--bind NAME=FILE] [--rtol R] [--atol A]
//                [--bisect[=ORACLE] [-v]]
//
// Exit status: 0 success (and every output matched), 1 an output mismatched
// the test data (or --bisect found a value out of tolerance), 2 any error
// (message on stderr).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "backends/Backend.h"
#include "backends/BackendRegistry.h"
#include "backends/common/ExecutableShell.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"
#include "runtime/TensorIO.h"
#include "tools/Bisect.h"
#include "tools/ModelLoading.h"
#include "tools/Progress.h"
#include "tools/TensorCompare.h"

#ifdef NUTSHELL_HAVE_PASSES
#include "passes/PipelineOptions.h"
#endif

namespace fs = std::filesystem;
using namespace nutshell;

namespace {

constexpr int kExitMismatch = 1;
constexpr int kExitError = 2;

const char* kUsage =
    "usage: nutshell-run MODEL [options]\n"
    "  MODEL                     .onnx or .nsir\n"
    "  --backend=NAME            backend to run on (default: %s; built: %s)\n"
    "  --input NAME=FILE         input tensor from .npy or .pb (repeatable)\n"
    "  --output NAME=FILE        save an output as .npy or .pb (repeatable)\n"
    "  --test-data DIR           ONNX test data: input_K.pb feed the K-th input, outputs\n"
    "                            are compared with output_K.pb (exit 1 on mismatch)\n"
    "  --input-shape NAME=DxDx.. bind the symbolic dims of an input\n"
    "  --bind NAME=FILE          fix input NAME to the tensor in FILE (.npy or .pb) at compile\n"
    "                            time: it becomes a constant, so shape operands read from it\n"
    "                            (Slice starts, Pad pads, reduce axes ...) fold; with --test-data\n"
    "                            its input_K file is skipped\n"
    "  --random-inputs           fill inputs not given otherwise with random values\n"
    "  --rtol R, --atol A        comparison tolerance: |a-b| <= atol + rtol*|b|\n"
    "                            (defaults 1e-4, 1e-5)\n"
    "  --threads T               threads for the cpu backend (default: NUTSHELL_NUM_THREADS\n"
    "                            or all cores)\n"
    "  --bench N                 after a warm-up run, time N runs (N >= 1); prints median_ms,\n"
    "                            min_ms, max_ms and cpu_ms_per_run (process CPU time, all threads)\n"
    "  --target-cpu CPU          cpu backend: generate code for this LLVM CPU (default: host)\n"
    "  --gpu-arch ARCH           cuda backend: compile kernels for this GPU (default sm_90)\n"
    "  --device N                cuda backend: run on device N (default 0), or 'emulated': the\n"
    "                            kernels compiled for and run on this CPU (a testing aid)\n"
    "  --max-memory SIZE         largest allocation a model or file may ask for, e.g. 8G\n"
    "                            (default: NUTSHELL_MAX_MEMORY or the machine's memory)\n"
    "  --setting KEY=VALUE       a backend-specific setting (repeatable), e.g. target-cpu=znver4\n"
    "  --bisect[=ORACLE]         run the model as imported on ORACLE (default: reference) and\n"
    "                            the optimized one on the backend, compare every value both\n"
    "                            have and name the first that leaves the tolerance (exit 1)\n"
    "  -v                        with --bisect: a table of every compared value\n"
    "  --no-cache                compile afresh: neither read nor write the compile cache\n"
    "                            (NUTSHELL_CACHE_DIR, else $XDG_CACHE_HOME/nutshell or\n"
    "                            ~/.cache/nutshell; NUTSHELL_CACHE=off is the same as this flag)\n"
    "  -h, --help                print this help\n";

struct Options {
  std::string model;
  std::string backend;
  std::vector<std::pair<std::string, std::string>> inputs;   // NAME=FILE
  std::vector<std::pair<std::string, std::string>> outputs;  // NAME=FILE
  std::string testData;
  tools::InputShapes inputShapes;
  tools::InputValues bindings;  // --bind NAME=FILE
  bool randomInputs = false;
  tools::Tolerance tolerance;
  int threads = 0;
  int bench = 0;
  std::string targetCpu;
  bool timePhases = false;
  bool cache = true;                                          // --no-cache
  std::vector<std::pair<std::string, std::string>> settings;  // --setting KEY=VALUE
  std::string bisectOracle;                                   // --bisect[=NAME]; empty: off
  bool verbose = false;
#ifdef NUTSHELL_HAVE_PASSES
  passes::PipelineOptions pipeline;  // --passes, -O0/-O2, --time-passes, ... (default -O2)
#endif
};

std::string joinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

/// The full --help text: this tool's options, then the pipeline flags.
void printUsage(FILE* to) {
  std::fprintf(to, kUsage, defaultBackendName().c_str(), joinNames(backendNames()).c_str());
#ifdef NUTSHELL_HAVE_PASSES
  std::fputs(passes::pipelineFlagsHelp().c_str(), to);
#endif
}

Expected<double> parseNumber(const std::string& flag, const std::string& text) {
  char* rest = nullptr;
  double value = std::strtod(text.c_str(), &rest);
  if (text.empty() || *rest != '\0' || !(value >= 0)) return makeError(flag + " expects a non-negative number, got '" + text + "'");
  return value;
}

/// Returns nullopt after --help.
Expected<std::optional<Options>> parseArguments(int argc, char** argv) {
  Options options;
  options.backend = defaultBackendName();
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    // Both --flag=value and --flag value.
    const tools::FlagArgument split = tools::splitFlag(arg);
    const std::string& flag = split.flag;
    auto takeValue = [&]() -> Expected<std::string> {
      if (split.hasValue) return split.value;
      if (i + 1 >= args.size()) return makeError(flag + " needs a value");
      return args[++i];
    };
    if (arg == "--time-passes") options.timePhases = true;
#ifdef NUTSHELL_HAVE_PASSES
    NUTSHELL_ASSIGN(bool pipelineFlag, passes::consumePipelineFlag(arg, options.pipeline));
    if (pipelineFlag) continue;
#endif
    if (tools::isHelpFlag(flag)) {
      printUsage(stdout);
      return std::optional<Options>();
    } else if (flag == "--backend") {
      NUTSHELL_ASSIGN(options.backend, takeValue());
    } else if (flag == "--input" || flag == "--output") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_ASSIGN(auto assignment, tools::splitAssignment(flag, text));
      (flag == "--input" ? options.inputs : options.outputs).push_back(assignment);
    } else if (flag == "--test-data") {
      NUTSHELL_ASSIGN(options.testData, takeValue());
    } else if (flag == "--input-shape") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_TRY(tools::addInputShape(flag, text, options.inputShapes));
    } else if (flag == "--bind") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_TRY(tools::addBinding(flag, text, options.bindings));
    } else if (flag == "--random-inputs") {
      options.randomInputs = true;
    } else if (flag == "--rtol" || flag == "--atol") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_ASSIGN(double number, parseNumber(flag, text));
      (flag == "--rtol" ? options.tolerance.rtol : options.tolerance.atol) = number;
    } else if (flag == "--threads" || flag == "--bench") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      char* rest = nullptr;
      long number = std::strtol(text.c_str(), &rest, 10);
      if (text.empty() || *rest != '\0' || number < 1 || number > 100000)
        return makeError(flag + " expects a count from 1 to 100000, got '" + text + "'" +
                         (flag == "--bench" ? " (the number of timed runs)" : ""));
      (flag == "--threads" ? options.threads : options.bench) = static_cast<int>(number);
    } else if (flag == "--max-memory") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_TRY(setMemoryLimitFromFlag(flag, text));
    } else if (flag == "--target-cpu") {
      NUTSHELL_ASSIGN(options.targetCpu, takeValue());
    } else if (flag == "--gpu-arch" || flag == "--device") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      options.settings.push_back({flag.substr(2), text});
    } else if (flag == "--setting") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_ASSIGN(auto assignment, tools::splitAssignment(flag, text));
      options.settings.push_back(assignment);
    } else if (flag == "--bisect") {
      options.bisectOracle = split.hasValue ? split.value : "reference";
    } else if (arg == "-v") {
      options.verbose = true;
    } else if (arg == "--no-cache") {
      options.cache = false;
    } else if (arg == "--time-passes") {
      // Without the pass library: phases only.
    } else if (arg.rfind("-", 0) == 0) {
      return makeError("unknown option '" + arg + "' (see --help)");
    } else if (options.model.empty()) {
      options.model = arg;
    } else {
      return makeError("more than one model given: '" + options.model + "' and '" + arg + "'");
    }
  }
  if (options.model.empty()) return makeError("no model given (see --help)");
  return std::optional<Options>(std::move(options));
}

// ---- inputs -----------------------------------------------------------------------

bool isStatic(const ir::TensorType& type) { return type.isStatic(); }

using common::elementTypeOf;

/// Does `tensor` fit the declared type of a graph input or output (dtype,
/// rank, static dims)? `role` is "input" or "output"; `storedType` is the
/// element type of the file the tensor came from.
Status checkTensorFits(const char* role, const ir::Value& input, const Tensor& tensor,
                       const std::string& source, const std::string& storedType) {
  // Inputs convert within their family (see convertInput); outputs do not.
  const ElementType declared = elementTypeOf(input.type.dtype);
  bool sameFamily = isFloatElement(declared) == isFloatElement(tensor.type()) &&
                    (declared == ElementType::Bool) == (tensor.type() == ElementType::Bool);
  bool typeFits = declared == tensor.type() || (role[0] == 'i' && sameFamily);
  bool fits = typeFits && input.type.rank() == tensor.rank();
  for (size_t i = 0; fits && i < tensor.rank(); ++i)
    if (input.type.dims[i].isStatic() && input.type.dims[i].size != tensor.shape()[i]) fits = false;
  if (fits) return Status::success();
  return makeError(std::string(role) + " '" + input.name + "': " + source + " holds " +
                   storedTypeString(tensor, storedType) + " but the model " +
                   (role[0] == 'o' ? "computes " : "expects ") + input.type.str());
}

/// An input tensor in the declared type: floats convert to the other float
/// width (f64 <-> f32, rounding), integers to another integer type when
/// every value fits (else an error); bool only feeds bool.
Expected<Tensor> convertInput(const ir::Value& input, Tensor tensor, const std::string& source) {
  const ElementType declared = elementTypeOf(input.type.dtype);
  if (tensor.type() == declared) return tensor;
  Tensor converted = tensor.convertedTo(declared);
  if (!isFloatElement(declared))
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      if (converted.intAt(i) != tensor.intAt(i))
        return makeError("input '" + input.name + "': " + source + " holds " +
                         std::to_string(tensor.intAt(i)) + ", which does not fit the model's " +
                         input.type.str());
  return converted;
}

/// Test-data files `PREFIX_0.pb`, `PREFIX_1.pb`, ... in order.
std::vector<std::string> numberedFiles(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (int k = 0;; ++k) {
    std::string path = (fs::path(dir) / (prefix + "_" + std::to_string(k) + ".pb")).string();
    if (!fs::exists(path)) break;
    files.push_back(path);
  }
  return files;
}

struct Feed {
  Tensor tensor;
  std::string source;      // file name, for messages
  std::string storedType;  // the file's element type, for messages
};

/// Collect input tensors by graph input name from --input and --test-data.
Expected<std::map<std::string, Feed>> readInputs(const Options& options, const ir::Graph& graph) {
  std::map<std::string, Feed> feeds;
  std::vector<std::string> names;
  for (const ir::Value* input : graph.inputs) names.push_back(input->name);
  // Test data numbers the inputs as the file declares them, bound ones too.
  std::vector<std::string> declared = names;
  if (!options.bindings.empty() && !options.testData.empty()) {
    NUTSHELL_ASSIGN(declared, tools::declaredInputNames(options.model));
  }

  if (!options.testData.empty()) {
    if (!fs::is_directory(options.testData))
      return makeError("--test-data '" + options.testData + "' is not a directory");
    std::vector<std::string> files = numberedFiles(options.testData, "input");
    if (files.size() > declared.size())
      return makeError("--test-data '" + options.testData + "' has " + std::to_string(files.size()) +
                       " input files but the model has " + std::to_string(declared.size()) + " inputs");
    // ONNX layout: input_K is the K-th graph input, whatever name it carries;
    // an input fixed by --bind takes the bound value instead.
    for (size_t k = 0; k < files.size(); ++k) {
      if (options.bindings.count(declared[k])) continue;
      NUTSHELL_ASSIGN(NamedTensor named, readTensorFile(files[k]));
      feeds[declared[k]] = Feed{std::move(named.tensor), files[k], named.storedType};
    }
  }
  for (const auto& [name, file] : options.inputs) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      return makeError("--input names '" + name + "', which is not a model input (inputs: " + joinNames(names) + ")");
    NUTSHELL_ASSIGN(NamedTensor named, readTensorFile(file));
    feeds[name] = Feed{std::move(named.tensor), file, named.storedType};
  }
  return feeds;
}

Expected<Tensor> randomTensor(const std::string& name, const ir::TensorType& type, std::mt19937& rng) {
  NUTSHELL_ASSIGN(Tensor t,
                  Tensor::allocate(elementTypeOf(type.dtype), type.shape(), "random input '" + name + "'"));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  if (t.type() == ElementType::F32)
    for (int64_t i = 0; i < t.numElements(); ++i) t.f32()[i] = dist(rng);
  return t;  // i64 inputs (indices, shapes) stay zero: always in range
}

// ---- output ---------------------------------------------------------------------

void printTensorPreview(const std::string& name, const Tensor& tensor) {
  const int64_t shown = std::min<int64_t>(tensor.numElements(), 8);
  std::string values;
  for (int64_t i = 0; i < shown; ++i) {
    if (i) values += ", ";
    values += isFloatElement(tensor.type()) ? tools::formatDouble(tensor.valueAt(i))
                                            : std::to_string(tensor.intAt(i));
  }
  if (shown < tensor.numElements()) values += ", ...";
  std::printf("output '%s': %s = [%s]\n", name.c_str(), tensor.typeString().c_str(), values.c_str());
}

/// The whole run; returns the exit status or an error (exit 2).
Expected<int> run(const Options& options) {
  // Import once to learn the inputs; when data binds symbolic dims, import
  // again with those shapes so that shape-dependent ops fold at import.
  using Clock = std::chrono::steady_clock;
  auto msSince = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  auto importStart = Clock::now();
  NUTSHELL_ASSIGN(std::unique_ptr<ir::Graph> graph,
                  tools::loadModel(options.model, options.inputShapes, options.bindings));
  NUTSHELL_ASSIGN(auto feeds, readInputs(options, *graph));

  tools::InputShapes shapes = options.inputShapes;
  bool rebind = false;
  for (const ir::Value* input : graph->inputs) {
    auto feed = feeds.find(input->name);
    if (feed == feeds.end()) continue;
    NUTSHELL_TRY(checkTensorFits("input", *input, feed->second.tensor, "'" + feed->second.source + "'",
                                 feed->second.storedType));
    if (!isStatic(input->type)) {
      shapes[input->name] = feed->second.tensor.shape();
      rebind = true;
    }
  }
  if (rebind) {
    auto rebound = tools::loadModel(options.model, shapes, options.bindings);
    if (!rebound) return makeError("binding input shapes from the data: " + rebound.message());
    graph = rebound.take();
  }

  TensorMap inputs;
  std::mt19937 rng(42);
  for (const ir::Value* input : graph->inputs) {
    auto feed = feeds.find(input->name);
    if (feed != feeds.end()) {
      NUTSHELL_ASSIGN(inputs[input->name],
                      convertInput(*input, std::move(feed->second.tensor), "'" + feed->second.source + "'"));
    } else if (options.randomInputs && isStatic(input->type)) {
      NUTSHELL_ASSIGN(inputs[input->name], randomTensor(input->name, input->type, rng));
    } else if (options.randomInputs) {
      return makeError("input '" + input->name + "' has symbolic type " + input->type.str() +
                       "; bind it with --input-shape " + input->name + "=DxDx...");
    } else {
      return makeError("no data for input '" + input->name + "' " + input->type.str() +
                       " (give --input " + input->name + "=FILE, --test-data DIR or --random-inputs)");
    }
  }

  double importMs = msSince(importStart);

  // The backend, by name; what it is and how it compiles stays behind the seam.
  NUTSHELL_ASSIGN(std::unique_ptr<Backend> backend, createBackend(options.backend));
  BackendOptions backendOptions;
  backendOptions.threads = options.threads;
  backendOptions.cache = options.cache;
  if (!options.targetCpu.empty()) backendOptions.settings["target-cpu"] = options.targetCpu;
  for (const auto& [key, value] : options.settings) backendOptions.settings[key] = value;
  // --bisect compares against the model as imported, before any pass.
  std::unique_ptr<ir::Graph> imported = options.bisectOracle.empty() ? nullptr : graph->clone();

  // The optimization pipeline (-O2 unless --passes / -O0 say otherwise),
  // priced for the machine the backend describes.
  auto passesStart = Clock::now();
#ifdef NUTSHELL_HAVE_PASSES
  passes::PipelineOptions pipeline = options.pipeline;
  NUTSHELL_ASSIGN(pipeline.target, backend->targetDescription(backendOptions));
  NUTSHELL_TRY(tools::runPipelineToStderr(*graph, pipeline));
#endif
  double passesMs = msSince(passesStart);
  if (imported) {
    tools::BisectRequest request;
    request.imported = imported.get();
    request.optimized = graph.get();
    request.inputs = &inputs;
    request.backend = backend.get();
    request.backendOptions = backendOptions;
    request.oracle = options.bisectOracle;
    request.tolerance = options.tolerance;
    NUTSHELL_ASSIGN(tools::BisectReport report, tools::bisect(request));
    std::fputs(tools::formatBisectReport(report, options.tolerance, options.verbose).c_str(), stdout);
    return report.firstMismatch < 0 ? 0 : kExitMismatch;
  }
  auto compileStart = Clock::now();
  // On a terminal, a compile that takes more than a second says what it is doing.
  tools::TerminalProgress progress("nutshell-run", true);
  backendOptions.progress = progress.callback();
  Expected<CompileResult> compiling = backend->compile(*graph, backendOptions);
  progress.finish();
  NUTSHELL_ASSIGN(CompileResult compiled, std::move(compiling));
  std::unique_ptr<Executable> executable = std::move(compiled.executable);
  double compileMs = msSince(compileStart);
  for (const std::string& warning : compiled.warnings)
    std::fprintf(stderr, "nutshell-run: warning: %s\n", warning.c_str());
  if (options.timePhases) {
    std::fprintf(stderr, "compile phases (ms):\n  import   %9.2f\n  passes   %9.2f\n", importMs, passesMs);
    for (const PhaseTiming& phase : compiled.phases)
      std::fprintf(stderr, "  %-8s %9.2f\n", phase.name.c_str(), phase.ms);
    if (compiled.phases.empty()) std::fprintf(stderr, "  compile  %9.2f\n", compileMs);
    std::fprintf(stderr, "compile cache: %s\n", compiled.cache.c_str());
  }
  auto firstRun = Clock::now();
  NUTSHELL_ASSIGN(TensorMap outputs, executable->run(inputs));
  double firstRunMs = msSince(firstRun);
  if (options.timePhases) std::fprintf(stderr, "  first run %8.2f\n", firstRunMs);

  if (options.bench > 0) {
    // The run above was the warm-up.
    std::vector<double> times;
    // Process CPU time as well: on a shared machine wall time also measures
    // the other load, CPU time per run does not (all threads summed).
    std::clock_t cpuStart = std::clock();
    for (int i = 0; i < options.bench; ++i) {
      auto start = Clock::now();
      NUTSHELL_ASSIGN(TensorMap ignored, executable->run(inputs));
      times.push_back(msSince(start));
    }
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    double median = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    double cpuMs = 1000.0 * double(std::clock() - cpuStart) / CLOCKS_PER_SEC / options.bench;
    std::printf("median_ms: %.4f\nmin_ms: %.4f\nmax_ms: %.4f\ncpu_ms_per_run: %.4f\nruns: %d\n", median,
                times.front(), times.back(), cpuMs, options.bench);
  }

  std::vector<std::string> outputNames;
  for (const ir::Value* output : graph->outputs) {
    if (!outputs.count(output->name))
      return makeError("backend '" + options.backend + "' returned no value for output '" + output->name + "'");
    outputNames.push_back(output->name);
  }

  for (const auto& [name, file] : options.outputs) {
    auto it = outputs.find(name);
    if (it == outputs.end())
      return makeError("--output names '" + name + "', which is not a model output (outputs: " +
                       joinNames(outputNames) + ")");
    NUTSHELL_TRY(writeTensorFile(it->second, file, name));
  }

  if (options.testData.empty()) {
    if (options.outputs.empty())
      for (const std::string& name : outputNames) printTensorPreview(name, outputs.at(name));
    return 0;
  }

  std::vector<std::string> expectedFiles = numberedFiles(options.testData, "output");
  if (expectedFiles.size() != outputNames.size())
    return makeError("--test-data '" + options.testData + "' has " + std::to_string(expectedFiles.size()) +
                     " output files but the model has " + std::to_string(outputNames.size()) + " outputs");
  bool allMatch = true;
  for (size_t k = 0; k < outputNames.size(); ++k) {
    NUTSHELL_ASSIGN(NamedTensor expected, readTensorFile(expectedFiles[k]));
    // Test data that cannot be this model's output is bad input (exit 2);
    // only a computed value that differs from fitting data is a mismatch.
    NUTSHELL_TRY(checkTensorFits("output", *graph->outputs[k], expected.tensor, "'" + expectedFiles[k] + "'",
                                 expected.storedType));
    tools::CompareResult cmp = tools::compareTensors(outputs.at(outputNames[k]), expected.tensor, options.tolerance);
    std::printf("output '%s': max_abs_err=%s max_rel_err=%s %s\n", outputNames[k].c_str(),
                tools::formatDouble(cmp.maxAbsError).c_str(), tools::formatDouble(cmp.maxRelError).c_str(),
                cmp.match ? "OK" : "MISMATCH");
    if (!cmp.match) std::printf("  %s\n", cmp.detail.c_str());
    allMatch &= cmp.match;
  }
  return allMatch ? 0 : kExitMismatch;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parseArguments(argc, argv);
  if (!options) {
    std::fprintf(stderr, "nutshell-run: error: %s\n", options.message().c_str());
    return kExitError;
  }
  if (!*options) return 0;  // --help
  auto status = run(**options);
  if (!status) {
    std::fprintf(stderr, "nutshell-run: error: %s\n", status.message().c_str());
    return kExitError;
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "nutshell-run: error: writing the results to standard output failed: %s\n",
                 std::strerror(errno));
    return kExitError;
  }
  return *status;
}
