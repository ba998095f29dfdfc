// The pass manager: pipeline strings (parse, print, errors), fixpoint,
// options, and the instrumentation behind the tools' dump flags.
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "PassTestUtil.h"
#include "passes/PassRegistry.h"
#include "passes/PipelineOptions.h"
#include "passes/Pipelines.h"

using namespace nutshell;
using namespace nutshell::passes;
using namespace nutshell::passes::testing;

namespace {

const char* kSmall = R"(graph @small(%x: f32[2,4]) -> (f32[2,4]) {
  %a = identity(%x) : f32[2,4]
  %b = relu(%a) : f32[2,4]
  %c = relu(%a) : f32[2,4]
  %d = add(%b, %c) : f32[2,4]
  %dead = sigmoid(%x) : f32[2,4]
  return %d
}
)";

/// Breaks the graph: gives a relu a result type its operand does not have.
class BreakTypesPass final : public Pass {
public:
  std::string_view name() const override { return "break-types"; }
  Expected<bool> run(ir::Graph& graph, PassContext&) override {
    for (const auto& node : graph.nodes())
      if (node->op == ir::OpKind::Relu) {
        node->result()->type = ir::TensorType::f32({7});
        return true;
      }
    return false;
  }
};

/// Records the options it was given.
class RecordOptionsPass final : public Pass {
public:
  explicit RecordOptionsPass(std::map<std::string, std::string>& seen) : seen_(seen) {}
  std::string_view name() const override { return "record-options"; }
  Expected<bool> run(ir::Graph&, PassContext& context) override {
    seen_ = context.options;
    return false;
  }

private:
  std::map<std::string, std::string>& seen_;
};

/// Reports a change on every run (a fixpoint must still stop).
class AlwaysChangesPass final : public Pass {
public:
  explicit AlwaysChangesPass(int& runs) : runs_(runs) {}
  std::string_view name() const override { return "always-changes"; }
  Expected<bool> run(ir::Graph&, PassContext&) override {
    ++runs_;
    return true;
  }

private:
  int& runs_;
};

}  // namespace

TEST_CASE("every Passes.def row is registered and creates a pass of that name", "[passes][registry]") {
  REQUIRE(registeredPasses().size() >= 6);
  for (const PassInfo& info : registeredPasses()) {
    auto pass = createPass(info.name);
    REQUIRE(pass);
    CHECK((*pass)->name() == info.name);
  }
  auto unknown = createPass("no-such-pass");
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.message(), Catch::Contains("unknown pass 'no-such-pass'") && Catch::Contains("dce"));
}

TEST_CASE("pipeline strings parse and print back to the same string", "[passes][pipeline]") {
  for (std::string text : {"dce", "canonicalize,infer-shapes,fixpoint(fold-constants,dce,cse),plan-memory",
                           "fold-constants{max-elements=16},fixpoint{max-iterations=3}(cse,dce)",
                           "fixpoint(fixpoint(dce),cse)"}) {
    auto steps = parsePipeline(text);
    INFO(text);
    REQUIRE(steps);
    CHECK(printPipeline(*steps) == text);
  }
  // Whitespace is ignored and options print sorted.
  auto spaced = parsePipeline(" dce , fixpoint( cse ,dce ) , fold-constants{ max-elements = 5 } ");
  REQUIRE(spaced);
  CHECK(printPipeline(*spaced) == "dce,fixpoint(cse,dce),fold-constants{max-elements=5}");
  auto empty = parsePipeline("");
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("the -O pipelines print strings that parse back", "[passes][pipeline]") {
  for (int level : {0, 2}) {
    auto text = pipelineForLevel(level);
    REQUIRE(text);
    auto steps = parsePipeline(*text);
    REQUIRE(steps);
    CHECK(printPipeline(*steps) == *text);
  }
  auto o2 = pipelineForLevel(2);
  CHECK_THAT(*o2, Catch::StartsWith("canonicalize,infer-shapes,fixpoint(fold-constants,dce,cse),canonicalize"));
  CHECK_THAT(*o2, Catch::EndsWith("plan-memory"));
  if (isPassRegistered("fuse")) CHECK_THAT(*o2, Catch::Contains(",fuse,"));
  if (isPassRegistered("select-conv-algo")) CHECK_THAT(*o2, Catch::Contains(",select-conv-algo{mode=auto},"));
  CHECK_FALSE(pipelineForLevel(1));
}

TEST_CASE("pipeline syntax errors say where", "[passes][pipeline]") {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"dce,nope", "column 5: unknown pass 'nope'"},
      {"dce,", "column 5: expected a pass name"},
      {"fixpoint(dce", "expected ')'"},
      {"fixpoint dce", "expected '(' after fixpoint"},
      {"dce{a=1", "expected '}'"},
      {"dce{=1}", "expected an option name"},
      {"dce)", "unexpected ')'"},
      {"fixpoint{max-iterations=0}(dce)", "positive integer"},
      {"fixpoint{depth=2}(dce)", "max-iterations"},
  };
  for (const Case& c : cases) {
    auto steps = parsePipeline(c.text);
    INFO(c.text);
    REQUIRE_FALSE(steps);
    CHECK_THAT(steps.message(), Catch::Contains(c.message));
  }
}

