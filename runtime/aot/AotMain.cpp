// main() of every executable nutshell-compile --emit=exe produces. The model
// (kernels, weights, names and shapes) is the linked object's
// `nutshell_aot_model` descriptor (AotModel.h); this file only does the
// command line, tensor files (.npy via runtime/TensorIO), checks, timing and
// printing. It links the runtime alone: no LLVM, protobuf or ONNX.
//
//   MODEL --input NAME=FILE.npy ... [--output NAME=FILE.npy ...] [--print]
//         [--labels FILE.npy] [--bench N] [--threads T] [--help]
//
// An input file may hold a batch: k times the compiled leading dim. The
// model then runs k times, one slice each, and the outputs are stacked.
//
// Exit status: 0 success, 2 any error (message on stderr).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nutshell/Expected.h"
#include "nutshell/MemoryLimit.h"
#include "nutshell/Tensor.h"
#include "runtime/TensorIO.h"
#include "runtime/ThreadPool.h"
#include "runtime/aot/AotInputs.h"
#include "runtime/aot/AotModel.h"

using namespace nutshell;
using nutshell::aot::findTensor;
using nutshell::aot::namesOf;
using nutshell::aot::shapeText;

namespace {

constexpr int kExitError = 2;
const NutshellAotModel& model = nutshell_aot_model;

const char* kUsage =
    "usage: %s --input NAME=FILE [--input ...] [options]\n"
    "  --input NAME=FILE    input tensor from a .npy (or ONNX .pb) file; every input is required.\n"
    "                       A file may hold k times the compiled first dim: the model runs k times,\n"
    "                       one slice each, and the outputs are stacked along the first axis\n"
    "  --output NAME=FILE   save an output as .npy (or .pb)\n"
    "  --print              print the output values and, for [N,C] outputs, the top class of each row\n"
    "                       (the default when no --output is given)\n"
    "  --labels FILE        true classes (int64 .npy, one per row of the first output): print them\n"
    "                       beside the top classes, and the accuracy (the values only with --print)\n"
    "  --bench N            after one warm-up pass, time N passes over the inputs and print\n"
    "                       median_ms, min_ms, max_ms (and ms_per_run for a batch)\n"
    "  --threads T          threads for the parallel kernels (default: NUTSHELL_NUM_THREADS or all cores)\n"
    "  --max-memory SIZE    largest allocation an input file may ask for, e.g. 8G (default:\n"
    "                       NUTSHELL_MAX_MEMORY or the machine's memory)\n"
    "  --help               this text and the model's signature\n"
    "exit status: 0 success, 2 error\n";

struct Options {
  std::vector<std::pair<std::string, std::string>> inputs;   // NAME=FILE
  std::vector<std::pair<std::string, std::string>> outputs;  // NAME=FILE
  std::string labels;
  bool print = false;
  int bench = 0;
  int threads = 0;
  bool help = false;
};

Expected<long> parseCount(const std::string& flag, const std::string& text, long minimum) {
  char* rest = nullptr;
  long value = std::strtol(text.c_str(), &rest, 10);
  if (text.empty() || *rest != '\0' || value < minimum || value > 1000000)
    return makeError(flag + " expects a whole number >= " + std::to_string(minimum) + ", got '" + text + "'");
  return value;
}

Expected<Options> parseArguments(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string flag = arg, value;
    bool hasValue = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      flag = arg.substr(0, arg.find('='));
      value = arg.substr(arg.find('=') + 1);
      hasValue = true;
    }
    auto takeValue = [&]() -> Expected<std::string> {
      if (hasValue) return value;
      if (i + 1 >= args.size()) return makeError(flag + " needs a value");
      return args[++i];
    };
    if (flag == "--help" || flag == "-h") {
      options.help = true;
    } else if (flag == "--print") {
      options.print = true;
    } else if (flag == "--input" || flag == "--output") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      size_t eq = text.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        return makeError(flag + " expects NAME=FILE, got '" + text + "'");
      (flag == "--input" ? options.inputs : options.outputs).emplace_back(text.substr(0, eq), text.substr(eq + 1));
    } else if (flag == "--labels") {
      NUTSHELL_ASSIGN(options.labels, takeValue());
    } else if (flag == "--bench") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_ASSIGN(long count, parseCount(flag, text, 0));
      options.bench = static_cast<int>(count);
    } else if (flag == "--max-memory") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_TRY(setMemoryLimitFromFlag(flag, text));
    } else if (flag == "--threads") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_ASSIGN(long count, parseCount(flag, text, 1));
      options.threads = static_cast<int>(std::min(count, 1024L));
    } else {
      return makeError("unknown argument '" + arg + "' (see --help)");
    }
  }
  return options;
}

