// plan-memory and its checker: offsets, in-place reuse, destination chains,
// outputs outside the arena, and overlap detection on hand-broken plans.
#include "PassTestUtil.h"
#include "ir/MemoryPlan.h"

using namespace nutshell;
using namespace nutshell::passes;
using nutshell::ir::kArenaAlignment;
using nutshell::ir::verifyMemoryPlan;
using namespace nutshell::passes::testing;

namespace {

ir::Value* valueNamed(const ir::Graph& graph, const std::string& name) {
  for (const auto& node : graph.nodes())
    for (ir::Value* result : node->results)
      if (result->name == name) return result;
  FAIL("no value %" << name);
  return nullptr;
}

std::unique_ptr<ir::Graph> planned(const std::string& text) {
  auto graph = parse(text);
  return optimized(*graph, "plan-memory");
}

// %a dies at %b (relu: in place), %c needs its own buffer while %b lives.
const char* kChain = R"(graph @chain(%x: f32[4,16]) -> (f32[4,16]) {
  %w = const f32[16,16] <elided>
  %a = dense(%x, %w) : f32[4,16]
  %b = relu(%a) : f32[4,16]
  %c = dense(%b, %w) : f32[4,16]
  %d = sigmoid(%c) : f32[4,16]
  %e = add(%d, %b) : f32[4,16]
  return %e
}
)";

}  // namespace

TEST_CASE("plan-memory: aligned offsets, in place where the operand dies, outputs outside", "[passes][memory]") {
  auto graph = planned(kChain);
  REQUIRE(verifyMemoryPlan(*graph));
  ir::Value* a = valueNamed(*graph, "a");
  ir::Value* b = valueNamed(*graph, "b");
  ir::Value* c = valueNamed(*graph, "c");
  ir::Value* d = valueNamed(*graph, "d");
  ir::Value* e = valueNamed(*graph, "e");
  CHECK(a->arenaOffset == b->arenaOffset);  // relu in place
  CHECK(c->arenaOffset == d->arenaOffset);  // sigmoid in place
  CHECK(b->arenaOffset != c->arenaOffset);  // both live at %e
  CHECK(e->arenaOffset == -1);              // graph output
  CHECK(valueNamed(*graph, "w")->arenaOffset == -1);
  CHECK(graph->inputs[0]->arenaOffset == -1);
  for (ir::Value* v : {a, b, c, d}) CHECK(v->arenaOffset % kArenaAlignment == 0);
  CHECK(graph->arenaBytes == 2 * 256);  // two f32[4,16] buffers
  // Stable: a second run changes nothing.
  PassManager again;
  REQUIRE(again.addPipeline("plan-memory"));
  REQUIRE(again.run(*graph));
  CHECK(again.timings()[0].changed == 0);
}

TEST_CASE("plan-memory: no in place when the operand lives on or the types differ", "[passes][memory]") {
  auto graph = planned(R"(graph @g(%x: f32[4,16], %s: f32[16]) -> (f32[4,16]) {
  %a = relu(%x) : f32[4,16]
  %b = sigmoid(%a) : f32[4,16]
  %c = add(%b, %a) : f32[4,16]
  %v = relu(%s) : f32[16]
  %d = add(%v, %c) : f32[4,16]
  %f = relu(%d) : f32[4,16]
  return %f
}
)");
  REQUIRE(verifyMemoryPlan(*graph));
  // %a is still needed by %c, so %b cannot overwrite it.
  CHECK(valueNamed(*graph, "b")->arenaOffset != valueNamed(*graph, "a")->arenaOffset);
  // %c may overwrite %b (dies at %c, same type) -- or %a.
  int64_t c = valueNamed(*graph, "c")->arenaOffset;
  CHECK((c == valueNamed(*graph, "b")->arenaOffset || c == valueNamed(*graph, "a")->arenaOffset));
  // %d = add(%v[16], %c[4,16]): %v is broadcast, so only %c may be reused.
  CHECK(valueNamed(*graph, "d")->arenaOffset == c);
  CHECK(valueNamed(*graph, "f")->arenaOffset == -1);
}