TEST_CASE("a pass that leaves the graph invalid is named by --verify-each", "[passes][verify]") {
  auto graph = parse(kSmall);
  PassManager manager;
  REQUIRE(manager.addPipeline("dce"));
  manager.addPass(std::make_unique<BreakTypesPass>());
  REQUIRE(manager.addPipeline("cse"));
  manager.instrumentation().verifyEach = true;
  Status status = manager.run(*graph);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::StartsWith("pass 'break-types' left the graph invalid: "));
  CHECK_THAT(status.message(), Catch::Contains("f32[7]"));
  // The passes after it did not run.
  REQUIRE(manager.timings().size() == 2);
  CHECK(manager.timings()[1].name == "break-types");

  // Without --verify-each nothing checks.
  auto again = parse(kSmall);
  PassManager unchecked;
  unchecked.addPass(std::make_unique<BreakTypesPass>());
  CHECK(unchecked.run(*again));
}

TEST_CASE("pass errors carry the pass name; options reach the pass", "[passes][pipeline]") {
  auto graph = parse(kSmall);
  PassManager manager;
  REQUIRE(manager.addPipeline("fold-constants{bogus=1}"));
  Status status = manager.run(*graph);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::StartsWith("pass 'fold-constants' failed: ") &&
                                   Catch::Contains("no option 'bogus'") && Catch::Contains("max-elements"));

  std::map<std::string, std::string> seen;
  PassManager recording;
  recording.addPass(std::make_unique<RecordOptionsPass>(seen), {{"mode", "auto"}, {"k", "v"}});
  REQUIRE(recording.run(*graph));
  CHECK(seen == std::map<std::string, std::string>{{"mode", "auto"}, {"k", "v"}});
  CHECK(recording.pipelineString() == "record-options{k=v,mode=auto}");
  CHECK(recording.context().options.empty());  // options are per pass
}

TEST_CASE("fixpoint reruns until nothing changes, at most max-iterations times", "[passes][pipeline]") {
  auto graph = parse(kSmall);
  PassManager manager;
  REQUIRE(manager.addPipeline("fixpoint(cse,dce,canonicalize)"));
  REQUIRE(manager.run(*graph));
  // Round 1 changes (cse merges the relus, dce drops %dead, canonicalize
  // drops the identity), round 2 confirms nothing is left.
  for (const PassTiming& t : manager.timings()) {
    CHECK(t.runs == 2);
    CHECK(t.changed == 1);
  }
  CHECK(graph->nodes().size() == 2);

  // A pass that always "changes" is stopped by the cap.
  int runs = 0;
  auto steps = parsePipeline("fixpoint{max-iterations=4}(dce)");
  REQUIRE(steps);
  (*steps)[0].body[0].pass = std::make_unique<AlwaysChangesPass>(runs);
  (*steps)[0].body[0].name = "always-changes";
  PassManager capped;
  capped.addSteps(steps.take());
  REQUIRE(capped.run(*graph));
  CHECK(runs == 4);
  CHECK(capped.pipelineString() == "fixpoint{max-iterations=4}(always-changes)");
}

