// print(parse(print(g))) == print(g), byte for byte, on hand-built graphs;
// the weights side file; elided constants; robustness of the parser on
// truncated and mutated input.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>

#include "IrTestUtil.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

using namespace nutshell;
using namespace nutshell::ir;
using nutshell::ir::test::T;

namespace {

std::string allOpsPath() { return std::string(NUTSHELL_TEST_DATA_DIR) + "/lit/Inputs/ir/all_ops.nsir"; }

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Prints, parses, verifies and prints again; returns the first print.
std::string roundTrip(const Graph& graph, const PrintOptions& options = {}) {
  std::string first = printGraph(graph, options);
  auto parsed = parseGraph(first, "first.nsir");
  INFO(first);
  REQUIRE(parsed);
  Status valid = verifyGraph(**parsed);
  INFO(valid.message());
  CHECK(valid);
  CHECK(printGraph(**parsed, options) == first);
  return first;
}

/// A small CNN built through the Graph API: symbolic batch, quoted names,
/// inline f32 and i64 constants, an elided constant, arena annotations.
std::unique_ptr<Graph> buildCnn() {
  auto g = std::make_unique<Graph>();
  g->name = "tiny cnn";
  Value* x = g->addInput("image:0", T("f32[N,3,8,8]"));
  std::vector<float> weights(4 * 3 * 3 * 3);
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = std::sin(float(i)) / 7.f;
  weights[0] = 0.1f;
  weights[1] = -0.f;
  weights[2] = std::numeric_limits<float>::denorm_min();
  weights[3] = std::numeric_limits<float>::max();
  weights[4] = std::numeric_limits<float>::infinity();
  weights[5] = std::numeric_limits<float>::quiet_NaN();
  Value* w = g->addConstant(makeF32({4, 3, 3, 3}, weights), "conv/weight");
  auto elided = std::make_shared<TensorData>();
  elided->type = T("f32[4]");
  elided->elided = true;
  Value* b = g->addConstant(elided, "conv bias");
  Node* conv = g->addNode(OpKind::Conv2d, {x, w, b}, {T("f32[N,4,8,8]")}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}},
                          {"conv:out:"});
  conv->result()->arenaOffset = 0;
  Node* relu = g->addNode(OpKind::Relu, {conv->result()}, {T("f32[N,4,8,8]")}, {}, {"a//b"});
  relu->result()->arenaOffset = 1024;
  Value* shape = g->addConstant(makeI64({2}, {0, -1}), "shape");
  Node* flat = g->addNode(OpKind::Reshape, {relu->result(), shape}, {T("f32[N,256]")}, {}, {"\xc3\xa9t\xe9\"q\""});
  Node* sm = g->addNode(OpKind::Softmax, {flat->result()}, {T("f32[N,256]")}, {{"axis", int64_t(-1)}}, {"0"});
  g->outputs.push_back(sm->result());
  g->arenaBytes = 4096;
  return g;
}

}  // namespace

TEST_CASE("all_ops.nsir covers every op and round-trips", "[roundtrip]") {
  auto graph = parseGraphFile(allOpsPath());
  INFO((graph.ok() ? std::string() : graph.message()));
  REQUIRE(graph);
  std::set<OpKind> seen;
  for (const auto& node : (*graph)->nodes()) seen.insert(node->op);
  for (size_t i = 0; i < kNumOps; ++i) {
    INFO("op " << opName(OpKind(i)));
    CHECK(seen.count(OpKind(i)) == 1);
  }
  std::string printed = roundTrip(**graph);
  // Printing is deterministic.
  CHECK(printGraph(**graph) == printed);
  CHECK(printed.find("arena 65536 {") != std::string::npos);
  CHECK(printed.find("%\"Y\", %\"Y_h\", %Y_c = lstm") == std::string::npos);  // names print bare when they can
  CHECK(printed.find("%Y, %Y_h, %Y_c = lstm") != std::string::npos);
}

