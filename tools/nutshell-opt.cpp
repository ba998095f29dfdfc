// nutshell-opt: read a model (.nsir, or .onnx when the importer is built),
// optionally bind input shapes and transform it, and print it as .nsir or
// graphviz.
//
//   nutshell-opt FILE.nsir [-o OUT.nsir] [--dot] [--elide-constants | --print-constants]
//                [--input-shape NAME=1x3x32x32]... [pipeline flags]
//
// Stages: parse args -> load graph -> transform (input shapes, then the pass
// pipeline hook) -> print. Errors go to stderr; exit status 2 on error.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/ShapeInference.h"
#include "ir/Verifier.h"
#include "nutshell/Expected.h"
#include "nutshell/MemoryLimit.h"
#include "tools/ModelLoading.h"

#ifdef NUTSHELL_HAVE_ONNX
#include "frontend/onnx/OnnxImporter.h"
#endif
#ifdef NUTSHELL_HAVE_PASSES
#include "passes/PipelineOptions.h"
#endif

namespace {

using namespace nutshell;

struct OptOptions {
  std::string input;
  std::string output;  // empty: stdout
  bool dot = false;
  bool elideConstants = false;
  bool printConstants = false;
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Options this file does not know, in order: the pass pipeline's flags
  /// (--passes=..., --print-ir-after-all, -O2, ...) are handed to runPipeline.
  std::vector<std::string> pipelineArgs;
};

/// On stdout, constants of more elements than this print as `<elided>`
/// unless --print-constants: a real model's weights are hundreds of MB of text.
constexpr int64_t kPrintedConstantLimit = 64;

constexpr const char* kUsage =
    "usage: nutshell-opt MODEL [options] [pipeline flags]\n"
    "  MODEL                     .nsir or .onnx\n"
    "  -o OUT.nsir               write the IR to a file (constants of more than 64 elements\n"
    "                            go to the side file OUT.nsir.weights) instead of stdout\n"
    "  --print-constants         print every constant's values on stdout (by default those\n"
    "                            of more than 64 elements print as <elided>)\n"
    "  --elide-constants         print every constant as <elided> (shapes only)\n"
    "  --dot                     print graphviz instead of IR\n"
    "  --input-shape NAME=DxDx.. bind the symbolic dims of an input and re-infer shapes\n"
    "  --max-memory SIZE         largest allocation a model or file may ask for, e.g. 8G\n"
    "                            (default: NUTSHELL_MAX_MEMORY or the machine's memory)\n"
    "  -h, --help                print this help\n"
    "without pipeline flags the IR is printed as read; with any (but --print-pipeline\n"
    "alone) the selected pipeline runs (-O2 unless -O0 or --passes= says otherwise)\n";

/// Returns nullopt after --help.
Expected<std::optional<OptOptions>> parseArgs(int argc, char** argv) {
  OptOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& flag) -> Expected<std::string> {
      if (arg.size() > flag.size() && arg.compare(0, flag.size() + 1, flag + "=") == 0)
        return arg.substr(flag.size() + 1);
      if (i + 1 >= argc) return makeError(flag + " needs a value");
      return std::string(argv[++i]);
    };
    if (tools::isHelpFlag(arg)) {
      tools::printHelp(kUsage);
      return std::optional<OptOptions>();
    } else if (arg == "-o") {
      NUTSHELL_ASSIGN(options.output, value("-o"));
    } else if (arg == "--dot") {
      options.dot = true;
    } else if (arg == "--elide-constants") {
      options.elideConstants = true;
    } else if (arg == "--print-constants") {
      options.printConstants = true;
    } else if (arg == "--input-shape" || arg.rfind("--input-shape=", 0) == 0) {
      NUTSHELL_ASSIGN(std::string shape, value("--input-shape"));
      NUTSHELL_TRY(tools::addInputShape("--input-shape", shape, options.inputShapes));
    } else if (arg == "--max-memory" || arg.rfind("--max-memory=", 0) == 0) {
      NUTSHELL_ASSIGN(std::string size, value("--max-memory"));
      NUTSHELL_TRY(setMemoryLimitFromFlag("--max-memory", size));
    } else if (arg.size() > 1 && arg[0] == '-') {
      options.pipelineArgs.push_back(arg);
    } else if (options.input.empty()) {
      options.input = arg;
    } else {
      return makeError("more than one input file: '" + options.input + "' and '" + arg + "' (see --help)");
    }
  }
  if (options.elideConstants && options.printConstants)
    return makeError("--elide-constants and --print-constants exclude each other");
  if (options.input.empty()) return makeError("no input file (see --help)");
  return std::optional<OptOptions>(std::move(options));
}