TEST_CASE("instrumentation: print before/after, stop-after, dump dir, timings", "[passes][instrumentation]") {
  auto graph = parse(kSmall);
  PassManager manager;
  REQUIRE(manager.addPipeline("canonicalize,fixpoint(cse,dce),plan-memory"));
  std::ostringstream dumps;
  auto& inst = manager.instrumentation();
  inst.dumpStream = &dumps;
  inst.printBefore = {"cse"};
  inst.printAfter = {"plan-memory"};
  inst.stopAfter = "";
  auto dir = std::filesystem::temp_directory_path() / ("nutshell-pass-dumps-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  inst.dumpDir = dir.string();
  REQUIRE(manager.run(*graph));
  std::string text = dumps.str();
  CHECK_THAT(text, Catch::Contains("// -----// IR Dump Before cse (fixpoint iteration 1) //----- //"));
  CHECK_THAT(text, Catch::Contains("// -----// IR Dump Before cse (fixpoint iteration 2) //----- //"));
  CHECK_THAT(text, Catch::Contains("IR Dump After plan-memory (arena peak "));
  CHECK_THAT(text, Catch::Contains(" arena "));  // the graph header of a planned graph
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"00-input.nsir", "01-canonicalize.nsir", "02-cse.nsir", "03-dce.nsir",
                                          "04-cse.nsir", "05-dce.nsir", "06-plan-memory.nsir"});
  // Each dump parses back.
  for (const std::string& file : files) {
    std::ifstream in(dir / file);
    std::stringstream content;
    content << in.rdbuf();
    INFO(file);
    CHECK(ir::parseGraph(content.str(), file));
  }
  std::filesystem::remove_all(dir);

  std::ostringstream table;
  manager.printTimings(table, *graph);
  CHECK_THAT(table.str(), Catch::Contains("canonicalize") && Catch::Contains("total") &&
                              Catch::Contains("arena peak bytes: "));

  // stop-after ends the run after the first run of that pass.
  auto stopped = parse(kSmall);
  PassManager stopping;
  REQUIRE(stopping.addPipeline("fixpoint(cse,dce),plan-memory"));
  stopping.instrumentation().stopAfter = "cse";
  REQUIRE(stopping.run(*stopped));
  CHECK(stopping.stopped());
  REQUIRE(stopping.timings().size() == 1);
  CHECK(stopped->arenaBytes == -1);

  // Flags naming passes that are not in the pipeline are typos.
  PassManager typo;
  REQUIRE(typo.addPipeline("dce"));
  typo.instrumentation().printAfter = {"cse"};
  Status status = typo.run(*stopped);
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::Contains("--print-ir-after=cse: no pass 'cse' in the pipeline 'dce'"));
}

TEST_CASE("pipeline flags are consumed one argument at a time", "[passes][flags]") {
  PipelineOptions options;
  for (const char* arg : {"--passes=dce,cse", "--print-ir-after-all", "--print-ir-after=cse", "--print-ir-before=dce",
                          "--ir-dump-dir=out", "--verify-each", "--time-passes", "--print-pipeline",
                          "--stop-after=cse", "--conv-algo=fft", "--conv-algo=%conv1=winograd", "--conv-algo=c2=direct"}) {
    auto consumed = consumePipelineFlag(arg, options);
    INFO(arg);
    REQUIRE(consumed);
    CHECK(*consumed);
  }
  CHECK(*options.passes == "dce,cse");
  CHECK(options.printIrAfterAll);
  CHECK(options.printIrAfter == std::set<std::string>{"cse"});
  CHECK(options.printIrBefore == std::set<std::string>{"dce"});
  CHECK(options.irDumpDir == "out");
  CHECK(options.verifyEach);
  CHECK(options.timePasses);
  CHECK(options.printPipeline);
  CHECK(options.stopAfter == "cse");
  CHECK(options.convAlgo == "fft");
  CHECK(options.convAlgoPerNode == std::map<std::string, std::string>{{"conv1", "winograd"}, {"c2", "direct"}});
  CHECK(*options.pipeline() == "dce,cse");

  auto other = consumePipelineFlag("--input-shape=x=1x2", options);
  REQUIRE(other);
  CHECK_FALSE(*other);
  CHECK_FALSE(consumePipelineFlag("--conv-algo=magic", options));
  CHECK_FALSE(consumePipelineFlag("--conv-algo=c1=magic", options));
  CHECK_FALSE(consumePipelineFlag("-O3", options));
  CHECK_FALSE(consumePipelineFlag("--stop-after=", options));

  PipelineOptions o0;
  REQUIRE(*consumePipelineFlag("-O0", o0));
  CHECK(*o0.pipeline() == *pipelineForLevel(0));
  REQUIRE(*consumePipelineFlag("--passes=dce", o0));
  CHECK_FALSE(o0.pipeline());  // --passes and -O exclude each other
  PipelineOptions none;
  CHECK(*none.pipeline() == *pipelineForLevel(2));
  CHECK_FALSE(none.anyFlagGiven);

  // --print-pipeline prints the selected pipeline but selects none itself.
  PipelineOptions printOnly;
  REQUIRE(*consumePipelineFlag("--print-pipeline", printOnly));
  CHECK(printOnly.printPipeline);
  CHECK_FALSE(printOnly.anyFlagGiven);
  CHECK_FALSE(printOnly.optLevel);
  CHECK(*printablePipeline(printOnly) == *pipelineForLevel(2));
  REQUIRE(*consumePipelineFlag("-O0", printOnly));
  CHECK(printOnly.anyFlagGiven);
  CHECK(*printablePipeline(printOnly) == *pipelineForLevel(0));
  PipelineOptions badPass;
  REQUIRE(*consumePipelineFlag("--passes=dce,nope", badPass));
  CHECK_FALSE(printablePipeline(badPass));
}

