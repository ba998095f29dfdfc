// runGraph: input binding and its errors, constants, fused ops equal to the
// unfused graphs they replace, and the Backend wrapper.
#include "tests/reference/RefTestUtil.h"

using namespace nutshell;
using namespace nutshell::reftest;
using ir::OpKind;
using ir::TensorType;

namespace {

Tensor runOne(const ir::Graph& g, const TensorMap& inputs) {
  auto r = reference::runGraph(g, inputs);
  if (!r) FAIL(r.message());
  REQUIRE(r->size() == 1);
  return r->begin()->second;
}

TensorType f32(std::vector<int64_t> shape) { return TensorType::f32(shape); }

ir::Value* constant(ir::Graph& g, const Tensor& t, const std::string& name) {
  return g.addConstant(ir::makeF32(t.shape(), valuesF32(t)), name);
}

}  // namespace

TEST_CASE("runGraph: a small graph with a symbolic batch", "[reference][graph]") {
  ir::Graph g;
  ir::Value* x = g.addInput("x", TensorType(ir::DType::F32, {ir::Dim::symbolic("N"), ir::Dim(2)}));
  ir::Value* w = constant(g, Tensor::f32({2, 2}, {1, 0, 0, -1}), "w");
  TensorType out(ir::DType::F32, {ir::Dim::symbolic("N"), ir::Dim(2)});
  ir::Value* d = g.addNode(OpKind::Dense, {x, w}, {out}, {}, {"d"})->result();
  ir::Value* y = g.addNode(OpKind::Relu, {d}, {out}, {}, {"y"})->result();
  g.outputs = {y};
  for (int64_t n : {1, 3}) {
    Tensor input = iota({n, 2}, 1, 1);
    Tensor result = runOne(g, {{"x", input}});
    REQUIRE(result.shape() == std::vector<int64_t>{n, 2});
    for (int64_t i = 0; i < n; ++i) {
      CHECK(result.f32()[2 * i] == float(2 * i + 1));
      CHECK(result.f32()[2 * i + 1] == 0.0f);
    }
  }
}

TEST_CASE("runGraph: input errors name the input and both shapes", "[reference][graph][errors]") {
  ir::Graph g;
  TensorType xt(ir::DType::F32, {ir::Dim::symbolic("N"), ir::Dim(3)});
  ir::Value* x = g.addInput("x", xt);
  ir::Value* z = g.addInput("z", xt);
  g.outputs = {g.addNode(OpKind::Add, {x, z}, {xt}, {}, {"y"})->result()};
  Tensor good = iota({2, 3});

  auto missing = reference::runGraph(g, {{"x", good}});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.message(), Catch::Contains("missing input 'z'") && Catch::Contains("f32[N,3]"));

  auto unknown = reference::runGraph(g, {{"x", good}, {"z", good}, {"q", good}});
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.message(), Catch::Contains("'q'") && Catch::Contains("'x'"));

  auto shape = reference::runGraph(g, {{"x", good}, {"z", iota({2, 4})}});
  REQUIRE_FALSE(shape);
  CHECK_THAT(shape.message(), Catch::Contains("'z'") && Catch::Contains("f32[N,3]") && Catch::Contains("f32[2,4]"));

  // N is bound to 2 by x; z with N = 3 is inconsistent.
  auto symbol = reference::runGraph(g, {{"x", good}, {"z", iota({3, 3})}});
  REQUIRE_FALSE(symbol);
  CHECK_THAT(symbol.message(), Catch::Contains("'z'") && Catch::Contains("f32[3,3]") && Catch::Contains("N = 2"));

  auto dtype = reference::runGraph(g, {{"x", good}, {"z", Tensor::i64({2, 3}, {0, 0, 0, 0, 0, 0})}});
  REQUIRE_FALSE(dtype);
  CHECK_THAT(dtype.message(), Catch::Contains("'z'") && Catch::Contains("i64[2,3]") && Catch::Contains("f32[N,3]"));

  auto rank = reference::runGraph(g, {{"x", good}, {"z", iota({6})}});
  REQUIRE_FALSE(rank);
  CHECK_THAT(rank.message(), Catch::Contains("f32[6]"));

  REQUIRE(reference::runGraph(g, {{"x", good}, {"z", good}}));
}

