// What the graph fuzz targets (nsir, onnx) share: the size limits that keep
// one input within ~1 s and a few hundred MB, binding symbolic input dims,
// and the -O2 pipeline run on every graph that verifies.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Graph.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/ShapeInference.h"
#include "ir/Types.h"
#include "ir/Verifier.h"
#include "nutshell/Expected.h"
#include "passes/PipelineOptions.h"
#include "tests/fuzz/FuzzCommon.h"

namespace nutshell::fuzz {

/// Graphs larger than this skip the pass pipeline: a big graph is not a bug,
/// and folding its constants would take seconds.
inline constexpr size_t kMaxNodesForPasses = 400;
inline constexpr int64_t kMaxElementsForPasses = int64_t(1) << 20;  // all values together
/// Above this many constant elements in all, the round trip elides constants.
inline constexpr int64_t kMaxInlineConstantElements = 4096;
/// Size every symbolic dim is bound to before the passes run.
inline constexpr int64_t kSymbolSize = 2;

/// Elements of a type whose dims are all static, saturating at `limit + 1`;
/// symbolic dims count as kSymbolSize.
inline int64_t elementsOf(const ir::TensorType& type, int64_t limit) {
  int64_t n = 1;
  for (const ir::Dim& d : type.dims) {
    int64_t size = d.isStatic() ? d.size : kSymbolSize;
    if (size < 0) return limit + 1;
    if (size == 0) return 0;
    if (n > limit / size) return limit + 1;
    n *= size;
  }
  return n;
}

/// Whether the passes may run on `graph` within the time and memory budget.
inline bool smallEnoughForPasses(const ir::Graph& graph) {
  if (graph.nodes().size() > kMaxNodesForPasses) return false;
  int64_t total = 0;
  for (const ir::Value* input : graph.inputs) {
    total += elementsOf(input->type, kMaxElementsForPasses);
    if (total > kMaxElementsForPasses) return false;
  }
  for (const auto& node : graph.nodes()) {
    for (const ir::Value* result : node->results) {
      total += elementsOf(result->type, kMaxElementsForPasses);
      if (total > kMaxElementsForPasses) return false;
    }
  }
  return true;
}

/// Input name -> its shape with every symbolic dim set to kSymbolSize; empty
/// when every input is static already.
inline std::map<std::string, std::vector<int64_t>> boundInputShapes(const ir::Graph& graph) {
  std::map<std::string, std::vector<int64_t>> shapes;
  bool anySymbolic = false;
  for (const ir::Value* input : graph.inputs) {
    std::vector<int64_t> dims;
    for (const ir::Dim& d : input->type.dims) {
      anySymbolic |= !d.isStatic();
      dims.push_back(d.isStatic() ? d.size : kSymbolSize);
    }
    shapes[input->name] = dims;
  }
  if (!anySymbolic) shapes.clear();
  return shapes;
}

/// Print `graph` and parse the text back (the printer and parser on graphs no
/// hand-written test has). Large constants are printed as <elided>: printing
/// and parsing a model's weights as decimal text would take most of the time.
inline void roundTrip(const ir::Graph& graph, const char* stage) {
  int64_t constantElements = 0;
  for (const auto& node : graph.nodes())
    if (node->op == ir::OpKind::Const)
      for (const ir::Value* result : node->results)
        constantElements += elementsOf(result->type, int64_t(1) << 30);
  ir::PrintOptions options;
  options.elideConstants = constantElements > kMaxInlineConstantElements;
  std::string text = ir::printGraph(graph, options);
  auto reparsed = ir::parseGraph(text, "<printed>");
  if (!reparsed)
    strictFailure(stage, "printed graph does not parse back: " + reparsed.message() + "\n" + text);
}

/// The -O2 pipeline as `nutshell-opt -O2` runs it, each pass verified.
inline void runO2(ir::Graph& graph) {
  passes::PipelineOptions options;
  options.optLevel = 2;
  options.verifyEach = true;
  options.anyFlagGiven = true;
  std::ostringstream dumps;
  Status status = passes::runPipeline(graph, options, dumps);
  if (!status && status.message().find("left the graph invalid") != std::string::npos)
    strictFailure("-O2", status.message());
  if (status) roundTrip(graph, "after -O2");
}

/// Everything after a graph verified: round trip, bind symbols, -O2.
inline void exerciseVerifiedGraph(ir::Graph& graph) {
  if (!smallEnoughForPasses(graph)) return;
  roundTrip(graph, "verified graph");
  auto shapes = boundInputShapes(graph);
  if (!shapes.empty()) {
    if (!ir::bindInputShapes(graph, shapes)) return;
    if (!ir::verifyGraph(graph)) return;
    if (!smallEnoughForPasses(graph)) return;
  }
  runO2(graph);
}

}  // namespace nutshell::fuzz
