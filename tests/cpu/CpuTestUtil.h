// Shared helpers of the CPU backend tests: random inputs (a fixed seed,
// printed on failure; NUTSHELL_TEST_SEED=S explores others), graph building with inferred types,
// and the comparison against the reference interpreter.
//
// Tolerance: |cpu - reference| <= atol + rtol * |reference| with rtol = 1e-4,
// atol = 1e-5 (the reference accumulates in double; the CPU backend in f32
// with FMAs and polynomial exp/tanh). Results for 1 and 2 threads must be
// bitwise identical.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "backends/BackendRegistry.h"
#include "backends/cpu/CpuBackend.h"
#include "backends/reference/ReferenceInterpreter.h"
#include "ir/ShapeInference.h"
#include "runtime/ThreadPool.h"
#include "tests/TestSeed.h"

namespace nutshell::cputest {

inline constexpr double kRtol = 1e-4;
inline constexpr double kAtol = 1e-5;

using test::testSeed;

/// The backend these numeric tests check against the reference interpreter,
/// found by name in the registry: "cpu", or NUTSHELL_TEST_BACKEND (so a new
/// backend runs every numeric test with one setting).
inline std::string backendUnderTestName() {
  const char* env = std::getenv("NUTSHELL_TEST_BACKEND");
  return env && *env ? env : "cpu";
}

inline std::unique_ptr<Backend> backendUnderTest() {
  auto backend = createBackend(backendUnderTestName());
  if (!backend) FAIL(backend.message());
  return backend.take();
}

/// A generator per test case, derived from the run's seed and the case name.
inline std::mt19937_64 makeRng(const std::string& name) {
  return std::mt19937_64(test::seedFor(name));
}

inline Tensor randomTensor(const std::vector<int64_t>& shape, std::mt19937_64& rng, float lo = -2.f, float hi = 2.f) {
  Tensor t(ElementType::F32, shape);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i) t.f32()[i] = dist(rng);
  return t;
}

inline ir::TensorDataPtr randomData(const std::vector<int64_t>& shape, std::mt19937_64& rng, float lo = -1.f,
                                    float hi = 1.f) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> values(static_cast<size_t>(n));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : values) v = dist(rng);
  return ir::makeF32(shape, std::move(values));
}

/// Empty when close; else the first mismatches.
inline std::string compareTensors(const Tensor& actual, const Tensor& expected, double rtol = kRtol,
                                  double atol = kAtol) {
  if (actual.type() != expected.type() || actual.shape() != expected.shape())
    return fmt::format("type {} vs expected {}", actual.typeString(), expected.typeString());
  std::string report;
  int bad = 0;
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double a = actual.valueAt(i);
    double e = expected.valueAt(i);
    bool ok = (std::isnan(a) && std::isnan(e)) || a == e || std::fabs(a - e) <= atol + rtol * std::fabs(e);
    if (!ok && bad++ < 5) report += fmt::format("  [{}] got {} expected {}\n", i, a, e);
  }
  if (bad) report = fmt::format("{} of {} elements differ:\n", bad, actual.numElements()) + report;
  return report;
}

inline bool bitwiseEqual(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.byteSize()) == 0;
}

/// Appends a node whose result types come from the shape rules.
inline ir::Node* addOp(ir::Graph& g, ir::OpKind op, std::vector<ir::Value*> operands, ir::AttrMap attrs = {}) {
  int numResults = ir::opInfo(op).numResults;
  ir::Node* node = g.addNode(op, operands, std::vector<ir::TensorType>(numResults, ir::TensorType::f32({1})), attrs);
  auto types = ir::inferResultTypes(*node);
  INFO("shape inference of " << ir::opName(op) << ": " << (types ? std::string() : types.message()));
  REQUIRE(types.ok());
  for (int i = 0; i < numResults; ++i) node->results[i]->type = (*types)[i];
  return node;
}
inline ir::Value* op(ir::Graph& g, ir::OpKind kind, std::vector<ir::Value*> operands, ir::AttrMap attrs = {}) {
  return addOp(g, kind, std::move(operands), std::move(attrs))->result();
}

inline Expected<TensorMap> runCpu(const ir::Graph& graph, const TensorMap& inputs, int threads) {
  auto backend = backendUnderTest();
  BackendOptions options;
  options.threads = threads;
  NUTSHELL_ASSIGN(CompileResult compiled, backend->compile(graph, options));
  return compiled.executable->run(inputs);
}

/// Runs `graph` on the reference interpreter and on the CPU backend with 1
/// and 2 threads; checks closeness to the reference and bitwise equality
/// between the thread counts.
inline void checkAgainstReference(const ir::Graph& graph, const TensorMap& inputs, double rtol = kRtol,
                                  double atol = kAtol) {
  auto expected = reference::runGraph(graph, inputs);
  INFO("reference: " << (expected ? std::string() : expected.message()));
  REQUIRE(expected.ok());
  // One compile, run with 1 and with 2 threads (threads=0 follows the
  // calling thread's setting).
  auto backend = backendUnderTest();
  auto compiled = backend->compile(graph, BackendOptions{});
  INFO("cpu compile: " << (compiled ? std::string() : compiled.message()));
  REQUIRE(compiled.ok());
  auto runWith = [&](int threads) {
    ScopedNumThreads scope(threads);
    return compiled->executable->run(inputs);
  };
  auto one = runWith(1);
  INFO("cpu (1 thread): " << (one ? std::string() : one.message()));
  REQUIRE(one.ok());
  auto two = runWith(2);
  INFO("cpu (2 threads): " << (two ? std::string() : two.message()));
  REQUIRE(two.ok());
  for (const auto& [name, want] : *expected) {
    INFO("output '" << name << "' (" << test::describeSeed(testSeed()) << ")");
    REQUIRE(one->count(name) == 1);
    std::string diff = compareTensors(one->at(name), want, rtol, atol);
    INFO(diff);
    CHECK(diff.empty());
    CHECK(bitwiseEqual(one->at(name), two->at(name)));
  }
}

}  // namespace nutshell::cputest