TEST_CASE("runGraph: elided constants and wrong declared types are errors", "[reference][graph][errors]") {
  ir::Graph g;
  ir::Value* x = g.addInput("x", f32({2}));
  auto data = std::make_shared<ir::TensorData>();
  data->type = f32({2});
  data->elided = true;
  ir::Value* w = g.addConstant(data, "w");
  g.outputs = {g.addNode(OpKind::Add, {x, w}, {f32({2})}, {}, {"y"})->result()};
  auto r = reference::runGraph(g, {{"x", iota({2})}});
  REQUIRE_FALSE(r);
  CHECK(r.message() == "constant '%w' has elided values");

  ir::Graph h;
  ir::Value* hx = h.addInput("x", f32({2, 3}));
  h.outputs = {h.addNode(OpKind::Transpose, {hx}, {f32({2, 3})}, {}, {"t"})->result()};
  auto wrong = reference::runGraph(h, {{"x", iota({2, 3})}});
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.message(), Catch::Contains("node '%t' (transpose)") && Catch::Contains("f32[3,2]") &&
                                  Catch::Contains("f32[2,3]"));
}

TEST_CASE("evaluateNode: arity and missing attributes are errors", "[reference][errors]") {
  auto noKernel = evalOp(OpKind::MaxPool2d, {iota({1, 1, 2, 2})});
  REQUIRE_FALSE(noKernel);
  CHECK_THAT(noKernel.message(), Catch::Contains("node '%y' (max_pool2d)") && Catch::Contains("'kernel'"));
  auto wrongKind = evalOp(OpKind::Softmax, {iota({2})}, {{"axis", std::string("last")}});
  REQUIRE_FALSE(wrongKind);
  CHECK_THAT(wrongKind.message(), Catch::Contains("'axis'"));
  auto arity = evalOp(OpKind::Relu, {iota({2}), iota({2})});
  REQUIRE_FALSE(arity);
  CHECK_THAT(arity.message(), Catch::Contains("operands"));
}

TEST_CASE("fused_conv2d equals conv2d -> relu -> max_pool2d", "[reference][graph][fused]") {
  Tensor input = pseudoRandom({2, 3, 9, 9}, 1);
  Tensor weights = pseudoRandom({4, 3, 3, 3}, 2), bias = pseudoRandom({4}, 3);
  ir::AttrMap convAttrs = {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{1, 1}}};
  ir::AttrMap poolAttrs = {{"kernel", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{0, 0, 1, 1}}};

  ir::Graph plain;
  {
    ir::Value* x = plain.addInput("x", f32({2, 3, 9, 9}));
    ir::Value* w = constant(plain, weights, "w");
    ir::Value* b = constant(plain, bias, "b");
    ir::Value* c = plain.addNode(OpKind::Conv2d, {x, w, b}, {f32({2, 4, 9, 9})}, convAttrs, {"c"})->result();
    ir::Value* r = plain.addNode(OpKind::Relu, {c}, {f32({2, 4, 9, 9})}, {}, {"r"})->result();
    plain.outputs = {plain.addNode(OpKind::MaxPool2d, {r}, {f32({2, 4, 4, 4})}, poolAttrs, {"y"})->result()};
  }
  ir::Graph fused;
  {
    ir::Value* x = fused.addInput("x", f32({2, 3, 9, 9}));
    ir::Value* w = constant(fused, weights, "w");
    ir::Value* b = constant(fused, bias, "b");
    ir::AttrMap attrs = convAttrs;
    attrs["act"] = std::string("relu");
    attrs["pool"] = std::string("max");
    attrs["pool_kernel"] = Ints{3, 3};
    attrs["pool_strides"] = Ints{2, 2};
    attrs["pool_pads"] = Ints{0, 0, 1, 1};
    fused.outputs = {fused.addNode(OpKind::FusedConv2d, {x, w, b}, {f32({2, 4, 4, 4})}, attrs, {"y"})->result()};
  }
  requireSame(runOne(plain, {{"x", input}}), runOne(fused, {{"x", input}}));
}

