// nutshell-compile: compile a model (.onnx or .nsir) ahead of time into a
// standalone executable (weights embedded), an object file or static library
// with a C header, or LLVM IR / assembly for inspection. See docs/aot.md.
//
//   nutshell-compile MODEL -o OUT [--emit=exe|obj|lib|llvm-ir|asm]
//                    [--input-shape NAME=1x3x32x32] [--bind NAME=FILE] [--target-cpu CPU] [--name PREFIX]
//                    [--header FILE] [-v] [pass-pipeline flags, -O2 default]
//
// Exit status: 0 success, 2 any error (message on stderr).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "aot/AotCompiler.h"
#include "backends/BackendRegistry.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"
#include "tools/ModelLoading.h"
#include "tools/Progress.h"

#ifdef NUTSHELL_HAVE_PASSES
#include "passes/PipelineOptions.h"
#endif

using namespace nutshell;

namespace {

constexpr int kExitError = 2;

const char* kUsage =
    "usage: nutshell-compile MODEL -o OUT [options]\n"
    "  MODEL                     .onnx or .nsir\n"
    "  -o OUT                    the file to write ('-': stdout, for llvm-ir and asm)\n"
    "  --emit=KIND               exe (default): standalone executable, weights embedded\n"
    "                            obj: object file + C header (model.o -> model.h)\n"
    "                            lib: static library (model + runtime) + C header\n"
    "                            (libmodel.a -> model.h)\n"
    "                            llvm-ir: optimized LLVM IR; asm: assembly\n"
    "                            cuda: the cuda backend's CUDA C source (one .cu per model)\n"
    "  --backend NAME            the backend that emits the code: cpu (default), or cuda\n"
    "                            for --emit=cuda\n"
    "  --input-shape NAME=DxDx.. bind the symbolic dims of an input (required for each\n"
    "                            input with symbolic dims, e.g. x=1x3x32x32)\n"
    "  --bind NAME=FILE          fix input NAME to the tensor in FILE (.npy or .pb): it is\n"
    "                            compiled in as a constant and is no longer an input\n"
    "  --target-cpu CPU          generate code for this LLVM CPU (default: this machine's,\n"
    "                            e.g. znver4; x86-64-v3 for any AVX2 machine)\n"
    "  --max-memory SIZE         largest allocation a model may ask for, e.g. 8G\n"
    "                            (default: NUTSHELL_MAX_MEMORY or the machine's memory)\n"
    "  --name PREFIX             symbol prefix of the entry points (default: from OUT's name)\n"
    "  --header FILE             where obj/lib write the C header (default: OUT's name\n"
    "                            with extension .h, libmodel.a -> model.h)\n"
    "  -v, --verbose             print the target, kernels, runtime libraries, link command\n"
    "  -q, --quiet               print nothing but errors and warnings (default: one line\n"
    "                            saying what was written)\n"
    "  --no-cache                compile afresh: neither read nor write the compile cache\n"
    "                            (NUTSHELL_CACHE_DIR, else $XDG_CACHE_HOME/nutshell or\n"
    "                            ~/.cache/nutshell; NUTSHELL_CACHE=off is the same)\n"
    "  -h, --help                print this help\n"
    "environment: CC, CXX (compiler driver used to link executables, default cc / c++),\n"
    "             NUTSHELL_AOT_LIB_DIR (where the runtime archives are, see docs/aot.md)\n";

struct Options {
  std::string model;
  aot::AotOptions aot;
  std::string emitName = "exe";
  /// --emit=cuda: the cuda backend's source instead of an AOT artifact.
  bool emitCuda = false;
  tools::InputShapes inputShapes;
  tools::InputValues bindings;  // --bind NAME=FILE
  bool timePhases = false;
  bool quiet = false;
#ifdef NUTSHELL_HAVE_PASSES
  passes::PipelineOptions pipeline;  // --passes, -O0/-O2, --conv-algo, dumps (default -O2)
#endif
};

/// Returns nullopt after --help.
Expected<std::optional<Options>> parseArguments(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
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
      tools::printHelp(kUsage);
      return std::optional<Options>();
    } else if (flag == "-o" || flag == "--output") {
      NUTSHELL_ASSIGN(options.aot.output, takeValue());
    } else if (arg.rfind("-o", 0) == 0 && arg.size() > 2 && arg[2] != '-') {
      options.aot.output = arg.substr(2);  // -oFILE
    } else if (flag == "--emit") {
      NUTSHELL_ASSIGN(options.emitName, takeValue());
      options.emitCuda = options.emitName == "cuda";
      if (!options.emitCuda) {
        NUTSHELL_ASSIGN(options.aot.emit, aot::parseEmitKind(options.emitName));
      }
    } else if (flag == "--backend") {
      NUTSHELL_ASSIGN(options.aot.backend, takeValue());
    } else if (flag == "--bind") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_TRY(tools::addBinding(flag, text, options.bindings));
    } else if (flag == "--input-shape") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_TRY(tools::addInputShape(flag, text, options.inputShapes));
    } else if (flag == "--max-memory") {
      NUTSHELL_ASSIGN(std::string text, takeValue());
      NUTSHELL_TRY(setMemoryLimitFromFlag(flag, text));
    } else if (flag == "--target-cpu") {
      NUTSHELL_ASSIGN(options.aot.targetCpu, takeValue());
    } else if (flag == "--name") {
      NUTSHELL_ASSIGN(options.aot.prefix, takeValue());
    } else if (flag == "--header") {
      NUTSHELL_ASSIGN(options.aot.headerPath, takeValue());
    } else if (flag == "-v" || flag == "--verbose") {
      options.aot.verbose = true;
    } else if (flag == "-q" || flag == "--quiet") {
      options.quiet = true;
    } else if (flag == "--no-cache") {
      options.aot.cache = false;
    } else if (arg == "--time-passes") {
      // Without the pass library: phases only.
    } else if (arg.rfind("-", 0) == 0 && arg != "-") {
      return makeError("unknown option '" + arg + "' (see --help)");
    } else if (options.model.empty()) {
      options.model = arg;
    } else {
      return makeError("more than one model given: '" + options.model + "' and '" + arg + "'");
    }
  }
  if (options.model.empty()) return makeError("no model given (see --help)");
  if (options.aot.output.empty()) return makeError("no output given: -o OUT (see --help)");
  options.aot.modelFile = options.model;
  if (options.emitCuda && options.aot.backend == "cpu") options.aot.backend = "cuda";
  if (options.emitCuda != (options.aot.backend == "cuda"))
    return makeError(options.emitCuda ? "--emit=cuda needs --backend=cuda"
                                      : "--backend=" + options.aot.backend + " writes --emit=cuda only");
  return std::optional<Options>(std::move(options));
}