/// The executable was compiled for one CPU: refuse to start on a CPU without
/// its vector extensions rather than die of an illegal instruction.
Status checkCpu() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const char* target = model.target ? model.target : "";
  struct Feature {
    const char* marker;  // in the target description
    const char* name;    // for __builtin_cpu_supports
    bool present;
  };
  __builtin_cpu_init();
  const Feature features[] = {{"AVX-512", "avx512f", __builtin_cpu_supports("avx512f") != 0},
                              {"AVX2", "avx2", __builtin_cpu_supports("avx2") != 0},
                              {"FMA", "fma", __builtin_cpu_supports("fma") != 0}};
  for (const Feature& f : features)
    if (std::strstr(target, f.marker) && !f.present)
      return makeError(std::string("this executable was compiled for ") + target + " but this CPU lacks " + f.name +
                       "; compile the model again with --target-cpu for this machine (e.g. --target-cpu=x86-64-v2)");
#endif
  return Status::success();
}

ElementType elementTypeOf(const NutshellAotTensor& t) {
  return t.dtype == NUTSHELL_AOT_F32 ? ElementType::F32 : ElementType::I64;
}

std::vector<int64_t> shapeOf(const NutshellAotTensor& t) { return std::vector<int64_t>(t.shape, t.shape + t.rank); }

std::string formatValue(const Tensor& t, int64_t i) {
  char buffer[32];
  if (t.type() == ElementType::F32)
    std::snprintf(buffer, sizeof buffer, "%.6g", t.f32()[i]);
  else
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(t.i64()[i]));
  return buffer;
}

/// The row's top class, the predicted one.
int64_t argMax(const float* row, int64_t classes) {
  return std::max_element(row, row + classes) - row;
}

/// `values`: also the first elements themselves (--print), not only the
/// top classes.
void printOutput(const std::string& name, const Tensor& t, const Tensor* labels, bool values) {
  constexpr int64_t kShown = 64;
  std::string text;
  int64_t shown = std::min(t.numElements(), kShown);
  for (int64_t i = 0; i < shown; ++i) {
    if (i) text += ", ";
    text += formatValue(t, i);
  }
  if (shown < t.numElements()) text += ", ... (" + std::to_string(t.numElements() - shown) + " more)";
  std::printf("output '%s' %s:\n", name.c_str(), t.typeString().c_str());
  if (values) std::printf("  [%s]\n", text.c_str());
  // Scores [C] or [N,C]: the arg-max of each row is the predicted class.
  if (t.type() != ElementType::F32 || (t.rank() != 1 && t.rank() != 2) || t.numElements() == 0) return;
  int64_t classes = t.shape().back();
  int64_t rows = t.numElements() / classes;
  for (int64_t r = 0; r < rows && r < 16; ++r) {
    const float* row = t.f32() + r * classes;
    int64_t best = argMax(row, classes);
    std::string label = labels ? ", label " + std::to_string(labels->i64()[r]) : "";
    if (rows == 1)
      std::printf("  top class: %lld (score %.6g)%s\n", static_cast<long long>(best), row[best],
                  label.c_str());
    else
      std::printf("  row %lld: top class %lld (score %.6g)%s\n", static_cast<long long>(r),
                  static_cast<long long>(best), row[best], label.c_str());
  }
  if (rows > 16) std::printf("  ... (%lld more rows)\n", static_cast<long long>(rows - 16));
  if (!labels) return;
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) correct += argMax(t.f32() + r * classes, classes) == labels->i64()[r];
  std::printf("accuracy: %.2f%% (%lld of %lld rows)\n", 100.0 * double(correct) / double(rows),
              static_cast<long long>(correct), static_cast<long long>(rows));
}