TEST_CASE("fused_conv2d with dest writes its channels of a concat buffer", "[reference][graph][fused]") {
  Tensor input = pseudoRandom({1, 2, 4, 4}, 4);
  Tensor w1 = pseudoRandom({2, 2, 1, 1}, 5), b1 = pseudoRandom({2}, 6);
  Tensor w2 = pseudoRandom({3, 2, 3, 3}, 7), b2 = pseudoRandom({3}, 8);
  ir::AttrMap pad1 = {{"pads", Ints{1, 1, 1, 1}}};

  ir::Graph plain;
  {
    ir::Value* x = plain.addInput("x", f32({1, 2, 4, 4}));
    ir::Value* c1 = plain.addNode(OpKind::Conv2d, {x, constant(plain, w1, "w1"), constant(plain, b1, "b1")},
                                  {f32({1, 2, 4, 4})}, {}, {"c1"})->result();
    ir::Value* c2 = plain.addNode(OpKind::Conv2d, {x, constant(plain, w2, "w2"), constant(plain, b2, "b2")},
                                  {f32({1, 3, 4, 4})}, pad1, {"c2"})->result();
    plain.outputs = {plain.addNode(OpKind::Concat, {c1, c2}, {f32({1, 5, 4, 4})}, {{"axis", int64_t(1)}}, {"y"})
                         ->result()};
  }
  ir::Graph fused;
  {
    ir::Value* x = fused.addInput("x", f32({1, 2, 4, 4}));
    ir::Value* buffer = fused.addNode(OpKind::Empty, {}, {f32({1, 5, 4, 4})}, {}, {"buf"})->result();
    ir::Value* d1 = fused.addNode(OpKind::FusedConv2d, {x, constant(fused, w1, "w1"), constant(fused, b1, "b1"), buffer},
                                  {f32({1, 5, 4, 4})}, {}, {"d1"})->result();
    ir::AttrMap attrs = pad1;
    attrs["dest_offset"] = int64_t(2);
    fused.outputs = {fused.addNode(OpKind::FusedConv2d, {x, constant(fused, w2, "w2"), constant(fused, b2, "b2"), d1},
                                   {f32({1, 5, 4, 4})}, attrs, {"y"})->result()};
  }
  requireSame(runOne(plain, {{"x", input}}), runOne(fused, {{"x", input}}));

  // A dest too small for offset + K is an error naming both.
  Tensor small(ElementType::F32, {1, 3, 4, 4});
  auto bad = evalOp(OpKind::FusedConv2d, {input, w2, b2, small}, {{"pads", Ints{1, 1, 1, 1}}, {"dest_offset", int64_t(1)}});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.message(), Catch::Contains("f32[1,3,4,4]") && Catch::Contains("[1,3,4,4]"));
}

