// nutshell-run --bisect: find the first node whose value goes wrong.
//
// The model as imported (before any pass) runs on the oracle backend
// (reference unless --bisect=NAME) with every node result made an output.
// The optimized graph runs on the backend under test with every value that
// survived optimization made an output too (a fused kernel is seen at its
// output; values written in place into a dest are seen at the end of their
// chain). Values with the same name and type in both are compared, in the
// optimized graph's order; the first one out of tolerance is the answer.
#pragma once

#include <string>
#include <vector>

#include "backends/Backend.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"
#include "tools/TensorCompare.h"

namespace nutshell::tools {

struct BisectRow {
  std::string value;       // the value's name
  std::string modelOp;     // the op that computes it in the imported model
  std::string computedBy;  // the node of the optimized graph that computes it: "fused_conv2d %c1"
  std::string algo;        // that node's convolution algorithm, when it has one
  CompareResult compare;
};

struct BisectReport {
  std::string oracle;
  std::vector<BisectRow> rows;  // every compared value, in graph order
  /// Index into rows of the first mismatch, -1 when every value matched.
  int firstMismatch = -1;
};

struct BisectRequest {
  const ir::Graph* imported = nullptr;   // before the pipeline
  const ir::Graph* optimized = nullptr;  // after it: what the backend runs
  const TensorMap* inputs = nullptr;
  Backend* backend = nullptr;
  BackendOptions backendOptions;
  std::string oracle = "reference";
  Tolerance tolerance;
};

Expected<BisectReport> bisect(const BisectRequest& request);

/// The report as nutshell-run prints it: one summary line and the first
/// mismatch; with `verbose`, a table of every compared value.
std::string formatBisectReport(const BisectReport& report, const Tolerance& tolerance, bool verbose);

}  // namespace nutshell::tools
