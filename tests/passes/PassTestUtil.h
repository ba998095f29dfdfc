// Helpers shared by the pass tests: graphs from text, random inputs, and
// comparing the reference interpreter's outputs before and after passes.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/reference/ReferenceInterpreter.h"
#include "ir/Graph.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/ShapeInference.h"
#include "nutshell/Tensor.h"
#include "passes/PassManager.h"
#include "tests/TestSeed.h"

namespace nutshell::passes::testing {

inline std::unique_ptr<ir::Graph> parse(const std::string& text) {
  auto graph = ir::parseGraph(text, "<test>");
  INFO(text);
  if (!graph) FAIL(graph.message());
  return graph.take();
}

/// The seed for `what` (tests/TestSeed.h: fixed unless NUTSHELL_TEST_SEED
/// says otherwise); callers INFO() it so a failure says how to repeat it.
inline uint32_t freshSeed(const std::string& what) {
  return uint32_t(test::seedFor(what));
}

/// Uniform [-1, 1) f32 (i64 inputs get 0..3) for every graph input; the
/// input types must be static.
inline TensorMap randomInputs(const ir::Graph& graph, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  TensorMap inputs;
  for (const ir::Value* input : graph.inputs) {
    std::vector<int64_t> shape = input->type.shape();
    if (input->type.dtype == ir::DType::F32) {
      Tensor t(ElementType::F32, shape);
      for (int64_t i = 0; i < t.numElements(); ++i) t.f32()[i] = uniform(rng);
      inputs.emplace(input->name, std::move(t));
    } else {
      Tensor t(ElementType::I64, shape);
      for (int64_t i = 0; i < t.numElements(); ++i) t.i64()[i] = int64_t(rng() % 4);
      inputs.emplace(input->name, std::move(t));
    }
  }
  return inputs;
}

/// Every symbolic dim of every input bound to `size`.
inline void bindSymbols(ir::Graph& graph, int64_t size) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const ir::Value* input : graph.inputs) {
    std::vector<int64_t> shape;
    for (const ir::Dim& d : input->type.dims) shape.push_back(d.isStatic() ? d.size : size);
    shapes[input->name] = shape;
  }
  Status status = ir::bindInputShapes(graph, shapes);
  if (!status) FAIL(status.message());
}

/// |a - b| <= atol + rtol * |b| everywhere; names the first mismatch.
inline void requireClose(const TensorMap& expected, const TensorMap& actual, double rtol = 1e-4,
                         double atol = 1e-5) {
  REQUIRE(expected.size() == actual.size());
  for (const auto& [name, want] : expected) {
    auto it = actual.find(name);
    INFO("output " << name);
    REQUIRE(it != actual.end());
    const Tensor& got = it->second;
    REQUIRE(got.shape() == want.shape());
    REQUIRE(got.type() == want.type());
    for (int64_t i = 0; i < want.numElements(); ++i) {
      double w = want.type() == ElementType::F32 ? double(want.f32()[i]) : double(want.i64()[i]);
      double g = got.type() == ElementType::F32 ? double(got.f32()[i]) : double(got.i64()[i]);
      if (!(std::fabs(w - g) <= atol + rtol * std::fabs(w))) {
        INFO("element " << i << ": expected " << w << ", got " << g);
        FAIL("outputs differ");
      }
    }
  }
}

/// Runs `pipeline` (with --verify-each) on a clone of `graph`; returns it.
inline std::unique_ptr<ir::Graph> optimized(const ir::Graph& graph, const std::string& pipeline,
                                            std::string* dumps = nullptr) {
  auto copy = graph.clone();
  PassManager manager;
  Status parsed = manager.addPipeline(pipeline);
  if (!parsed) FAIL(parsed.message());
  manager.instrumentation().verifyEach = true;
  std::ostringstream stream;
  manager.instrumentation().dumpStream = &stream;
  Status status = manager.run(*copy);
  if (dumps) *dumps = stream.str();
  if (!status) FAIL(status.message() << "\nIR before:\n" << ir::printGraph(graph));
  return copy;
}

/// The reference interpreter gives the same outputs for `graph` before and
/// after `pipeline` on `inputs`.
inline void requireSameOutputsOn(const ir::Graph& graph, const std::string& pipeline, const TensorMap& inputs,
                                 const std::string& what) {
  auto after = optimized(graph, pipeline);
  INFO(what << "\nIR after " << pipeline << ":\n" << ir::printGraph(*after));
  auto want = reference::runGraph(graph, inputs);
  if (!want) FAIL("before: " << want.message());
  auto got = reference::runGraph(*after, inputs);
  if (!got) FAIL("after: " << got.message());
  requireClose(*want, *got);
}

/// The reference interpreter gives the same outputs for `graph` before and
/// after `pipeline` on fresh random inputs.
inline void requireSameOutputs(const ir::Graph& graph, const std::string& pipeline, const std::string& what) {
  auto after = optimized(graph, pipeline);
  uint32_t seed = freshSeed(what);
  INFO(what << " (" << test::describeSeed(seed) << ")\nIR after " << pipeline << ":\n"
            << ir::printGraph(*after));
  TensorMap inputs = randomInputs(graph, seed);
  auto want = reference::runGraph(graph, inputs);
  if (!want) FAIL("before: " << want.message());
  auto got = reference::runGraph(*after, inputs);
  if (!got) FAIL("after: " << got.message());
  requireClose(*want, *got);
}

}  // namespace nutshell::passes::testing