TEST_CASE("fused_conv2d: other activations and avg pool", "[reference][fused]") {
  Tensor x = pseudoRandom({1, 2, 6, 6}, 9), w = pseudoRandom({3, 2, 3, 3}, 10), b = pseudoRandom({3}, 11);
  Tensor conv = eval1(OpKind::Conv2d, {x, w, b});
  Tensor act = eval1(OpKind::Clip, {conv}, {{"min", -0.5}, {"max", 0.5}});
  Tensor pooled = eval1(OpKind::AvgPool2d, {act}, {{"kernel", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  Tensor fused = eval1(OpKind::FusedConv2d, {x, w, b},
                       {{"act", std::string("clip")}, {"act_params", Floats{-0.5, 0.5}}, {"pool", std::string("avg")},
                        {"pool_kernel", Ints{2, 2}}, {"pool_pads", Ints{1, 1, 1, 1}}});
  requireSame(pooled, fused);
  Tensor sig = eval1(OpKind::Sigmoid, {conv});
  requireSame(sig, eval1(OpKind::FusedConv2d, {x, w, b}, {{"act", std::string("sigmoid")}}));
}

TEST_CASE("maxout equals dense -> reshape -> reduce_max", "[reference][graph][fused]") {
  Tensor input = pseudoRandom({3, 5}, 12), weights = pseudoRandom({5, 8}, 13), bias = pseudoRandom({8}, 14);
  ir::Graph plain;
  {
    ir::Value* x = plain.addInput("x", f32({3, 5}));
    ir::Value* d = plain.addNode(OpKind::Dense, {x, constant(plain, weights, "w"), constant(plain, bias, "b")},
                                 {f32({3, 8})}, {}, {"d"})->result();
    ir::Value* r = plain.addNode(OpKind::Reshape, {d}, {f32({3, 2, 4})}, {{"shape", Ints{3, 2, 4}}}, {"r"})->result();
    plain.outputs = {plain.addNode(OpKind::ReduceMax, {r}, {f32({3, 2})},
                                   {{"axes", Ints{2}}, {"keepdims", int64_t(0)}}, {"y"})->result()};
  }
  ir::Graph fused;
  {
    ir::Value* x = fused.addInput("x", f32({3, 5}));
    fused.outputs = {fused.addNode(OpKind::Maxout, {x, constant(fused, weights, "w"), constant(fused, bias, "b")},
                                   {f32({3, 2})}, {{"pieces", int64_t(4)}}, {"y"})->result()};
  }
  requireSame(runOne(plain, {{"x", input}}), runOne(fused, {{"x", input}}));
}

TEST_CASE("fused_elementwise equals the chain of nodes", "[reference][graph][fused]") {
  Tensor a = pseudoRandom({2, 3, 4}, 15), b = pseudoRandom({3, 1}, 16), c = pseudoRandom({4}, 17);
  ir::Graph plain;
  {
    ir::Value* x = plain.addInput("x", f32({2, 3, 4}));
    ir::Value* y = plain.addInput("y", f32({3, 1}));
    ir::Value* z = plain.addInput("z", f32({4}));
    ir::Value* s = plain.addNode(OpKind::Sub, {x, y}, {f32({2, 3, 4})}, {}, {"s"})->result();
    ir::Value* l = plain.addNode(OpKind::LeakyRelu, {s}, {f32({2, 3, 4})}, {{"alpha", 0.2}}, {"l"})->result();
    ir::Value* m = plain.addNode(OpKind::Div, {l, z}, {f32({2, 3, 4})}, {}, {"m"})->result();
    ir::Value* t = plain.addNode(OpKind::Tanh, {m}, {f32({2, 3, 4})}, {}, {"t"})->result();
    plain.outputs = {plain.addNode(OpKind::Exp, {t}, {f32({2, 3, 4})}, {}, {"out"})->result()};
  }
  ir::Graph fused;
  {
    ir::Value* x = fused.addInput("x", f32({2, 3, 4}));
    ir::Value* y = fused.addInput("y", f32({3, 1}));
    ir::Value* z = fused.addInput("z", f32({4}));
    ir::AttrMap attrs = {{"steps", std::vector<std::string>{"sub", "leaky_relu", "div", "tanh", "exp"}},
                         {"params", Floats{0, 0, 0.2, 0, 0, 0, 0, 0, 0, 0}}};
    fused.outputs = {fused.addNode(OpKind::FusedElementwise, {x, y, z}, {f32({2, 3, 4})}, attrs, {"out"})->result()};
  }
  TensorMap inputs = {{"x", a}, {"y", b}, {"z", c}};
  requireSame(runOne(plain, inputs), runOne(fused, inputs));
}

TEST_CASE("the reference Backend compiles and runs", "[reference][backend]") {
  auto g = std::make_unique<ir::Graph>();
  ir::Value* x = g->addInput("x", f32({2, 2}));
  g->outputs = {g->addNode(OpKind::Softmax, {x}, {f32({2, 2})}, {}, {"p"})->result()};
  std::unique_ptr<Backend> backend = reference::createReferenceBackend();
  CHECK(backend->name() == "reference");
  auto exe = backend->compile(*g, BackendOptions{});
  REQUIRE(exe);
  g.reset();  // the executable owns its own copy
  auto out = exe->executable->run({{"x", Tensor::f32({2, 2}, {0, 0, 1, 1})}});
  if (!out) FAIL(out.message());
  requireClose(out->at("p"), {2, 2}, {0.5f, 0.5f, 0.5f, 0.5f});
  REQUIRE_FALSE(exe->executable->run({}));
}