TEST_CASE("plan-memory: dest chains share one buffer, or live in the output", "[passes][memory]") {
  // Concat elimination: two convs write channel slices of one buffer.
  const char* inArena = R"(graph @g(%x: f32[1,2,4,4]) -> (f32[1,4,4,4]) {
  %w = const f32[2,2,1,1] <elided>
  %b = const f32[2] <elided>
  %buf = empty() : f32[1,4,4,4]
  %c1 = fused_conv2d(%x, %w, %b, %buf) {dest_offset=0} : f32[1,4,4,4]
  %c2 = fused_conv2d(%x, %w, %b, %c1) {dest_offset=2} : f32[1,4,4,4]
  %y = relu(%c2) : f32[1,4,4,4]
  return %y
}
)";
  auto graph = planned(inArena);
  REQUIRE(verifyMemoryPlan(*graph));
  int64_t buf = valueNamed(*graph, "buf")->arenaOffset;
  CHECK(buf >= 0);
  CHECK(valueNamed(*graph, "c1")->arenaOffset == buf);
  CHECK(valueNamed(*graph, "c2")->arenaOffset == buf);
  CHECK(valueNamed(*graph, "y")->arenaOffset == -1);

  // The same chain ending in the graph output: all of it lives there.
  std::string asOutput = inArena;
  asOutput.replace(asOutput.find("  %y = relu(%c2) : f32[1,4,4,4]\n  return %y"), std::string::npos,
                   "  return %c2\n}\n");
  auto outside = planned(asOutput);
  REQUIRE(verifyMemoryPlan(*outside));
  for (const char* name : {"buf", "c1", "c2"}) CHECK(valueNamed(*outside, name)->arenaOffset == -1);
  CHECK(outside->arenaBytes == 0);

  // A dest with another use would be clobbered: plan-memory refuses.
  std::string reused = inArena;
  reused.replace(reused.find("%y = relu(%c2)"), std::string("%y = relu(%c2)").size(), "%y = add(%c2, %c1)");
  auto bad = parse(reused);
  PassManager manager;
  REQUIRE(manager.addPipeline("plan-memory"));
  Status status = manager.run(*bad);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::Contains("node 'c2' (fused_conv2d) writes into %c1 in place, but %c1 has other uses"));

  // So would a dest the caller receives as an output; the checker agrees.
  std::string returned = inArena;
  returned.replace(returned.find("-> (f32[1,4,4,4])"), std::string("-> (f32[1,4,4,4])").size(),
                   "-> (f32[1,4,4,4], f32[1,4,4,4])");
  returned.replace(returned.find("return %y"), std::string("return %y").size(), "return %y, %c1");
  auto exposed = parse(returned);
  status = manager.run(*exposed);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(),
             Catch::Contains("node 'c2' (fused_conv2d) writes into %c1 in place, but %c1 is a graph output"));
  exposed->arenaBytes = 0;
  CHECK_THAT(verifyMemoryPlan(*exposed).message(), Catch::Contains("%c1 is a graph output"));
}

TEST_CASE("verifyMemoryPlan catches hand-broken plans", "[passes][memory]") {
  auto graph = planned(kChain);
  REQUIRE(verifyMemoryPlan(*graph));
  ir::Value* b = valueNamed(*graph, "b");
  ir::Value* c = valueNamed(*graph, "c");
  ir::Value* d = valueNamed(*graph, "d");

  SECTION("overlap of two values live at the same time") {
    // %b is live until %e; %c starts before that.
    c->arenaOffset = b->arenaOffset;
    d->arenaOffset = b->arenaOffset;
    Status status = verifyMemoryPlan(*graph);
    REQUIRE_FALSE(status);
    CHECK_THAT(status.message(), Catch::Contains("%b") && Catch::Contains("%c") &&
                                     Catch::Contains("overlap while both are live"));
  }
  SECTION("partial overlap") {
    c->arenaOffset = b->arenaOffset + 128;
    d->arenaOffset = c->arenaOffset;
    graph->arenaBytes += 128;
    REQUIRE_FALSE(verifyMemoryPlan(*graph));
  }
  SECTION("misaligned offset") {
    c->arenaOffset += 4;
    Status status = verifyMemoryPlan(*graph);
    REQUIRE_FALSE(status);
    CHECK_THAT(status.message(), Catch::Contains("not a multiple of 64"));
  }
  SECTION("past the end of the arena") {
    graph->arenaBytes = 256;
    Status status = verifyMemoryPlan(*graph);
    REQUIRE_FALSE(status);
    CHECK_THAT(status.message(), Catch::Contains("ends past the arena"));
  }
  SECTION("unplanned intermediate, planned output") {
    b->arenaOffset = -1;
    CHECK_THAT(verifyMemoryPlan(*graph).message(), Catch::Contains("%b is not planned"));
    b->arenaOffset = 0;
    valueNamed(*graph, "e")->arenaOffset = 0;
    CHECK_THAT(verifyMemoryPlan(*graph).message(), Catch::Contains("%e (graph output) lives outside the arena"));
  }
  SECTION("--verify-each runs the checker after every pass once planned") {
    class ShiftPass final : public Pass {
    public:
      std::string_view name() const override { return "shift"; }
      Expected<bool> run(ir::Graph& g, PassContext&) override {
        for (const auto& node : g.nodes())
          for (ir::Value* r : node->results)
            if (r->arenaOffset > 0) r->arenaOffset = 0;
        return true;
      }
    };
    PassManager manager;
    manager.addPass(std::make_unique<ShiftPass>());
    manager.instrumentation().verifyEach = true;
    Status status = manager.run(*graph);
    REQUIRE_FALSE(status);
    CHECK_THAT(status.message(), Catch::StartsWith("pass 'shift' left an invalid memory plan: "));
  }
}

TEST_CASE("plan-memory leaves graphs with symbolic dims unplanned", "[passes][memory]") {
  auto graph = planned(R"(graph @g(%x: f32[N,4]) -> (f32[N,4]) {
  %a = relu(%x) : f32[N,4]
  %b = sigmoid(%a) : f32[N,4]
  return %b
}
)");
  CHECK(graph->arenaBytes == -1);
  CHECK(valueNamed(*graph, "a")->arenaOffset == -1);
}
