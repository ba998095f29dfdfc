// Typed IR values: activations and elementwise chains (ir/Activation.h),
// conv and pool geometry (ir/OpViews.h). Activations and chains:
// the one place their text (act, act_params, steps, params) is read.
#include <cmath>

#include <catch2/catch.hpp>

#include "IrTestUtil.h"
#include "ir/Activation.h"
#include "ir/ConvAlgorithm.h"
#include "ir/OpViews.h"

using namespace nutshell;
using namespace nutshell::ir;
using nutshell::ir::test::T;

TEST_CASE("activations by name, with their parameters and defaults", "[activation]") {
  Expected<Activation> none = activationNamed("none", {});
  REQUIRE(none);
  CHECK(none->isNone());
  CHECK(none->name() == "none");

  Expected<Activation> leaky = activationNamed("leaky_relu", {});
  REQUIRE(leaky);
  CHECK(leaky->op == OpKind::LeakyRelu);
  CHECK(leaky->p0 == Approx(0.01));  // the default alpha of leaky_relu in ops.def
  CHECK(leaky->params() == std::vector<double>{leaky->p0});

  Expected<Activation> clip = activationNamed("clip", {});
  REQUIRE(clip);
  CHECK(std::isinf(clip->p0));
  CHECK(clip->p0 < 0);
  CHECK(std::isinf(clip->p1));
  Expected<Activation> relu6 = activationNamed("clip", {0.0, 6.0});
  REQUIRE(relu6);
  CHECK(relu6->params() == std::vector<double>{0.0, 6.0});

  Expected<Activation> unknown = activationNamed("gelu", {});
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.message(),
             Catch::Contains("unknown activation 'gelu' (expected none|relu|leaky_relu|sigmoid"));
  Expected<Activation> wrongCount = activationNamed("clip", {1.0});
  REQUIRE_FALSE(wrongCount);
  CHECK_THAT(wrongCount.message(), Catch::Contains("'clip' takes 2 act_params, got 1"));
  // A non-unary op is not an activation, even though the table knows it.
  CHECK_FALSE(activationNamed("add", {}));
}

TEST_CASE("unary nodes and fused epilogues as activations", "[activation]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[2,3]"));
  Node* clip = g.addNode(OpKind::Clip, {x}, {T("f32[2,3]")}, {{"min", 0.0}, {"max", 6.0}});
  auto act = activationOf(*clip);
  REQUIRE(act);
  CHECK(act->op == OpKind::Clip);
  CHECK(act->p1 == 6.0);
  Node* add = g.addNode(OpKind::Add, {x, x}, {T("f32[2,3]")});
  CHECK_FALSE(activationOf(*add));

  Node* dense = g.addNode(OpKind::Dense, {x, x}, {T("f32[2,3]")});
  Expected<Activation> plain = fusedActivation(*dense);  // no `act` attribute: none
  REQUIRE(plain);
  CHECK(plain->isNone());
}

TEST_CASE("elementwise chains as steps", "[activation]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[4]"));
  Value* y = g.addInput("y", T("f32[4]"));
  Node* chain = g.addNode(OpKind::FusedElementwise, {x, y}, {T("f32[4]")},
                          {{"steps", std::vector<std::string>{"add", "leaky_relu", "exp"}},
                           {"params", std::vector<double>{0, 0, 0.2, 0, 0, 0}}},
                          {"c"});
  Expected<std::vector<ChainStep>> steps = chainSteps(*chain);
  REQUIRE(steps);
  REQUIRE(steps->size() == 3);
  CHECK((*steps)[0].isBinary());
  CHECK((*steps)[1].act.op == OpKind::LeakyRelu);
  CHECK((*steps)[1].act.p0 == 0.2);
  CHECK((*steps)[2].act.op == OpKind::Exp);

  chain->attrs["steps"] = std::vector<std::string>{"add", "mul", "relu"};
  chain->attrs.erase("params");
  Expected<std::vector<ChainStep>> tooFew = chainSteps(*chain);
  REQUIRE_FALSE(tooFew);
  CHECK_THAT(tooFew.message(), Catch::Contains("2 binary steps need 3 operands, got 2"));
  chain->attrs["steps"] = std::vector<std::string>{"softmax"};
  CHECK_THAT(chainSteps(*chain).message(), Catch::Contains("unknown step 'softmax'"));
  CHECK(chainStepNames() ==
        "add|sub|mul|div|pow|max|min|prelu|relu|leaky_relu|sigmoid|tanh|clip|exp|hard_sigmoid|hard_swish|elu|"
        "selu|softplus|softsign|thresholded_relu|celu|neg|abs|sqrt|reciprocal|erf|log|floor|ceil|round|sign|"
        "shrink");
}

