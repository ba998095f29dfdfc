// Shared pieces of the cuda backend tests: the ONNX models after -O2, the
// backend on the emulated device, random inputs (a fixed seed, printed on
// failure; NUTSHELL_TEST_SEED=S explores others) and the comparison with the
// reference interpreter (|cuda - reference| <= atol + rtol * |reference|,
// rtol 1e-4, atol 1e-5 for direct kernels, as on the CPU).
#pragma once

#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "backends/BackendRegistry.h"
#include "backends/common/BufferAssignment.h"
#include "backends/cuda/ModelRenderer.h"
#include "backends/cuda/NvrtcCompiler.h"
#include "backends/reference/ReferenceInterpreter.h"
#include "ir/ShapeInference.h"
#include "tests/TestSeed.h"

namespace nutshell::cudatest {

inline constexpr double kRtol = 1e-4;
inline constexpr double kAtol = 1e-5;

inline std::mt19937_64 makeRng(const std::string& name) {
  return std::mt19937_64(test::seedFor(name));
}

inline Tensor randomTensor(const std::vector<int64_t>& shape, std::mt19937_64& rng, float lo = -2.f,
                           float hi = 2.f) {
  Tensor t(ElementType::F32, shape);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i) t.f32()[i] = dist(rng);
  return t;
}

inline ir::TensorDataPtr randomData(const std::vector<int64_t>& shape, std::mt19937_64& rng, float lo = -1.f,
                                    float hi = 1.f) {
  Tensor t = randomTensor(shape, rng, lo, hi);
  return ir::makeF32(shape, std::vector<float>(t.f32(), t.f32() + t.numElements()));
}

/// Empty when close; else the first mismatches.
inline std::string compareTensors(const Tensor& actual, const Tensor& expected, double rtol = kRtol,
                                  double atol = kAtol) {
  if (actual.type() != expected.type() || actual.shape() != expected.shape())
    return "type " + actual.typeString() + " vs expected " + expected.typeString();
  std::string report;
  int bad = 0;
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double a = actual.type() == ElementType::F32 ? actual.f32()[i] : double(actual.i64()[i]);
    double e = expected.type() == ElementType::F32 ? expected.f32()[i] : double(expected.i64()[i]);
    bool ok = (std::isnan(a) && std::isnan(e)) || a == e || std::fabs(a - e) <= atol + rtol * std::fabs(e);
    if (!ok && bad++ < 5)
      report +=
          "  [" + std::to_string(i) + "] got " + std::to_string(a) + " expected " + std::to_string(e) + "\n";
  }
  if (bad)
    report =
        std::to_string(bad) + " of " + std::to_string(actual.numElements()) + " elements differ:\n" + report;
  return report;
}

/// Appends a node whose result types come from the shape rules.
inline ir::Node* addOp(ir::Graph& g, ir::OpKind op, std::vector<ir::Value*> operands,
                       ir::AttrMap attrs = {}) {
  int numResults = ir::opInfo(op).numResults;
  ir::Node* node =
      g.addNode(op, operands, std::vector<ir::TensorType>(numResults, ir::TensorType::f32({1})), attrs);
  auto types = ir::inferResultTypes(*node);
  INFO("shape inference of " << ir::opName(op) << ": " << (types ? std::string() : types.message()));
  REQUIRE(types.ok());
  for (int i = 0; i < numResults; ++i) node->results[i]->type = (*types)[i];
  return node;
}
inline ir::Value* op(ir::Graph& g, ir::OpKind kind, std::vector<ir::Value*> operands,
                     ir::AttrMap attrs = {}) {
  return addOp(g, kind, std::move(operands), std::move(attrs))->result();
}
inline ir::Value* constant(ir::Graph& g, ir::TensorDataPtr data) {
  ir::Node* node = g.addNode(ir::OpKind::Const, {}, {data->type}, {});
  node->constant = std::move(data);
  return node->result();
}

/// The cuda backend on the emulated device (kernels compiled by the host
/// compiler, run on this CPU).
inline BackendOptions emulatedOptions() {
  BackendOptions options;
  options.settings["device"] = "emulated";
  return options;
}

inline Expected<CompileResult> compileEmulated(const ir::Graph& graph) {
  NUTSHELL_ASSIGN(std::unique_ptr<Backend> backend, createBackend("cuda"));
  return backend->compile(graph, emulatedOptions());
}

/// The graph's CUDA source compiles with NVRTC for sm_90 (--Ofast-compile=max)
/// without errors or warnings.
inline void checkNvrtcCompiles(const ir::Graph& graph) {
  std::unique_ptr<ir::Graph> planned;
  auto withPlan = common::withMemoryPlan(graph, planned);
  INFO((withPlan ? std::string() : withPlan.message()));
  REQUIRE(withPlan.ok());
  auto rendered = cuda::renderModel(**withPlan);
  INFO((rendered ? std::string() : rendered.message()));
  REQUIRE(rendered.ok());
  cuda::NvrtcOptions options;
  options.fastCompile = true;
  auto compiled = cuda::compileWithNvrtc(rendered->source, "test.cu", options);
  INFO((compiled ? std::string() : compiled.message()));
  REQUIRE(compiled.ok());
  INFO("NVRTC log: " << compiled->log);
  CHECK(compiled->log.empty());
}

/// Runs `graph` on the reference interpreter and three times on the
/// emulated cuda backend (the first run launches kernel by kernel, the later
/// ones replay the captured CUDA graph): every output close to the
/// reference, every run bitwise the same. The same source must compile
/// with NVRTC too.
inline void checkAgainstReference(const ir::Graph& graph, const TensorMap& inputs, double rtol = kRtol,
                                  double atol = kAtol) {
  INFO(test::describeSeed(test::testSeed()));
  checkNvrtcCompiles(graph);
  auto expected = reference::runGraph(graph, inputs);
  INFO("reference: " << (expected ? std::string() : expected.message()));
  REQUIRE(expected.ok());
  auto compiled = compileEmulated(graph);
  INFO("cuda compile: " << (compiled ? std::string() : compiled.message()));
  REQUIRE(compiled.ok());
  std::vector<TensorMap> runs;
  for (int run = 0; run < 3; ++run) {
    auto outputs = compiled->executable->run(inputs);
    INFO("cuda run " << run << ": " << (outputs ? std::string() : outputs.message()));
    REQUIRE(outputs.ok());
    runs.push_back(outputs.take());
  }
  for (const auto& [name, want] : *expected) {
    INFO("output '" << name << "'");
    REQUIRE(runs[0].count(name) == 1);
    std::string diff = compareTensors(runs[0].at(name), want, rtol, atol);
    INFO(diff);
    CHECK(diff.empty());
    for (int run = 1; run < 3; ++run) {
      const Tensor& a = runs[0].at(name);
      const Tensor& b = runs[size_t(run)].at(name);
      CHECK(std::memcmp(a.data(), b.data(), a.byteSize()) == 0);
    }
  }
}

}  // namespace nutshell::cudatest