/// --labels: one int64 class per row of the first output, each a valid class.
Expected<Tensor> readLabels(const std::string& file, const Tensor& scores) {
  NUTSHELL_ASSIGN(NamedTensor named, readTensorFile(file));
  Tensor& labels = named.tensor;
  if (scores.type() != ElementType::F32 || scores.rank() != 2)
    return makeError("--labels needs a first output of scores [N,C], but it is " + scores.typeString());
  int64_t rows = scores.shape()[0], classes = scores.shape()[1];
  if (labels.type() != ElementType::I64 || labels.rank() != 1 || labels.shape()[0] != rows)
    return makeError("--labels: '" + file + "' holds " + storedTypeString(labels, named.storedType) +
                     " but the output has " + std::to_string(rows) + " rows: give i64[" +
                     std::to_string(rows) + "]");
  for (int64_t r = 0; r < rows; ++r)
    if (labels.i64()[r] < 0 || labels.i64()[r] >= classes)
      return makeError("--labels: row " + std::to_string(r) + " holds class " +
                       std::to_string(labels.i64()[r]) + ", outside 0.." + std::to_string(classes - 1));
  return std::move(labels);
}

/// The shape of `t` with `runs` times its leading dim (a batch of runs).
std::vector<int64_t> stackedShape(const NutshellAotTensor& t, int64_t runs) {
  std::vector<int64_t> shape = shapeOf(t);
  if (!shape.empty()) shape[0] *= runs;
  return shape;
}