TEST_CASE("an activation's parameters are its op's float attributes", "[activation]") {
  // Activation holds two parameters (p0, p1) and fused_elementwise two per step.
  for (size_t i = 0; i < kNumOps; ++i) {
    const OpInfo& info = opInfo(OpKind(i));
    if (!info.has(Trait::Unary | Trait::Elementwise)) continue;
    INFO(info.name);
    size_t floats = 0;
    for (const AttrSpec& spec : info.attrs) floats += spec.kind == AttrKind::Float;
    CHECK(floats <= 2);
    CHECK(activationNamed(info.name, {})->params().size() == floats);
  }
  Expected<Activation> hard = activationNamed("hard_sigmoid", {});
  REQUIRE(hard);
  CHECK(hard->p0 == Approx(0.2));  // ONNX's defaults, from ops.def
  CHECK(hard->p1 == Approx(0.5));
  Expected<Activation> selu = activationNamed("selu", {});
  REQUIRE(selu);
  CHECK(selu->p0 == Approx(1.67326319217681884765625));
  CHECK(selu->p1 == Approx(1.05070102214813232421875));
  Expected<Activation> elu = activationNamed("elu", {0.5});
  REQUIRE(elu);
  CHECK(elu->params() == std::vector<double>{0.5});
  CHECK_THAT(activationNamed("elu", {0.5, 1.0}).message(),
             Catch::Contains("'elu' takes 1 act_params, got 2"));
  CHECK(activationNamed("hard_swish", {})->params().empty());

  Graph g;
  Value* x = g.addInput("x", T("f32[4]"));
  Node* n = g.addNode(OpKind::HardSigmoid, {x}, {T("f32[4]")}, {{"alpha", 0.3}});
  std::optional<Activation> act = activationOf(*n);
  REQUIRE(act);
  CHECK(act->op == OpKind::HardSigmoid);
  CHECK(act->params() == std::vector<double>{0.3, 0.5});  // beta from the table
}

TEST_CASE("conv and pool geometry as typed views", "[op-views]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[1,4,8,8]"));
  Value* w = g.addInput("w", T("f32[4,2,3,3]"));
  Node* conv = g.addNode(OpKind::Conv2d, {x, w}, {T("f32[1,4,4,4]")},
                         {{"strides", std::vector<int64_t>{2, 2}},
                          {"pads", std::vector<int64_t>{1, 0, 1, 0}},
                          {"groups", int64_t(2)}},
                         {"c"});
  Expected<ConvGeometry> geometry = convGeometry(*conv);
  REQUIRE(geometry);
  CHECK(geometry->strideH == 2);
  CHECK(geometry->padTop == 1);
  CHECK(geometry->padLeft == 0);
  CHECK(geometry->dilationW == 1);  // the table's default
  CHECK(geometry->groups == 2);
  conv->attrs["pads"] = std::vector<int64_t>{1, 1};
  CHECK_THAT(convGeometry(*conv).message(),
             Catch::Contains("node '%c' (conv2d): pads must be 4 values >= 0, got [1,1]"));

  Node* pool = g.addNode(OpKind::AvgPool2d, {x}, {T("f32[1,4,4,4]")},
                         {{"kernel", std::vector<int64_t>{2, 2}}, {"count_include_pad", int64_t(1)}});
  Expected<PoolGeometry> window = poolGeometry(*pool);
  REQUIRE(window);
  CHECK_FALSE(window->isMax);
  CHECK(window->kernelW == 2);
  CHECK(window->countIncludePad);
  CHECK_FALSE(poolGeometry(*conv));  // not a pooling

  Node* fused = g.addNode(OpKind::FusedConv2d, {x, w, w}, {T("f32[1,4,3,3]")},
                          {{"pool", std::string("max")},
                           {"pool_kernel", std::vector<int64_t>{3, 3}},
                           {"pool_strides", std::vector<int64_t>{2, 2}}});
  Expected<std::optional<PoolGeometry>> epilogue = fusedPoolGeometry(*fused);
  REQUIRE(epilogue);
  REQUIRE(epilogue->has_value());
  CHECK((*epilogue)->isMax);
  CHECK((*epilogue)->strideW == 2);
  fused->attrs["pool"] = std::string("none");
  REQUIRE(fusedPoolGeometry(*fused));
  CHECK_FALSE(fusedPoolGeometry(*fused)->has_value());
}

TEST_CASE("typed views: a convolution's plan is an enum and a tile", "[op-views]") {
  for (ConvAlgorithm a : kAllConvAlgorithms) CHECK(parseConvAlgorithm(convAlgorithmName(a)) == a);
  CHECK_FALSE(parseConvAlgorithm("auto"));

  Graph g;
  Value* x = g.addInput("x", T("f32[1,4,5,5]"));
  Value* w = g.addInput("w", T("f32[4,4,3,3]"));
  Node* fused = g.addNode(OpKind::FusedConv2d, {x, w, w}, {T("f32[1,4,3,3]")}, {});
  fused->results[0]->name = "f";
  Expected<ConvPlan> plan = convPlan(*fused);
  REQUIRE(plan);
  CHECK_FALSE(plan->algorithm);  // the table's default, auto
  CHECK(plan->algorithmOrDirect() == ConvAlgorithm::Direct);
  CHECK(plan->tile == 0);

  CHECK(setConvPlan(*fused, ConvAlgorithm::Winograd, 4));
  CHECK_FALSE(setConvPlan(*fused, ConvAlgorithm::Winograd, 4));  // unchanged
  CHECK(fused->getString("algo") == "winograd");
  plan = convPlan(*fused);
  REQUIRE(plan);
  CHECK(plan->algorithm == ConvAlgorithm::Winograd);
  CHECK(plan->tile == 4);
  CHECK(setConvPlan(*fused, ConvAlgorithm::Im2col, 0));
  CHECK_FALSE(fused->attrs.count("tile"));  // no tile for im2col

  fused->attrs["algo"] = std::string("gemm");
  CHECK_THAT(
      convPlan(*fused).message(),
      Catch::Contains(
          "node '%f' (fused_conv2d): unknown conv algorithm 'gemm' (auto|direct|im2col|fft|winograd)"));
}