TEST_CASE("API-built graph with odd names and special floats round-trips", "[roundtrip]") {
  auto g = buildCnn();
  REQUIRE(verifyGraph(*g));
  std::string text = roundTrip(*g);
  CHECK(text.find("graph @\"tiny cnn\"(%image:0: f32[N,3,8,8])") == 0);
  CHECK(text.find("%\"conv:out:\" = conv2d") != std::string::npos);
  CHECK(text.find("%\"a//b\"") != std::string::npos);
  CHECK(text.find("%conv/weight = const f32[4,3,3,3] dense<[0.1,-0.0,1e-45,3.4028235e+38,inf,nan,") !=
        std::string::npos);
  CHECK(text.find("%\"conv bias\" = const f32[4] <elided>") != std::string::npos);
  CHECK(text.find("@arena+1024") != std::string::npos);
  CHECK(text.find("%shape = const i64[2] dense<[0,-1]>") != std::string::npos);

  // Values come back bit-exact.
  auto parsed = parseGraph(text);
  REQUIRE(parsed);
  const Node& wNode = *(*parsed)->nodes()[0];
  const Node& original = *g->nodes()[0];
  REQUIRE(wNode.constant->f32.size() == original.constant->f32.size());
  CHECK(std::memcmp(wNode.constant->f32.data(), original.constant->f32.data(), 5 * sizeof(float)) == 0);
  for (size_t i = 6; i < original.constant->f32.size(); ++i) CHECK(wNode.constant->f32[i] == original.constant->f32[i]);
  CHECK(std::isnan(wNode.constant->f32[5]));
  CHECK((*parsed)->nodes()[1]->constant->elided);
  CHECK((*parsed)->arenaBytes == 4096);
}

TEST_CASE("multi-result lstm and empty graphs round-trip", "[roundtrip]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[T,B,2]"));
  Value* w = g.addInput("w", T("f32[1,12,2]"));
  Value* r = g.addInput("r", T("f32[1,12,3]"));
  Value* b = g.addInput("b", T("f32[1,24]"));
  Value* h = g.addInput("h", T("f32[1,B,3]"));
  Node* lstm = g.addNode(OpKind::Lstm, {x, w, r, b, h, h}, {T("f32[T,1,B,3]"), T("f32[1,B,3]"), T("f32[1,B,3]")},
                         {{"hidden_size", int64_t(3)}, {"clip", 0.5}}, {"y", "y_h", "y_c"});
  lstm->results[2]->arenaOffset = 64;
  g.outputs = {lstm->results[0], lstm->results[2]};
  REQUIRE(verifyGraph(g));
  std::string text = roundTrip(g);
  CHECK(text.find("  %y, %y_h, %y_c = lstm(%x, %w, %r, %b, %h, %h) {hidden_size=3, clip=0.5} : f32[T,1,B,3], "
                  "f32[1,B,3], f32[1,B,3] @arena+64\n") != std::string::npos);
  CHECK(text.find("return %y, %y_c\n}") != std::string::npos);
}

TEST_CASE("elided constants (--elide-constants) parse back as elided", "[roundtrip]") {
  auto g = buildCnn();
  PrintOptions elide;
  elide.elideConstants = true;
  std::string text = roundTrip(*g, elide);
  CHECK(text.find("dense<") == std::string::npos);
  auto parsed = parseGraph(text);
  REQUIRE(parsed);
  for (const auto& node : (*parsed)->nodes())
    if (node->op == OpKind::Const) CHECK(node->constant->elided);
  // Elided constants stay elided when printed without the option.
  CHECK(printGraph(**parsed) == text);
}

TEST_CASE("elideAbove elides only constants over the limit, and counts them", "[roundtrip]") {
  auto g = buildCnn();
  PrintOptions options;
  options.elideAbove = 4;
  std::string text = printGraph(*g, options);
  CHECK(text.find("%conv/weight = const f32[4,3,3,3] <elided>") != std::string::npos);
  CHECK(text.find("%shape = const i64[2] dense<[0,-1]>") != std::string::npos);  // small: printed
  int64_t large = 0;
  for (const auto& node : g->nodes())
    if (node->op == OpKind::Const && node->constant->numElements() > 4) ++large;
  CHECK(large > 0);
  CHECK(countElidedBySize(*g, options) == large);
  // The text parses; what was elided stays elided, and is not counted again.
  auto parsed = parseGraph(text);
  REQUIRE(parsed);
  CHECK(printGraph(**parsed) == text);
  CHECK(countElidedBySize(**parsed, options) == 0);
  // Without a limit nothing is elided.
  CHECK(countElidedBySize(*g, PrintOptions{}) == 0);
}

