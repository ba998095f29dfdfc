// Buffer assignment: every value's location comes from the memory plan
// (arena offsets; graph outputs and the dest chains ending in them in the
// caller's buffers; inputs and constants outside), output copies for outputs
// stored elsewhere, and errors for unplanned or broken plans.
#include <catch2/catch.hpp>

#include "backends/common/BufferAssignment.h"
#include "ir/MemoryPlan.h"
#include "ir/Parser.h"

using namespace nutshell;
using common::BufferLocation;

namespace {

std::unique_ptr<ir::Graph> parsed(const char* text) {
  auto graph = ir::parseGraph(text);
  if (!graph) FAIL(graph.message());
  return graph.take();
}

const ir::Value* valueNamed(const ir::Graph& graph, const std::string& name) {
  for (const ir::Value* input : graph.inputs)
    if (input->name == name) return input;
  for (const auto& node : graph.nodes())
    for (const ir::Value* result : node->results)
      if (result->name == name) return result;
  FAIL("no value %" << name);
  return nullptr;
}

// %c2 writes into %c1 writes into %buf; %c2 is the first output, %x (an
// input) the second, %c2 again the third.
const char* kConcatChain =
    R"(graph @g(%x: f32[1,2,4,4]) -> (f32[1,4,4,4], f32[1,2,4,4], f32[1,4,4,4], f32[1,2,4,4]) {
  %w = const f32[2,2,1,1] <elided>
  %b = const f32[2] <elided>
  %r = relu(%x) : f32[1,2,4,4]
  %s = sigmoid(%r) : f32[1,2,4,4]
  %buf = empty() : f32[1,4,4,4]
  %c1 = fused_conv2d(%s, %w, %b, %buf) {dest_offset=0} : f32[1,4,4,4]
  %c2 = fused_conv2d(%r, %w, %b, %c1) {dest_offset=2} : f32[1,4,4,4]
  %t = tanh(%s) : f32[1,2,4,4]
  return %c2, %x, %c2, %t
}
)";

}  // namespace

TEST_CASE("buffer assignment reads the memory plan", "[common][buffers]") {
  auto graph = parsed(kConcatChain);
  REQUIRE(ir::planMemory(*graph));
  REQUIRE(graph->arenaBytes > 0);
  auto assigned = common::assignBuffers(*graph);
  INFO((assigned ? std::string() : assigned.message()));
  REQUIRE(assigned);
  const common::BufferAssignment& a = *assigned;

  CHECK(a.workspaceBytes == (graph->arenaBytes + 63) / 64 * 64);
  CHECK(a.at(valueNamed(*graph, "x")).kind == BufferLocation::Input);
  CHECK(a.at(valueNamed(*graph, "w")).kind == BufferLocation::Constant);
  // The dest chain ending in output 0 lives in output 0's buffer.
  for (const char* name : {"buf", "c1", "c2"}) {
    INFO(name);
    CHECK(a.at(valueNamed(*graph, name)).kind == BufferLocation::Output);
    CHECK(a.at(valueNamed(*graph, name)).index == 0);
  }
  CHECK(a.sameBuffer(valueNamed(*graph, "buf"), valueNamed(*graph, "c2")));
  CHECK(a.at(valueNamed(*graph, "t")).kind == BufferLocation::Output);
  CHECK(a.at(valueNamed(*graph, "t")).index == 3);
  // Intermediates sit exactly where plan-memory put them.
  for (const char* name : {"r", "s"}) {
    const ir::Value* v = valueNamed(*graph, name);
    INFO(name);
    CHECK(a.at(v).kind == BufferLocation::Arena);
    CHECK(a.at(v).offset == v->arenaOffset);
  }
  CHECK_FALSE(a.sameBuffer(valueNamed(*graph, "r"), valueNamed(*graph, "s")));  // %r lives on past %s
  // The input returned as output 1 and the repeated %c2 (output 2) are copied.
  REQUIRE(a.outputCopies.size() == 2);
  CHECK(a.outputCopies[0] == std::make_pair(valueNamed(*graph, "x"), size_t(1)));
  CHECK(a.outputCopies[1] == std::make_pair(valueNamed(*graph, "c2"), size_t(2)));
}

TEST_CASE("buffer assignment refuses graphs without a valid plan", "[common][buffers]") {
  auto graph = parsed(kConcatChain);
  CHECK_THAT(common::assignBuffers(*graph).message(), Catch::Contains("no memory plan; run plan-memory"));

  // withMemoryPlan plans a clone and leaves the original alone.
  std::unique_ptr<ir::Graph> storage;
  auto planned = common::withMemoryPlan(*graph, storage);
  REQUIRE(planned);
  CHECK(*planned == storage.get());
  CHECK(graph->arenaBytes == -1);
  CHECK(common::assignBuffers(**planned));

  // A plan broken by hand (two live values on one offset) is refused.
  REQUIRE(ir::planMemory(*graph));
  const_cast<ir::Value*>(valueNamed(*graph, "s"))->arenaOffset = valueNamed(*graph, "r")->arenaOffset;
  CHECK_THAT(common::assignBuffers(*graph).message(), Catch::Contains("memory plan is invalid"));

  // Symbolic dims cannot be planned.
  auto symbolic = parsed(R"(graph @g(%x: f32[N,4]) -> (f32[N,4]) {
  %y = relu(%x) : f32[N,4]
  return %y
}
)");
  CHECK_THAT(common::withMemoryPlan(*symbolic, storage).message(), Catch::Contains("symbolic dims"));
}
