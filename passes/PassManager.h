// The pass manager: parses pipeline strings, runs the passes in order with
// the dump / verify / timing instrumentation every tool exposes as flags.
//
// Pipeline grammar (whitespace around tokens is ignored):
//   pipeline := step (',' step)*
//   step     := NAME options?                     a registered pass
//             | 'fixpoint' options? '(' pipeline ')'
//   options  := '{' KEY '=' VALUE (',' KEY '=' VALUE)* '}'
// A pass's options are handed to it in PassContext::options while it runs.
// fixpoint(...) reruns its body until no pass in it reports a change, at most
// `max-iterations` times (default kDefaultFixpointIterations).
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"
#include "passes/Pass.h"

namespace nutshell::passes {

inline constexpr int kDefaultFixpointIterations = 10;

/// One step of a pipeline: a pass with its options, or a fixpoint group.
struct PipelineStep {
  std::string name;                            // pass name, or "fixpoint"
  std::map<std::string, std::string> options;  // from {key=value,...}
  std::vector<PipelineStep> body;              // fixpoint only
  std::unique_ptr<Pass> pass;                  // null for fixpoint

  bool isFixpoint() const { return name == "fixpoint"; }
};

/// Parse a pipeline string into steps (instantiating each pass). Errors say
/// where in the string and list the registered passes for unknown names.
Expected<std::vector<PipelineStep>> parsePipeline(std::string_view text);

/// Text of steps in the grammar above; parsePipeline(printPipeline(s)) gives s.
std::string printPipeline(const std::vector<PipelineStep>& steps);

/// What to print, check and measure around each pass.
struct PassInstrumentation {
  bool verifyEach = false;    // ir::verifyGraph (and the memory plan) after each pass
  bool printAfterAll = false;
  std::set<std::string> printAfter;   // pass names
  std::set<std::string> printBefore;  // pass names
  std::string dumpDir;        // one numbered .nsir file per pass run
  bool timePasses = false;    // table of ms per pass after the run
  std::string stopAfter;      // stop the pipeline after the first run of this pass
  /// Where dumps and the timing table go (null: nowhere).
  std::ostream* dumpStream = nullptr;
};

/// Time and effect of one pass name, summed over its runs.
struct PassTiming {
  std::string name;
  int runs = 0;
  int changed = 0;  // runs that changed the graph
  double ms = 0.0;
};

class PassManager {
public:
  explicit PassManager(PassContext context = {});

  /// Append the steps of a pipeline string.
  Status addPipeline(std::string_view text);
  /// Append one pass instance (tests use this to add passes that are not
  /// registered).
  void addPass(std::unique_ptr<Pass> pass, std::map<std::string, std::string> options = {});
  /// Append parsed (possibly edited) steps.
  void addSteps(std::vector<PipelineStep> steps);

  /// The pipeline as a string that addPipeline() accepts.
  std::string pipelineString() const { return printPipeline(steps_); }

  PassContext& context() { return context_; }
  PassInstrumentation& instrumentation() { return instrumentation_; }

  /// Run every step on `graph`. Errors name the pass: `pass 'cse' failed: ...`,
  /// `pass 'fuse' left the graph invalid: ...`.
  Status run(ir::Graph& graph);

  /// Per pass name, in order of first run (filled by run()).
  const std::vector<PassTiming>& timings() const { return timings_; }
  /// The --time-passes table (and the planned arena size when there is one).
  void printTimings(std::ostream& os, const ir::Graph& graph) const;
  /// True when run() ended early because of stopAfter.
  bool stopped() const { return stopped_; }

private:
  Status runSteps(std::vector<PipelineStep>& steps, ir::Graph& graph, bool& changed, int iteration);
  Status runPass(PipelineStep& step, ir::Graph& graph, bool& changed, int iteration);
  Status checkInstrumentationNames() const;
  void dump(const ir::Graph& graph, const std::string& title);

  PassContext context_;
  PassInstrumentation instrumentation_;
  std::vector<PipelineStep> steps_;
  std::vector<PassTiming> timings_;
  int passRunCount_ = 0;
  bool stopped_ = false;
};

}  // namespace nutshell::passes
