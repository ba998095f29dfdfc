// Verifier checks on graphs built through the Graph API (what passes and
// the importer can get wrong that the parser never produces).
#include <catch2/catch.hpp>

#include "IrTestUtil.h"
#include "ir/Verifier.h"

using namespace nutshell;
using namespace nutshell::ir;
using nutshell::ir::test::T;

namespace {

std::string errorOf(const Graph& g) {
  Status s = verifyGraph(g);
  return s ? std::string("ok") : s.message();
}

}  // namespace

TEST_CASE("a valid graph passes", "[verifier]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[N,4]"));
  Node* relu = g.addNode(OpKind::Relu, {x}, {T("f32[N,4]")});
  g.outputs.push_back(relu->result());
  CHECK(errorOf(g) == "ok");
}

TEST_CASE("arity, attributes and kinds", "[verifier]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[1,4]"));
  Node* n = g.addNode(OpKind::Relu, {x, x}, {T("f32[1,4]")}, {}, {"r"});
  g.outputs.push_back(n->result());
  CHECK(errorOf(g) == "node '%r' (relu): expects 1 operands, got 2 (x: f32[1,4], x: f32[1,4])");
  n->operands = {x};
  n->attrs["strides"] = int64_t(1);
  CHECK(errorOf(g) == "node '%r' (relu): unknown attribute 'strides' (the op takes none)");
  n->attrs.clear();
  CHECK(errorOf(g) == "ok");

  Node* pool = g.addNode(OpKind::MaxPool2d, {x}, {T("f32[1,4]")}, {{"kernel", int64_t(2)}}, {"p"});
  CHECK_THAT(verifyNode(*pool).message(),
             Catch::Contains("attribute 'kernel' must be an int list, got an int 2"));
  pool->attrs["kernel"] = std::vector<int64_t>{2, 2};
  pool->attrs["colour"] = std::string("red");
  CHECK_THAT(verifyNode(*pool).message(), Catch::Contains("unknown attribute 'colour' (known: kernel, strides"));
}

TEST_CASE("result counts and declared types", "[verifier]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[2,4]"));
  Node* n = g.addNode(OpKind::Relu, {x}, {T("f32[2,4]"), T("f32[2,4]")}, {}, {"a", "b"});
  CHECK(verifyNode(*n).message() == "node '%a' (relu): has 2 results, expected 1");
  Node* m = g.addNode(OpKind::Relu, {x}, {T("f32[2,5]")}, {}, {"c"});
  CHECK(verifyNode(*m).message() == "node '%c' (relu): result type f32[2,5] != inferred f32[2,4] (x: f32[2,4])");
  // `?` is compatible with anything; a named symbol is not a static size.
  Node* q = g.addNode(OpKind::Relu, {x}, {T("f32[?,4]")});
  CHECK(verifyNode(*q));
  Node* s = g.addNode(OpKind::Relu, {x}, {T("f32[N,4]")}, {}, {"s"});
  CHECK_THAT(verifyNode(*s).message(), Catch::Contains("result type f32[N,4] != inferred f32[2,4]"));
}

TEST_CASE("ordering, names and outputs", "[verifier]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[4]"));
  Node* second = g.addNode(OpKind::Relu, {x}, {T("f32[4]")}, {}, {"second"});
  Node* first = g.insertNodeBefore(second, OpKind::Relu, {x}, {T("f32[4]")}, {}, {"first"});
  g.outputs.push_back(second->result());
  CHECK(errorOf(g) == "ok");
  first->operands = {second->result()};
  CHECK(errorOf(g) == "node '%first' (relu): operand %second is used before its definition");
  first->operands = {x};

  Graph other;
  Value* stranger = other.addInput("stranger", T("f32[4]"));
  second->operands = {stranger};
  CHECK(errorOf(g) == "node '%second' (relu): operand %stranger is not defined in the graph");
  second->operands = {x};

  first->result()->name = "second";
  CHECK(errorOf(g) == "duplicate value name %second");
  first->result()->name = "first";

  g.outputs = {stranger};
  CHECK(errorOf(g) == "graph output %stranger is not defined in the graph");
  g.outputs.clear();
  CHECK(errorOf(g) == "graph @main has no outputs");
}

