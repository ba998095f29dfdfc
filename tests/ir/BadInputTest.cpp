// A corpus of malformed .nsir inputs: each must give its specific error
// (parse error with file:line:col, or verifier error naming the node) and
// never crash or hang.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ir/Parser.h"
#include "ir/Verifier.h"

using namespace nutshell;
using namespace nutshell::ir;

namespace {

struct BadCase {
  const char* name;
  std::string text;
  const char* expected;  // substring of the error message
};

// Wraps body lines in a valid header (input %x: f32[1,3,8,8], one output).
std::string graphWith(const std::string& body, const std::string& out = "f32[1,3,8,8]") {
  return "graph @g(%x: f32[1,3,8,8]) -> (" + out + ") {\n" + body + "}\n";
}

const std::string kRelu = "  %0 = relu(%x) : f32[1,3,8,8]\n";

std::vector<BadCase> corpus() {
  return {
      {"empty file", "", "1:1: expected 'graph', got end of file"},
      {"truncated header", "graph @g(%x: f32[1,3", "expected ',' or ']' in the type, got end of file"},
      {"truncated body", "graph @g(%x: f32[1]) -> (f32[1]) {\n  %0 = relu(%x) : f32[1]\n",
       "unexpected end of file: missing 'return' and '}'"},
      {"truncated in a node", "graph @g(%x: f32[1]) -> (f32[1]) {\n  %0 = relu(%x", "expected ',' or ')' after an operand"},
      {"missing return", graphWith(kRelu), "3:1: missing 'return' before '}'"},
      {"unknown op", graphWith("  %0 = frobnicate(%x) : f32[1,3,8,8]\n  return %0\n"), "2:8: unknown op 'frobnicate'"},
      {"too many operands", graphWith("  %0 = relu(%x, %x) : f32[1,3,8,8]\n  return %0\n"),
       "op 'relu' expects 1 operands, got 2"},
      {"too few operands", graphWith("  %0 = conv2d(%x) : f32[1,3,8,8]\n  return %0\n"),
       "op 'conv2d' expects 2 to 3 operands, got 1"},
      {"wrong result count", graphWith("  %0, %1 = relu(%x) : f32[1,3,8,8], f32[1,3,8,8]\n  return %0\n"),
       "op 'relu' has 1 result(s), got 2 name(s)"},
      {"lstm with one result", graphWith("  %0 = lstm(%x, %x, %x, %x, %x, %x) {hidden_size=1} : f32[1]\n  return %0\n"),
       "op 'lstm' has 3 result(s), got 1 name(s)"},
      {"declared type differs", graphWith("  %0 = relu(%x) : f32[1,3,8,9]\n  return %0\n", "f32[1,3,8,9]"),
       "node '%0' (relu): result type f32[1,3,8,9] != inferred f32[1,3,8,8]"},
      {"conv channel mismatch",
       graphWith("  %w = const f32[4,4,5,5] <elided>\n  %0 = conv2d(%x, %w) : f32[1,4,4,4]\n  return %0\n",
                 "f32[1,4,4,4]"),
       "node '%0' (conv2d): input channels 3 != weight channels*groups 4 (x: f32[1,3,8,8], w: f32[4,4,5,5])"},
      {"broadcast mismatch",
       graphWith("  %c = const f32[5] <elided>\n  %0 = add(%x, %c) : f32[1,3,8,8]\n  return %0\n"),
       "cannot broadcast [1,3,8,8] with [5]"},
      {"attribute of the wrong kind", graphWith("  %0 = max_pool2d(%x) {kernel=2} : f32[1,3,7,7]\n  return %0\n", "f32[1,3,7,7]"),
       "expected '[' (int list) for attribute 'kernel', got '2'"},
      {"float where int expected", graphWith("  %0 = lrn(%x) {size=1.5} : f32[1,3,8,8]\n  return %0\n"),
       "expected an int for attribute 'size', got '1.5'"},
      {"attribute value out of range",
       graphWith("  %0 = max_pool2d(%x) {kernel=[0,2]} : f32[1,3,8,7]\n  return %0\n", "f32[1,3,8,7]"),
       "attribute 'kernel' = [0,2] must have entries in [1, "},
      {"list of the wrong length",
       graphWith("  %0 = max_pool2d(%x) {kernel=[2,2], pads=[1,1]} : f32[1,3,7,7]\n  return %0\n", "f32[1,3,7,7]"),
       "attribute 'pads' must have 4 entries, got [1,1]"},
      {"string not in the allowed set",
       graphWith("  %0 = pad(%x) {pads=[0,0,0,0,0,0,0,0], mode=\"wrap\"} : f32[1,3,8,8]\n  return %0\n"),
       "attribute 'mode' = \"wrap\" must be one of constant|reflect|edge"},
      {"unknown attribute", graphWith("  %0 = relu(%x) {alpha=0.1} : f32[1,3,8,8]\n  return %0\n"),
       "2:18: unknown attribute 'alpha' for op 'relu'"},
      {"duplicate attribute", graphWith("  %0 = leaky_relu(%x) {alpha=0.1, alpha=0.2} : f32[1,3,8,8]\n  return %0\n"),
       "duplicate attribute 'alpha'"},
      {"missing required attribute", graphWith("  %0 = max_pool2d(%x) : f32[1,3,8,8]\n  return %0\n"),
       "node '%0' (max_pool2d): missing required attribute 'kernel'"},
      {"huge dims that would overflow",
       "graph @g(%x: f32[1099511627776,1099511627776]) -> (f32[1099511627776,1099511627776]) {\n"
       "  %0 = relu(%x) : f32[1099511627776,1099511627776]\n  return %0\n}\n",
       "dims too large"},
      {"const too large to hold", graphWith("  %c = const f32[1048576,1048576,1048576] <elided>\n" + kRelu + "  return %0\n"),
       "2:14: dims too large: f32[1048576,1048576,1048576]"},
      {"dim beyond int64", "graph @g(%x: f32[99999999999999999999]) -> () {\n  return\n}\n",
       "integer 99999999999999999999 out of range"},
      {"negative dim", "graph @g(%x: f32[-1]) -> () {\n  return\n}\n", "dim -1 must be >= 0"},
      {"non-UTF-8 bytes", graphWith("  %0 = relu(%x) \xff\xfe : f32[1,3,8,8]\n  return %0\n"),
       "2:17: unexpected character '\\xff'"},
      {"NUL byte", std::string("graph @g(%x: f32[1]) -> (f32[1]) {\0}", 36), "unexpected character '\\x00'"},
      {"unterminated string", graphWith("  %0 = fused_dense(%x, %x) {act=\"relu} : f32[1,3,8,8]\n  return %0\n"),
       "unterminated string"},
      {"unterminated quoted name", "graph @g(%\"x: f32[1]) -> () {}", "unterminated string"},
      {"bad escape", graphWith("  %0 = relu(%\"\\q\") : f32[1,3,8,8]\n  return %0\n"), "unknown escape '\\q'"},
      {"duplicate names", graphWith(kRelu + kRelu + "  return %0\n"), "3:3: duplicate value name %0"},
      {"duplicate input names", "graph @g(%x: f32[1], %x: f32[1]) -> () {\n  return\n}\n", "duplicate value name %x"},
      {"use before def", graphWith("  %1 = relu(%0) : f32[1,3,8,8]\n" + kRelu + "  return %1\n"),
       "2:13: value %0 is used before its definition"},
      {"undefined value", graphWith("  %0 = relu(%nope) : f32[1,3,8,8]\n  return %0\n"), "use of undefined value %nope"},
      {"undefined return value", graphWith(kRelu + "  return %7\n"), "use of undefined value %7"},
      {"bad element type", "graph @g(%x: f33[1]) -> () {\n  return\n}\n", "1:14: unknown element type 'f33'"},
      {"bad type brackets", "graph @g(%x: f32(1)) -> () {\n  return\n}\n", "expected '[' after the element type"},
      {"bad dim", "graph @g(%x: f32[1,*]) -> () {\n  return\n}\n", "unexpected character '*'"},
      {"const payload too short", graphWith("  %c = const f32[3] dense<[1.0,2.0]>\n" + kRelu + "  return %0\n"),
       "dense payload has 2 values, type f32[3] needs 3"},
      {"const payload too long", graphWith("  %c = const f32[1] dense<[1.0,2.0]>\n" + kRelu + "  return %0\n"),
       "dense payload has more than 1 values for type f32[1]"},
      {"i64 payload with a float", graphWith("  %c = const i64[1] dense<[1.5]>\n" + kRelu + "  return %0\n"),
       "expected an integer value, got '1.5'"},
      {"symbolic const type", graphWith("  %c = const f32[N] <elided>\n" + kRelu + "  return %0\n"),
       "const type f32[N] must be static"},
      {"float out of range", graphWith("  %c = const f32[1] dense<[1e999]>\n" + kRelu + "  return %0\n"),
       "number 1e999 out of range"},
      {"weights without a file", graphWith("  %c = const f32[1] @weights[0]\n" + kRelu + "  return %0\n"),
       "@weights[0] needs a weights file, but none was given"},
      {"missing payload", graphWith("  %c = const f32[1]\n" + kRelu + "  return %0\n"),
       "expected a const payload (dense<[...]>, @weights[K] or <elided>)"},
      {"text after the graph", graphWith(kRelu + "  return %0\n") + "garbage", "expected end of file after '}'"},
      {"return count differs from header", graphWith(kRelu + "  return %0, %x\n"),
       "'return' has 2 values but the header declares 1 output types"},
      {"output type differs from header", graphWith(kRelu + "  return %0\n", "f32[2]"),
       "output 0 is declared f32[2] but %0 has type f32[1,3,8,8]"},
      {"compute op on i64",
       "graph @g(%x: i64[4]) -> (i64[4]) {\n  %0 = relu(%x) : i64[4]\n  return %0\n}\n", "x must be f32, got i64[4]"},
      {"reshape shape operand not i64",
       graphWith("  %s = const f32[1] dense<[1.0]>\n  %0 = reshape(%x, %s) : f32[192]\n  return %0\n", "f32[192]"),
       "shape must be i64"},
      {"empty value name", graphWith("  %\"\" = relu(%x) : f32[1,3,8,8]\n  return %x\n"), "empty value name"},
      {"lone percent", graphWith("  % = relu(%x) : f32[1,3,8,8]\n  return %x\n"), "expected a name after '%'"},
      {"negative arena offset", graphWith("  %0 = relu(%x) : f32[1,3,8,8] @arena+-5\n  return %0\n"),
       "arena offset must be >= 0"},
      {"deep nesting", graphWith("  %0 = max_pool2d(%x) {kernel=" + std::string(100000, '[') + "} : f32[1]\n"),
       "expected an int for attribute 'kernel', got '['"},
      {"many open parens", std::string(100000, '('), "expected 'graph', got '('"},
      {"missing arrow", "graph @g(%x: f32[1]) (f32[1]) {\n  return %x\n}\n", "expected '->' after the graph inputs"},
      {"fused_elementwise arity",
       graphWith("  %0 = fused_elementwise(%x) {steps=[\"add\"]} : f32[1,3,8,8]\n  return %0\n"),
       "1 binary steps need 2 operands, got 1"},
      {"unknown fused step", graphWith("  %0 = fused_elementwise(%x) {steps=[\"gelu\"]} : f32[1,3,8,8]\n  return %0\n"),
       "step \"gelu\" in attribute 'steps' must be one of"},
  };
}

/// Parse then verify, as parseGraphFile does; the first error.
std::string firstError(const std::string& text) {
  auto graph = parseGraph(text, "bad.nsir");
  if (!graph) return graph.message();
  Status status = verifyGraph(**graph);
  return status ? std::string() : status.message();
}

}  // namespace

TEST_CASE("malformed inputs give their specific error", "[bad]") {
  auto cases = corpus();
  REQUIRE(cases.size() >= 30);
  for (const BadCase& c : cases) {
    INFO("case: " << c.name);
    std::string message = firstError(c.text);
    CHECK_THAT(message, Catch::Contains(c.expected));
  }
}

TEST_CASE("parse errors carry file:line:col", "[bad]") {
  auto graph = parseGraph(graphWith("  %0 = relu(%x) : f32[1,3,8,8]\n  %0 = relu(%x) : f32[1,3,8,8]\n  return %0\n"),
                          "model.nsir");
  REQUIRE(!graph);
  CHECK(graph.message() == "model.nsir:3:3: duplicate value name %0");
}