/// The model, with --input-shape bound (at import for ONNX, so that shape
/// computations fold there).
Expected<std::unique_ptr<ir::Graph>> loadGraph(const OptOptions& options) {
  return tools::loadModel(options.input, options.inputShapes);
}

/// The pass pipeline hook: runs the flags in options.pipelineArgs on the
/// graph. Until passes are wired in, any such flag is an error.
Status runPipeline(ir::Graph& graph, const OptOptions& options) {
#ifdef NUTSHELL_HAVE_PASSES
  // No pipeline flag: print the graph as read. Dumps go to stderr so that
  // stdout stays the final IR.
  passes::PipelineOptions pipeline;
  for (const std::string& arg : options.pipelineArgs) {
    NUTSHELL_ASSIGN(bool known, passes::consumePipelineFlag(arg, pipeline));
    if (!known) return makeError("unknown option '" + arg + "' (see --help)");
  }
  if (!pipeline.anyFlagGiven) {
    // --print-pipeline alone: say what the selected pipeline is, run none.
    if (pipeline.printPipeline) {
      NUTSHELL_ASSIGN(std::string text, passes::printablePipeline(pipeline));
      std::cerr << text << "\n";
    }
    return Status::success();
  }
  return passes::runPipeline(graph, pipeline, std::cerr);
#else
  (void)graph;
  if (!options.pipelineArgs.empty())
    return makeError("unknown option '" + options.pipelineArgs.front() + "' (see --help)");
  return Status::success();
#endif
}

Status transformGraph(ir::Graph& graph, const OptOptions& options) {
  if (!options.inputShapes.empty()) NUTSHELL_TRY(ir::verifyGraph(graph));
  return runPipeline(graph, options);
}

Status emitGraph(const ir::Graph& graph, const OptOptions& options) {
  ir::PrintOptions printOptions;
  printOptions.elideConstants = options.elideConstants;
  if (options.dot || options.output.empty()) {
    std::string text;
    if (options.dot) {
      text = ir::printDot(graph);
    } else {
      if (!options.printConstants) printOptions.elideAbove = kPrintedConstantLimit;
      // A comment, so that the text still parses.
      int64_t elided = ir::countElidedBySize(graph, printOptions);
      if (elided > 0)
        text = "// " + std::to_string(elided) + " constant" + (elided == 1 ? "" : "s") + " of more than " +
               std::to_string(kPrintedConstantLimit) +
               " elements elided (printed as <elided>); --print-constants prints them, -o FILE writes them\n";
      text += ir::printGraph(graph, printOptions);
    }
    if (options.output.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      return std::fflush(stdout) == 0 ? Status::success() : makeError("cannot write to stdout");
    }
    std::ofstream file(options.output, std::ios::binary);
    if (!file || !(file << text) || !file.flush()) return makeError("cannot write " + options.output);
    return Status::success();
  }
  // Files keep large constants in the binary side file OUT.weights.
  printOptions.inlineLimit = 64;
  return ir::writeGraphFile(graph, options.output, printOptions);
}

Status runOpt(int argc, char** argv) {
  NUTSHELL_ASSIGN(std::optional<OptOptions> parsed, parseArgs(argc, argv));
  if (!parsed) return Status::success();  // --help
  const OptOptions& options = *parsed;
  NUTSHELL_ASSIGN(std::unique_ptr<ir::Graph> graph, loadGraph(options));
  NUTSHELL_TRY(transformGraph(*graph, options));
  return emitGraph(*graph, options);
}

}  // namespace

int main(int argc, char** argv) {
  Status status = runOpt(argc, argv);
  if (!status) {
    std::cerr << status.message() << "\n";
    return 2;
  }
  return 0;
}