TEST_CASE("runPipeline prints the pipeline and the time table to the dump stream", "[passes][flags]") {
  auto graph = parse(kSmall);
  PipelineOptions options;
  for (const char* arg : {"-O2", "--print-pipeline", "--time-passes", "--verify-each"})
    REQUIRE(*consumePipelineFlag(arg, options));
  std::ostringstream out;
  Status status = runPipeline(*graph, options, out);
  INFO(out.str());
  REQUIRE(status);
  std::string text = out.str();
  std::string firstLine = text.substr(0, text.find('\n'));
  CHECK(firstLine == *pipelineForLevel(2));
  CHECK_THAT(text, Catch::Contains("pass execution times") && Catch::Contains("plan-memory") &&
                       Catch::Contains("arena peak bytes: "));
  CHECK(graph->arenaBytes >= 0);
}

TEST_CASE("the -O2 pipeline on a 2,400-node graph stays far below a second", "[passes][time]") {
  // 300 blocks of conv, duplicate relus, add, a reshape round trip and an
  // identity: every clean-up pass has work on every block.
  std::string text = "graph @big(%x: f32[1,8,16,16]) -> (f32[1,8,16,16]) {\n  %w = const f32[8,8,3,3] <elided>\n";
  std::string prev = "x";
  for (int i = 0; i < 300; ++i) {
    std::string n = std::to_string(i);
    text += "  %s" + n + " = const f32[8] <elided>\n";
    text += "  %c" + n + " = conv2d(%" + prev + ", %w) {pads=[1,1,1,1]} : f32[1,8,16,16]\n";
    text += "  %r" + n + " = relu(%c" + n + ") : f32[1,8,16,16]\n";
    text += "  %q" + n + " = relu(%c" + n + ") : f32[1,8,16,16]\n";
    text += "  %a" + n + " = add(%r" + n + ", %q" + n + ") : f32[1,8,16,16]\n";
    text += "  %f" + n + " = reshape(%a" + n + ") {shape=[1,2048]} : f32[1,2048]\n";
    text += "  %g" + n + " = reshape(%f" + n + ") {shape=[1,8,16,16]} : f32[1,8,16,16]\n";
    text += "  %i" + n + " = identity(%g" + n + ") : f32[1,8,16,16]\n";
    prev = "i" + n;
  }
  text += "  return %" + prev + "\n}\n";
  auto graph = parse(text);
  REQUIRE(graph->nodes().size() == 2401);
  PassManager manager;
  REQUIRE(manager.addPipeline(*pipelineForLevel(2)));
  REQUIRE(manager.run(*graph));
  std::ostringstream table;
  manager.printTimings(table, *graph);
  std::printf("%s", table.str().c_str());
  double total = 0;
  for (const PassTiming& t : manager.timings()) total += t.ms;
  // About 60 ms in a release build; the bound leaves room for slow machines
  // and sanitizer builds but catches quadratic blow-ups.
  CHECK(total < 2000.0);
  CHECK(graph->arenaBytes >= 0);
  size_t relus = 0, identities = 0;
  for (const auto& node : graph->nodes()) {
    relus += node->op == ir::OpKind::Relu;
    identities += node->op == ir::OpKind::Identity || node->op == ir::OpKind::Reshape;
  }
  CHECK(identities == 0);  // canonicalize: identities and reshape round trips
  if (isPassRegistered("fuse"))
    CHECK(relus == 0);  // merged by cse, then fused into the convs
  else
    CHECK(relus == 300);  // merged by cse
}