TEST_CASE("const payloads and dtypes", "[verifier]") {
  Graph g;
  auto bad = std::make_shared<TensorData>();
  bad->type = T("f32[3]");
  bad->f32 = {1, 2};
  Value* c = g.addConstant(bad, "c");
  g.outputs.push_back(c);
  CHECK(errorOf(g) == "node '%c' (const): const payload has 2 values, type f32[3] needs 3");
  bad->f32.push_back(3);
  CHECK(errorOf(g) == "ok");
  c->type = T("f32[1,3]");
  CHECK(errorOf(g) == "node '%c' (const): payload type f32[3] != result type f32[1,3]");
  c->type = T("f32[3]");
  bad->i64 = {1};
  CHECK_THAT(errorOf(g), Catch::Contains("const payload has 3 values"));
  bad->i64.clear();

  Value* i = g.addInput("i", T("i64[1,3,8,8]"));
  Value* w = g.addConstant(makeF32({1, 3, 1, 1}, {1, 2, 3}), "w");
  Node* conv = g.addNode(OpKind::Conv2d, {i, w}, {T("f32[1,1,8,8]")}, {}, {"conv"});
  CHECK_THAT(verifyNode(*conv).message(), Catch::Contains("node '%conv' (conv2d): x must be f32, got i64[1,3,8,8]"));

  // Shape arithmetic may use i64; mixing dtypes may not.
  Node* add = g.addNode(OpKind::Add, {i, i}, {T("i64[1,3,8,8]")});
  CHECK(verifyNode(*add));
  Node* mixed = g.addNode(OpKind::Add, {i, w}, {T("i64[1,3,8,8]")});
  CHECK_THAT(verifyNode(*mixed).message(), Catch::Contains("operand dtypes differ"));
}

TEST_CASE("attribute ranges", "[verifier]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[1,3,8,8]"));
  Value* w = g.addConstant(makeF32({3, 3, 1, 1}, std::vector<float>(9, 1.f)));
  auto conv = [&](AttrMap attrs) {
    Node* n = g.addNode(OpKind::FusedConv2d, {x, w, w}, {T("f32[1,3,8,8]")}, std::move(attrs));
    Status s = verifyNode(*n);
    return s ? std::string("ok") : s.message();
  };
  Value* b = g.addConstant(makeF32({3}, {0, 0, 0}));
  auto fused = [&](AttrMap attrs) {
    Node* n = g.addNode(OpKind::FusedConv2d, {x, w, b}, {T("f32[1,3,8,8]")}, std::move(attrs));
    Status s = verifyNode(*n);
    return s ? std::string("ok") : s.message();
  };
  CHECK_THAT(conv({}), Catch::Contains("b must have rank 1"));
  CHECK(fused({}) == "ok");
  CHECK_THAT(fused({{"groups", int64_t(0)}}), Catch::Contains("attribute 'groups' = 0 must be in [1, "));
  CHECK_THAT(fused({{"pads", std::vector<int64_t>{0, 0, -1, 0}}}), Catch::Contains("must have entries in [0, "));
  CHECK_THAT(fused({{"strides", std::vector<int64_t>{1}}}), Catch::Contains("'strides' must have 2 entries"));
  CHECK_THAT(fused({{"act", std::string("gelu")}}), Catch::Contains("must be one of none|relu|leaky_relu"));
  CHECK_THAT(fused({{"act", std::string("clip")}, {"act_params", std::vector<double>{1.0}}}),
             Catch::Contains("act \"clip\" takes 2"));
  CHECK(fused({{"act", std::string("clip")}, {"act_params", std::vector<double>{0.0, 6.0}}}) == "ok");
  CHECK_THAT(fused({{"pool", std::string("max2x2")}}), Catch::Contains("must be one of none|max|avg"));
  CHECK_THAT(fused({{"algo", std::string("magic")}}), Catch::Contains("auto|direct|im2col|fft|winograd"));
  CHECK_THAT(fused({{"pool_count_include_pad", int64_t(2)}}), Catch::Contains("must be in [0, 1]"));
}