int64_t bytesPerRun(const NutshellAotTensor& t) {
  int64_t n = t.dtype == NUTSHELL_AOT_F32 ? 4 : 8;
  for (int32_t d = 0; d < t.rank; ++d) n *= t.shape[d];
  return n;
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

Expected<int> run(const Options& options, const char* program) {
  if (options.help) {
    std::printf(kUsage, program);
    std::printf("model '%s': %s\ncompiled for: %s\n", model.name, model.signature, model.target);
    return 0;
  }
  NUTSHELL_TRY(checkCpu());
  if (options.inputs.empty() && model.num_inputs > 0)
    return makeError("no inputs given; the model's inputs: " + namesOf(model.inputs, model.num_inputs) +
                     " (see --help)");
  NUTSHELL_ASSIGN(aot::AotInputs given, aot::readInputs(model, options.inputs));
  std::vector<Tensor>& inputs = given.tensors;
  const int64_t runs = given.runs;
  for (int32_t j = 0; j < model.num_outputs && runs > 1; ++j)
    if (model.outputs[j].rank == 0)
      return makeError(std::string("the inputs hold a batch of ") + std::to_string(runs) +
                       " runs, but output '" + model.outputs[j].name +
                       "' is a scalar and cannot be stacked; give one run's inputs");
  for (const auto& [name, file] : options.outputs)
    if (findTensor(model.outputs, model.num_outputs, name) < 0)
      return makeError("--output names '" + name + "', which is not an output of the model (outputs: " +
                       namesOf(model.outputs, model.num_outputs) + ")");

  std::vector<Tensor> outputs;
  for (int32_t j = 0; j < model.num_outputs; ++j) {
    NUTSHELL_ASSIGN(Tensor t,
                    Tensor::allocate(elementTypeOf(model.outputs[j]), stackedShape(model.outputs[j], runs),
                                     std::string("output '") + model.outputs[j].name + "'"));
    outputs.push_back(std::move(t));
  }
  size_t workspaceBytes = static_cast<size_t>(std::max<int64_t>(model.workspace_bytes, 64) + 63) / 64 * 64;
  NUTSHELL_TRY(checkAllocation(workspaceBytes, "the model's workspace (intermediate values)"));
  std::unique_ptr<void, FreeDeleter> workspace(std::aligned_alloc(64, workspaceBytes));
  if (!workspace) return makeError("cannot allocate the " + std::to_string(workspaceBytes) + "-byte workspace");

  if (options.threads > 0) setNumThreads(options.threads);
  // Run r reads and writes the r-th slice of each stacked tensor.
  std::vector<void*> inputPointers(inputs.size()), outputPointers(outputs.size());
  auto runAll = [&]() -> Status {
    for (int64_t r = 0; r < runs; ++r) {
      for (size_t i = 0; i < inputs.size(); ++i)
        inputPointers[i] = static_cast<char*>(inputs[i].data()) + r * bytesPerRun(model.inputs[i]);
      for (size_t j = 0; j < outputs.size(); ++j)
        outputPointers[j] = static_cast<char*>(outputs[j].data()) + r * bytesPerRun(model.outputs[j]);
      int32_t status = model.run(inputPointers.data(), outputPointers.data(), workspace.get());
      if (status != NUTSHELL_AOT_OK)
        return makeError("the model refused its arguments (status " + std::to_string(status) + ")");
    }
    return Status::success();
  };
  using Clock = std::chrono::steady_clock;
  NUTSHELL_TRY(runAll());  // also the warm-up
  if (options.bench > 0) {
    std::vector<double> times;
    for (int i = 0; i < options.bench; ++i) {
      auto start = Clock::now();
      NUTSHELL_TRY(runAll());
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    size_t n = times.size();
    double median = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    std::printf("median_ms: %.4f\nmin_ms: %.4f\nmax_ms: %.4f\nruns: %d\nthreads: %d\n", median, times.front(),
                times.back(), options.bench, numThreads());
    if (runs > 1)
      std::printf("batch: %lld runs per pass\nms_per_run: %.4f\n", static_cast<long long>(runs),
                  median / double(runs));
  }

  for (const auto& [name, file] : options.outputs)
    NUTSHELL_TRY(writeTensorFile(outputs[findTensor(model.outputs, model.num_outputs, name)], file, name));
  std::optional<Tensor> labels;
  if (!options.labels.empty()) {
    if (outputs.empty()) return makeError("--labels: the model has no outputs");
    NUTSHELL_ASSIGN(Tensor read, readLabels(options.labels, outputs[0]));
    labels = std::move(read);
  }
  // With --labels the top classes are the point; the values only with --print.
  bool values = options.print || (options.outputs.empty() && !labels);
  if (options.print || options.outputs.empty() || labels)
    for (int32_t j = 0; j < model.num_outputs; ++j)
      printOutput(model.outputs[j].name, outputs[j], j == 0 && labels ? &*labels : nullptr, values);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* program = argc > 0 ? argv[0] : "model";
  if (model.abi_version != NUTSHELL_AOT_ABI_VERSION) {
    std::fprintf(stderr, "%s: error: the model object has descriptor version %d, this runtime expects %d\n", program,
                 model.abi_version, NUTSHELL_AOT_ABI_VERSION);
    return kExitError;
  }
  auto options = parseArguments(argc, argv);
  if (!options) {
    std::fprintf(stderr, "%s: error: %s\n", program, options.message().c_str());
    return kExitError;
  }
  auto status = run(*options, program);
  if (!status) {
    std::fprintf(stderr, "%s: error: %s\n", program, status.message().c_str());
    return kExitError;
  }
  // Printed results that did not reach their file (a full disk, a closed
  // pipe) are a failure, not a success.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "%s: error: writing the results to standard output failed: %s\n", program,
                 std::strerror(errno));
    return kExitError;
  }
  return *status;
}
