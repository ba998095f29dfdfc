// The pass-pipeline flags every tool accepts, parsed one argument at a time
// from the tool's own argument loop, and the function that runs the chosen
// pipeline with them. See docs/passes.md for the flag reference.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "ir/Graph.h"
#include "ir/TargetDescription.h"
#include "nutshell/Expected.h"

namespace nutshell::passes {

struct PipelineOptions {
  std::optional<std::string> passes;  // --passes=PIPELINE
  std::optional<int> optLevel;        // -O0 / -O2
  bool printIrAfterAll = false;       // --print-ir-after-all
  std::set<std::string> printIrAfter;   // --print-ir-after=P (repeatable)
  std::set<std::string> printIrBefore;  // --print-ir-before=P (repeatable)
  std::string irDumpDir;              // --ir-dump-dir=D
  bool verifyEach = false;            // --verify-each
  bool timePasses = false;            // --time-passes
  bool printPipeline = false;         // --print-pipeline
  std::string stopAfter;              // --stop-after=P
  std::string convAlgo = "auto";      // --conv-algo=ALGO
  std::map<std::string, std::string> convAlgoPerNode;  // --conv-algo=NODE=ALGO
  /// The machine the cost model prices for: the backend's description
  /// (Backend::targetDescription), set by the tools and the host API.
  TargetDescription target;
  /// Set by consumePipelineFlag when any of the flags above but
  /// --print-pipeline was given: printing the pipeline does not select one
  /// (nutshell-opt, which runs none by default, keeps running none).
  bool anyFlagGiven = false;

  /// The pipeline string selected: --passes, else -O level, else -O2.
  Expected<std::string> pipeline() const;
};

/// If `arg` is one of the pipeline flags, apply it and return true; return
/// false for any other argument; an error for a pipeline flag with a bad
/// value (unknown algorithm, -O1, ...).
Expected<bool> consumePipelineFlag(std::string_view arg, PipelineOptions& options);

/// Usage lines for the flags above, for tools' --help.
std::string pipelineFlagsHelp();

/// The selected pipeline as --print-pipeline prints it: parsed (an error for
/// an unknown pass or bad syntax) and printed back, reusable with --passes=.
Expected<std::string> printablePipeline(const PipelineOptions& options);

/// Run the selected pipeline on `graph`. Dumps, --print-pipeline and the
/// --time-passes table go to `dumpStream`. With --stop-after the graph is
/// left as it was after that pass.
Status runPipeline(ir::Graph& graph, const PipelineOptions& options, std::ostream& dumpStream);

}  // namespace nutshell::passes