TEST_CASE("the op table names operands and holds the ranges", "[verifier][op-table]") {
  CHECK(opInfo(OpKind::FusedConv2d).operandName(1) == "w");
  CHECK(opInfo(OpKind::Lstm).operandName(4) == "initial_h");
  CHECK(opInfo(OpKind::Concat).operandName(11) == "x11");  // variadic: numbered
  CHECK(opInfo(OpKind::Relu).operandName(0) == "x");       // no OPERANDS row
  const AttrRange& strides = attrRange(OpKind::Conv2d, "strides");
  CHECK(strides.entries == 2);
  CHECK(strides.bounded);
  CHECK(strides.lo == 1.0);
  CHECK(attrRange(OpKind::Pad, "mode").choices.size() == 3);
  CHECK_FALSE(attrRange(OpKind::Gemm, "alpha").bounded);
  CHECK(opInfo(OpKind::Transpose).has(Trait::Foldable));
  CHECK_FALSE(opInfo(OpKind::Conv2d).has(Trait::Foldable));

  // A float range: lstm's clip must be >= 0.
  Graph g;
  Value* x = g.addInput("x", T("f32[2,1,3]"));
  Node* lstm =
      g.addNode(OpKind::Lstm, {x, x, x, x, x, x}, {T("f32[2,1,1,4]"), T("f32[1,1,4]"), T("f32[1,1,4]")},
                {{"hidden_size", int64_t(4)}, {"clip", -1.0}}, {"y", "yh", "yc"});
  CHECK_THAT(verifyNode(*lstm).message(), Catch::Contains("attribute 'clip' must be >= 0"));
}

TEST_CASE("element types: ops refuse types their kernels are not written for", "[verifier][dtype]") {
  Graph g;
  Value* mask = g.addInput("mask", T("bool[4]"));
  Value* small = g.addInput("small", T("i8[4]"));
  Value* wide = g.addInput("wide", T("f64[4]"));
  Node* relu = g.addNode(OpKind::Relu, {mask}, {T("bool[4]")}, {}, {"r"});
  g.outputs.push_back(relu->result());
  CHECK(errorOf(g) == "node '%r' (relu): x is bool, which relu does not accept (x: bool[4])");
  relu->operands = {wide};
  relu->results[0]->type = T("f64[4]");
  CHECK(
      errorOf(g) ==
      "node '%r' (relu): x is f64, which relu does not accept (f64 is for model edges and cast: cast to f32) "
      "(x: f64[4])");
  // Integers compute in add; bool does not; comparisons give bool.
  Node* add = g.addNode(OpKind::Add, {small, small}, {T("i8[4]")}, {}, {"a"});
  Node* lt = g.addNode(OpKind::Less, {small, small}, {T("bool[4]")}, {}, {"lt"});
  Node* both = g.addNode(OpKind::And, {lt->result(), mask}, {T("bool[4]")}, {}, {"both"});
  g.outputs = {add->result(), both->result()};
  g.eraseNode(relu);
  CHECK(errorOf(g) == "ok");
  Node* boolAdd = g.addNode(OpKind::Add, {mask, mask}, {T("bool[4]")}, {}, {"ba"});
  g.outputs.push_back(boolAdd->result());
  CHECK(errorOf(g) == "node '%ba' (add): a is bool, which add does not accept (a: bool[4], b: bool[4])");
}

TEST_CASE("element types: integer payloads must fit their type", "[verifier][dtype]") {
  Graph g;
  auto data = std::make_shared<TensorData>();
  data->type = T("u8[2]");
  data->i64 = {0, 256};
  Value* c = g.addConstant(data, "c");
  g.outputs.push_back(c);
  CHECK(errorOf(g) == "node '%c' (const): const value 256 does not fit u8[2]");
  data->i64 = {0, 255};
  CHECK(errorOf(g) == "ok");
}