/// A compiled model has fixed shapes: every symbolic input dim must be bound.
Status checkShapesBound(const ir::Graph& graph, const std::string& model) {
  std::string unbound, example;
  for (const ir::Value* input : graph.inputs) {
    if (input->type.isStatic()) continue;
    unbound += "\n  input '" + input->name + "' " + input->type.str();
    std::string dims;
    for (const ir::Dim& d : input->type.dims) {
      if (!dims.empty()) dims += 'x';
      dims += d.isStatic() ? std::to_string(d.size) : "1";  // e.g. batch 1
    }
    example += " --input-shape " + input->name + "=" + dims;
  }
  if (unbound.empty()) return Status::success();
  return makeError("'" + model + "' has inputs with symbolic dims; a compiled model has fixed shapes:" + unbound +
                   "\nbind every one of them, e.g." + example);
}

/// --emit=cuda: the CUDA source the cuda backend renders for the graph.
Expected<int> writeCudaSource(const ir::Graph& graph, const Options& options) {
  NUTSHELL_ASSIGN(std::unique_ptr<Backend> backend, createBackend("cuda"));
  EmitRequest request;
  request.format = EmitFormat::IrText;
  NUTSHELL_ASSIGN(EmitResult result, backend->emit(graph, BackendOptions{}, request));
  if (options.aot.output == "-") {
    std::fwrite(result.code.data(), 1, result.code.size(), stdout);
    return 0;
  }
  std::ofstream out(options.aot.output, std::ios::binary);
  out.write(result.code.data(), std::streamsize(result.code.size()));
  if (!out) return makeError("cannot write '" + options.aot.output + "'");
  if (!options.quiet)
    std::fprintf(stderr, "nutshell-compile: wrote %s: CUDA source, %zu kernels\n", options.aot.output.c_str(),
                 result.kernels.size());
  return 0;
}