TEST_CASE("writeGraphFile puts large constants in the weights file", "[roundtrip]") {
  auto g = buildCnn();
  auto dir = std::filesystem::temp_directory_path() / ("nutshell_ir_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "cnn.nsir").string();
  PrintOptions options;
  options.inlineLimit = 4;
  REQUIRE(writeGraphFile(*g, path, options));
  std::string text = readFile(path);
  CHECK(text.find("%conv/weight = const f32[4,3,3,3] @weights[0]") != std::string::npos);
  CHECK(text.find("%shape = const i64[2] dense<[0,-1]>") != std::string::npos);  // small: inline
  CHECK(std::filesystem::exists(path + ".weights"));
  auto parsed = parseGraphFile(path);
  INFO((parsed.ok() ? std::string() : parsed.message()));
  REQUIRE(parsed);
  CHECK(printGraph(**parsed) == printGraph(*g));

  // Without the side file the reference is an error, not a crash.
  std::filesystem::remove(path + ".weights");
  auto missing = parseGraphFile(path);
  REQUIRE(!missing);
  CHECK_THAT(missing.message(), Catch::Contains("cannot read weights file"));
  // A corrupt side file is reported.
  std::string header("NSWEIGHT\x01\0\0\0\x05\0\0\0", 16);
  std::ofstream(path + ".weights", std::ios::binary).write(header.data(), std::streamsize(header.size()));
  auto corrupt = parseGraphFile(path);
  REQUIRE(!corrupt);
  CHECK_THAT(corrupt.message(), Catch::Contains("truncated"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("parser never crashes on truncated or mutated input", "[roundtrip][robustness]") {
  std::string text = readFile(allOpsPath());
  REQUIRE(!text.empty());
  // Every prefix.
  for (size_t n = 0; n < text.size(); ++n) {
    auto g = parseGraph(std::string_view(text).substr(0, n), "cut.nsir");
    if (!g) {
      CHECK(g.message().rfind("cut.nsir:", 0) == 0);
    } else {
      (void)verifyGraph(**g);
    }
  }
  // Random byte mutations, deletions and duplications.
  std::mt19937 rng(1234);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string mutated = text;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits && !mutated.empty(); ++e) {
      size_t pos = rng() % mutated.size();
      switch (rng() % 3) {
        case 0: mutated[pos] = char(rng() % 256); break;
        case 1: mutated.erase(pos, 1 + rng() % 8); break;
        default: mutated.insert(pos, mutated.substr(pos, 1 + rng() % 16)); break;
      }
    }
    auto g = parseGraph(mutated, "fuzz.nsir");
    if (g) {
      Status s = verifyGraph(**g);
      if (s) {
        std::string printed = printGraph(**g);
        auto again = parseGraph(printed, "again.nsir");
        INFO(printed);
        REQUIRE(again);
        CHECK(printGraph(**again) == printed);
      }
    }
  }
}

TEST_CASE("every element type round-trips, inline and through the weights file", "[roundtrip][dtype]") {
  Graph g;
  g.name = "types";
  for (DType dtype : kAllDTypes) {
    auto data = std::make_shared<TensorData>();
    data->type = TensorType(dtype, {Dim(6)});
    for (int64_t i = 0; i < 6; ++i) {
      if (isFloatType(dtype))
        data->f32.push_back(float(i) - 2.5f);
      else
        data->i64.push_back(dtype == DType::Bool ? i % 2 : dtype == DType::U8 ? 250 + i : i - 3);
    }
    Value* c = g.addConstant(data, std::string(dtypeName(dtype)) + "_c");
    Value* in = g.addInput(std::string(dtypeName(dtype)) + "_in", TensorType(dtype, {Dim::symbolic("N")}));
    g.outputs.push_back(c);
    g.outputs.push_back(in);
  }
  std::string text = printGraph(g);
  CHECK(text.find("%bool_c = const bool[6] dense<[0,1,0,1,0,1]>") != std::string::npos);
  CHECK(text.find("%u8_c = const u8[6] dense<[250,251,252,253,254,255]>") != std::string::npos);
  CHECK(text.find("%f64_in: f64[N]") != std::string::npos);
  auto parsed = parseGraph(text);
  INFO((parsed.ok() ? std::string() : parsed.message()));
  REQUIRE(parsed);
  CHECK(printGraph(**parsed) == text);

  auto dir = std::filesystem::temp_directory_path() / ("nutshell_ir_types_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "types.nsir").string();
  PrintOptions options;
  options.inlineLimit = 4;
  REQUIRE(writeGraphFile(g, path, options));
  CHECK(readFile(path).find("%i32_c = const i32[6] @weights[") != std::string::npos);
  auto fromFile = parseGraphFile(path);
  INFO((fromFile.ok() ? std::string() : fromFile.message()));
  REQUIRE(fromFile);
  CHECK(printGraph(**fromFile) == text);
  std::filesystem::remove_all(dir);
}
