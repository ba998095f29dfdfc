#include "passes/PipelineOptions.h"

#include <array>
#include <ostream>

#include "passes/PassManager.h"
#include "passes/Pipelines.h"

namespace nutshell::passes {

namespace {

constexpr std::array<std::string_view, 5> kConvAlgos = {"auto", "direct", "im2col", "fft", "winograd"};

bool isConvAlgo(std::string_view algo) {
  for (std::string_view known : kConvAlgos)
    if (known == algo) return true;
  return false;
}

/// The value of `--name=VALUE` when `arg` is that flag.
std::optional<std::string_view> flagValue(std::string_view arg, std::string_view name) {
  if (arg.size() <= name.size() || arg.substr(0, name.size()) != name || arg[name.size()] != '=')
    return std::nullopt;
  return arg.substr(name.size() + 1);
}

Expected<bool> requireValue(std::string_view flag, std::string_view value) {
  if (value.empty()) return makeError(std::string(flag) + " needs a value (" + std::string(flag) + "=...)");
  return true;
}

}  // namespace

Expected<std::string> PipelineOptions::pipeline() const {
  if (passes && optLevel) return makeError("--passes and -O" + std::to_string(*optLevel) + " exclude each other");
  if (passes) return *passes;
  return pipelineForLevel(optLevel.value_or(2));
}

Expected<bool> consumePipelineFlag(std::string_view arg, PipelineOptions& options) {
  bool consumed = true;
  if (auto v = flagValue(arg, "--passes")) {
    options.passes = std::string(*v);
  } else if (arg == "-O0" || arg == "-O2") {
    options.optLevel = arg[2] - '0';
  } else if (arg.size() >= 2 && arg.substr(0, 2) == "-O") {
    return makeError("unknown optimisation level '" + std::string(arg) + "' (use -O0 or -O2)");
  } else if (arg == "--print-ir-after-all") {
    options.printIrAfterAll = true;
  } else if (auto v = flagValue(arg, "--print-ir-after")) {
    NUTSHELL_TRY(requireValue("--print-ir-after", *v));
    options.printIrAfter.insert(std::string(*v));
  } else if (auto v = flagValue(arg, "--print-ir-before")) {
    NUTSHELL_TRY(requireValue("--print-ir-before", *v));
    options.printIrBefore.insert(std::string(*v));
  } else if (auto v = flagValue(arg, "--ir-dump-dir")) {
    NUTSHELL_TRY(requireValue("--ir-dump-dir", *v));
    options.irDumpDir = std::string(*v);
  } else if (arg == "--verify-each") {
    options.verifyEach = true;
  } else if (arg == "--time-passes") {
    options.timePasses = true;
  } else if (arg == "--print-pipeline") {
    options.printPipeline = true;
    return true;  // prints the pipeline, selects none: not anyFlagGiven
  } else if (auto v = flagValue(arg, "--stop-after")) {
    NUTSHELL_TRY(requireValue("--stop-after", *v));
    options.stopAfter = std::string(*v);
  } else if (auto v = flagValue(arg, "--conv-algo")) {
    // ALGO for every conv, or NODE=ALGO for one (the node's result name,
    // with or without the %).
    std::string_view value = *v;
    size_t eq = value.rfind('=');
    std::string_view algo = eq == std::string_view::npos ? value : value.substr(eq + 1);
    if (!isConvAlgo(algo))
      return makeError("--conv-algo: unknown algorithm '" + std::string(algo) +
                       "' (use auto, direct, im2col, fft or winograd)");
    if (eq == std::string_view::npos) {
      options.convAlgo = std::string(algo);
    } else {
      std::string_view node = value.substr(0, eq);
      if (!node.empty() && node.front() == '%') node.remove_prefix(1);
      if (node.empty()) return makeError("--conv-algo=NODE=ALGO: empty node name in '" + std::string(value) + "'");
      options.convAlgoPerNode[std::string(node)] = std::string(algo);
    }
  } else {
    consumed = false;
  }
  if (consumed) options.anyFlagGiven = true;
  return consumed;
}

std::string pipelineFlagsHelp() {
  Expected<std::string> minimal = pipelineForLevel(0);
  return "pass pipeline:\n"
         "  --passes=PIPELINE        e.g. "
         "canonicalize,infer-shapes,fixpoint(fold-constants,dce,cse),plan-memory\n"
         "  -O2                      the optimizing pipeline (the default)\n"
         "  -O0                      the minimal pipeline a backend needs, no optimization beyond it:\n"
         "                           " +
         (minimal ? *minimal : minimal.message()) +
         "\n"
         "  --print-pipeline         print the selected pipeline's string (reusable with --passes=);\n"
         "                           selects no pipeline and no -O level itself\n"
         "  --print-ir-after-all     print the IR after every pass\n"
         "  --print-ir-after=P       print the IR after pass P (repeatable)\n"
         "  --print-ir-before=P      print the IR before pass P (repeatable)\n"
         "  --ir-dump-dir=D          write D/NN-PASS.nsir after every pass\n"
         "  --verify-each            verify the IR (and the memory plan) after every pass\n"
         "  --time-passes            print a table of time per pass (nutshell-run and\n"
         "                           nutshell-compile also print their compile phases)\n"
         "  --stop-after=P           stop the pipeline after the first run of pass P\n"
         "  --conv-algo=ALGO         auto|direct|im2col|fft|winograd for every conv\n"
         "  --conv-algo=NODE=ALGO    for one conv, by result name (repeatable)\n";
}

namespace {

/// The selected pipeline, parsed into `manager`.
Status addSelectedPipeline(const PipelineOptions& options, PassManager& manager) {
  NUTSHELL_ASSIGN(std::string text, options.pipeline());
  return manager.addPipeline(text);
}

PassContext contextFor(const PipelineOptions& options) {
  PassContext context;
  context.target = options.target;
  context.convAlgo = options.convAlgo;
  context.convAlgoPerNode = options.convAlgoPerNode;
  return context;
}

}  // namespace

Expected<std::string> printablePipeline(const PipelineOptions& options) {
  PassManager manager(contextFor(options));
  NUTSHELL_TRY(addSelectedPipeline(options, manager));
  return manager.pipelineString();
}

Status runPipeline(ir::Graph& graph, const PipelineOptions& options, std::ostream& dumpStream) {
  PassManager manager(contextFor(options));
  NUTSHELL_TRY(addSelectedPipeline(options, manager));
  if (options.printPipeline) dumpStream << manager.pipelineString() << "\n";

  PassInstrumentation& inst = manager.instrumentation();
  inst.verifyEach = options.verifyEach;
  inst.printAfterAll = options.printIrAfterAll;
  inst.printAfter = options.printIrAfter;
  inst.printBefore = options.printIrBefore;
  inst.dumpDir = options.irDumpDir;
  inst.timePasses = options.timePasses;
  inst.stopAfter = options.stopAfter;
  inst.dumpStream = &dumpStream;
  Status status = manager.run(graph);
  // The table is useful even when a pass failed: it shows how far it got.
  if (options.timePasses) manager.printTimings(dumpStream, graph);
  return status;
}

}  // namespace nutshell::passes