Expected<int> run(Options& options) {
  using Clock = std::chrono::steady_clock;
  auto msSince = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  // A bad -o is found before the model compiles, not at link time.
  if (!options.emitCuda) NUTSHELL_TRY(aot::checkOutputPaths(options.aot));
  const auto begin = Clock::now();
  auto start = begin;
  NUTSHELL_ASSIGN(std::unique_ptr<ir::Graph> graph,
                  tools::loadModel(options.model, options.inputShapes, options.bindings));
  NUTSHELL_TRY(checkShapesBound(*graph, options.model));
  double importMs = msSince(start);

  start = Clock::now();
#ifdef NUTSHELL_HAVE_PASSES
  NUTSHELL_TRY(tools::runPipelineToStderr(*graph, options.pipeline));
#endif
  double passesMs = msSince(start);

  if (options.emitCuda) return writeCudaSource(*graph, options);

  // On a terminal, a compile that takes more than a second says what it is doing.
  // (-v prints as it goes: no progress line to tangle with.)
  tools::TerminalProgress progress("nutshell-compile", !options.quiet && !options.aot.verbose);
  options.aot.progress = progress.callback();
  Expected<aot::AotResult> compiling = aot::compileAot(*graph, options.aot);
  progress.finish();
  NUTSHELL_ASSIGN(aot::AotResult result, std::move(compiling));
  for (const std::string& warning : result.warnings)
    std::fprintf(stderr, "nutshell-compile: warning: %s\n", warning.c_str());
  if (options.timePhases || options.aot.verbose) {
    std::fprintf(stderr, "compile phases (ms):\n  import   %9.2f\n  passes   %9.2f\n", importMs, passesMs);
    if (result.cache == "hit")
      std::fprintf(stderr, "  cache    %9.2f\n", result.cacheMs);
    else
      std::fprintf(stderr, "  codegen  %9.2f\n  optimize %9.2f\n  emit     %9.2f\n", result.codegenMs,
                   result.optimizeMs, result.emitMs);
    std::fprintf(stderr, "  write    %9.2f\ncompile cache: %s\n", result.linkMs, result.cache.c_str());
  }
  // What was made, where: one line, unless -q (or the code went to stdout).
  if (!options.quiet && options.aot.output != "-") {
    std::string files;
    for (const std::string& file : result.files) files += (files.empty() ? "" : ", ") + file;
    std::fprintf(stderr, "nutshell-compile: wrote %s: %s, %zu kernels, %.2f s%s\n", files.c_str(),
                 result.entry.signature.c_str(), result.kernels.size(), msSince(begin) / 1000.0,
                 result.cache == "hit" ? ", from the compile cache" : "");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parseArguments(argc, argv);
  if (!options) {
    std::fprintf(stderr, "nutshell-compile: error: %s\n", options.message().c_str());
    return kExitError;
  }
  if (!*options) return 0;  // --help
  auto status = run(**options);
  if (!status) {
    std::fprintf(stderr, "nutshell-compile: error: %s\n", status.message().c_str());
    return kExitError;
  }
  return *status;
}
