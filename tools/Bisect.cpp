#include "tools/Bisect.h"

#include <functional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "backends/BackendRegistry.h"
#include "ir/MemoryPlan.h"

namespace nutshell::tools {
namespace {

/// `graph` with every node result that `keep` accepts appended to the
/// outputs (each once), re-planned when it had a memory plan.
Expected<std::unique_ptr<ir::Graph>> exposeValues(const ir::Graph& graph,
                                                  const std::function<bool(const ir::Value*)>& keep) {
  std::unique_ptr<ir::Graph> exposed = graph.clone();
  std::unordered_set<const ir::Value*> outputs(exposed->outputs.begin(), exposed->outputs.end());
  // A dest is overwritten by the node that writes into it: it is seen at
  // the end of its chain instead.
  std::unordered_set<const ir::Value*> dests;
  for (const auto& node : exposed->nodes())
    if (ir::writesIntoDest(*node)) dests.insert(node->operands[3]);
  for (const auto& node : exposed->nodes()) {
    if (node->op == ir::OpKind::Const || node->op == ir::OpKind::Empty) continue;
    for (ir::Value* result : node->results)
      if (!outputs.count(result) && !dests.count(result) && keep(result)) {
        exposed->outputs.push_back(result);
        outputs.insert(result);
      }
  }
  if (exposed->arenaBytes >= 0) NUTSHELL_TRY(ir::planMemory(*exposed));
  return exposed;
}

}  // namespace

Expected<BisectReport> bisect(const BisectRequest& request) {
  BisectReport report;
  report.oracle = request.oracle;

  // The oracle: the imported model, every value an output.
  NUTSHELL_ASSIGN(std::unique_ptr<Backend> oracle, createBackend(request.oracle));
  NUTSHELL_ASSIGN(auto oracleGraph, exposeValues(*request.imported, [](const ir::Value*) { return true; }));
  NUTSHELL_ASSIGN(CompileResult oracleCompiled, oracle->compile(*oracleGraph, {}));
  auto expected = oracleCompiled.executable->run(*request.inputs);
  if (!expected) return makeError("bisect: the " + request.oracle + " backend failed: " + expected.message());

  std::unordered_map<std::string, const ir::Value*> modelValues;
  for (const auto& node : request.imported->nodes())
    for (const ir::Value* result : node->results) modelValues.emplace(result->name, result);

  // The backend under test: the optimized graph, every surviving value that
  // the model also has (same name, same type) an output.
  auto comparable = [&](const ir::Value* v) {
    auto it = modelValues.find(v->name);
    return it != modelValues.end() && it->second->type == v->type;
  };
  NUTSHELL_ASSIGN(auto testGraph, exposeValues(*request.optimized, comparable));
  NUTSHELL_ASSIGN(CompileResult compiled, request.backend->compile(*testGraph, request.backendOptions));
  auto actual = compiled.executable->run(*request.inputs);
  if (!actual) return makeError("bisect: the backend failed: " + actual.message());

  for (const auto& node : testGraph->nodes())
    for (const ir::Value* result : node->results) {
      if (!comparable(result) || !actual->count(result->name) || !expected->count(result->name)) continue;
      BisectRow row;
      row.value = result->name;
      row.modelOp = std::string(ir::opName(modelValues.at(result->name)->producer->op));
      row.computedBy = fmt::format("{} %{}", ir::opName(node->op), node->name());
      if (node->op == ir::OpKind::FusedConv2d) row.algo = node->getString("algo");
      row.compare = compareTensors(actual->at(result->name), expected->at(result->name), request.tolerance);
      if (!row.compare.match && report.firstMismatch < 0) report.firstMismatch = int(report.rows.size());
      report.rows.push_back(std::move(row));
    }
  return report;
}

std::string formatBisectReport(const BisectReport& report, const Tolerance& tolerance, bool verbose) {
  std::string text =
      fmt::format("bisect: {} values compared with the {} backend (rtol {}, atol {})\n", report.rows.size(),
                  report.oracle, formatDouble(tolerance.rtol), formatDouble(tolerance.atol));
  auto describe = [](const BisectRow& row) {
    std::string where =
        fmt::format("%{} ({} in the model), computed by {}", row.value, row.modelOp, row.computedBy);
    if (!row.algo.empty()) where += " [algo=" + row.algo + "]";
    return where;
  };
  if (report.firstMismatch < 0) {
    text += "every compared value is within tolerance\n";
  } else {
    const BisectRow& first = report.rows[size_t(report.firstMismatch)];
    text += fmt::format("first mismatch: {}: max_abs_err={} max_rel_err={}\n  {}\n", describe(first),
                        formatDouble(first.compare.maxAbsError), formatDouble(first.compare.maxRelError),
                        first.compare.detail);
  }
  if (verbose) {
    text += fmt::format("{:<32} {:<16} {:<40} {:>12} {:>12}  {}\n", "value", "model op", "computed by",
                        "max_abs_err", "max_rel_err", "");
    for (const BisectRow& row : report.rows)
      text += fmt::format("{:<32} {:<16} {:<40} {:>12} {:>12}  {}\n", "%" + row.value, row.modelOp,
                          row.computedBy + (row.algo.empty() ? "" : " [" + row.algo + "]"),
                          formatDouble(row.compare.maxAbsError), formatDouble(row.compare.maxRelError),
                          row.compare.match ? "OK" : "MISMATCH");
  }
  return text;
}

}  // namespace nutshell::tools
