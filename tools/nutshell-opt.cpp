// nutshell-opt: read a model (.nsir, or .onnx when the importer is built),
// optionally bind input shapes and transform it, and print it as .nsir or
// graphviz.
//
//   nutshell-opt FILE.nsir [-o OUT.nsir] [--dot] [--elide-constants]
//                [--input-shape NAME=1x3x32x32]...
//
// Stages: parse args -> load graph -> transform (input shapes, then the pass
// pipeline hook) -> print. Errors go to stderr; exit status 2 on error.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
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
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Options this file does not know, in order: the pass pipeline's flags
  /// (--passes=..., --print-ir-after-all, -O2, ...) are handed to runPipeline.
  std::vector<std::string> pipelineArgs;
};

constexpr const char* kUsage =
    "usage: nutshell-opt FILE.nsir|FILE.onnx [-o OUT.nsir] [--dot] [--elide-constants]\n"
    "                    [--input-shape NAME=1x3x32x32]... [--max-memory SIZE]\n";

Expected<OptOptions> parseArgs(int argc, char** argv) {
  OptOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& flag) -> Expected<std::string> {
      if (arg.size() > flag.size() && arg.compare(0, flag.size() + 1, flag + "=") == 0)
        return arg.substr(flag.size() + 1);
      if (i + 1 >= argc) return makeError(flag + " needs a value");
      return std::string(argv[++i]);
    };
    if (arg == "-h" || arg == "--help") {
      return makeError(kUsage);
    } else if (arg == "-o") {
      NUTSHELL_ASSIGN(options.output, value("-o"));
    } else if (arg == "--dot") {
      options.dot = true;
    } else if (arg == "--elide-constants") {
      options.elideConstants = true;
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
      return makeError("more than one input file: '" + options.input + "' and '" + arg + "'\n" + kUsage);
    }
  }
  if (options.input.empty()) return makeError(std::string("no input file\n") + kUsage);
  return options;
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
    if (!known) return makeError("unknown option '" + arg + "'\n" + kUsage + passes::pipelineFlagsHelp());
  }
  if (!pipeline.anyFlagGiven) return Status::success();
  return passes::runPipeline(graph, pipeline, std::cerr);
#else
  (void)graph;
  if (!options.pipelineArgs.empty())
    return makeError("unknown option '" + options.pipelineArgs.front() + "'\n" + kUsage);
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
    std::string text = options.dot ? ir::printDot(graph) : ir::printGraph(graph, printOptions);
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
  NUTSHELL_ASSIGN(OptOptions options, parseArgs(argc, argv));
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
