// Every example network builds, verifies, has the documented input/output
// types, prints, and round-trips through the text form byte for byte.
#include <catch2/catch.hpp>

#include <map>

#include "examples/Networks.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

using namespace nutshell;

namespace {

/// Expected (input, output) types per network at batch 2.
const std::map<std::string, std::pair<std::string, std::string>>& expectedTypes() {
  static const std::map<std::string, std::pair<std::string, std::string>> types = {
      {"logreg", {"f32[2,1,28,28]", "f32[2,10]"}},
      {"mlp", {"f32[2,1,28,28]", "f32[2,10]"}},
      {"maxout", {"f32[2,1,28,28]", "f32[2,10]"}},
      {"lenet5", {"f32[2,1,28,28]", "f32[2,10]"}},
      {"trafficsign", {"f32[2,3,32,32]", "f32[2,43]"}},
      {"inception3a", {"f32[2,192,28,28]", "f32[2,256,28,28]"}},
      {"lstm", {"f32[16,2,32]", "f32[2,10]"}},
  };
  return types;
}

}  // namespace

TEST_CASE("the registry lists every example network once", "[examples]") {
  const auto& networks = examples::allExampleNetworks();
  CHECK(networks.size() == expectedTypes().size());
  for (const auto& network : networks) {
    CHECK(expectedTypes().count(std::string(network.name)) == 1);
    CHECK(examples::findExampleNetwork(network.name) == &network);
  }
  CHECK(examples::findExampleNetwork("no-such-net") == nullptr);
}

TEST_CASE("example networks verify, print and round-trip", "[examples]") {
  for (const auto& network : examples::allExampleNetworks()) {
    DYNAMIC_SECTION(network.name) {
      auto built = network.build(2, 1);
      INFO((built.ok() ? std::string() : built.message()));
      REQUIRE(built.ok());
      const ir::Graph& graph = **built;
      CHECK(graph.name == network.name);
      Status verified = ir::verifyGraph(graph);
      INFO(verified.message());
      REQUIRE(verified.ok());

      REQUIRE(graph.inputs.size() == 1);
      REQUIRE(graph.outputs.size() == 1);
      const auto& [inputType, outputType] = expectedTypes().at(std::string(network.name));
      CHECK(graph.inputs[0]->name == "x");
      CHECK(graph.inputs[0]->type.str() == inputType);
      CHECK(graph.outputs[0]->name == "y");
      CHECK(graph.outputs[0]->type.str() == outputType);

      std::string text = ir::printGraph(graph);
      CHECK(text.rfind("graph @" + std::string(network.name) + "(", 0) == 0);
      auto parsed = ir::parseGraph(text, std::string(network.name) + ".nsir");
      INFO((parsed.ok() ? std::string() : parsed.message()));
      REQUIRE(parsed.ok());
      CHECK(ir::verifyGraph(**parsed).ok());
      CHECK(ir::printGraph(**parsed) == text);

      // The elided form round-trips too (shapes only).
      ir::PrintOptions elide;
      elide.elideConstants = true;
      std::string elided = ir::printGraph(graph, elide);
      auto parsedElided = ir::parseGraph(elided);
      REQUIRE(parsedElided.ok());
      CHECK(ir::printGraph(**parsedElided, elide) == elided);
    }
  }
}

TEST_CASE("example networks are deterministic in their seed", "[examples]") {
  for (const auto& network : examples::allExampleNetworks()) {
    DYNAMIC_SECTION(network.name) {
      auto a = network.build(1, 5);
      auto b = network.build(1, 5);
      auto c = network.build(1, 6);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      REQUIRE(c.ok());
      CHECK(ir::printGraph(**a) == ir::printGraph(**b));
      CHECK(ir::printGraph(**a) != ir::printGraph(**c));
    }
  }
}

TEST_CASE("example networks take the batch size", "[examples]") {
  auto lenet = examples::lenet5(5);
  REQUIRE(lenet.ok());
  CHECK((*lenet)->inputs[0]->type.str() == "f32[5,1,28,28]");
  CHECK((*lenet)->outputs[0]->type.str() == "f32[5,10]");
  auto lstm = examples::lstmClassifier(3);
  REQUIRE(lstm.ok());
  CHECK((*lstm)->inputs[0]->type.str() == "f32[16,3,32]");
  auto bad = examples::mlp(0);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("batch") != std::string::npos);
}

TEST_CASE("maxout network uses the dense -> reshape -> reduce_max pattern", "[examples]") {
  auto graph = examples::maxoutMlp(2);
  REQUIRE(graph.ok());
  int reduceMax = 0;
  for (const auto& node : (*graph)->nodes()) {
    if (node->op != ir::OpKind::ReduceMax) continue;
    ++reduceMax;
    const ir::Node* reshape = node->operands[0]->producer;
    REQUIRE(reshape);
    CHECK(reshape->op == ir::OpKind::Reshape);
    CHECK(reshape->getInts("shape") == std::vector<int64_t>{2, 240, 5});
    REQUIRE(reshape->operands[0]->producer);
    CHECK(reshape->operands[0]->producer->op == ir::OpKind::Dense);
  }
  CHECK(reduceMax == 2);
}
