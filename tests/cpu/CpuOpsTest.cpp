// Dense algebra, normalisation, reductions, layout, lstm and shape ops on
// the CPU backend against the reference interpreter.
#include "tests/cpu/CpuTestUtil.h"

using namespace nutshell;
using namespace nutshell::cputest;
using ir::OpKind;

namespace {

/// One-op graph over fresh random f32 inputs of the given shapes.
void checkOp(OpKind kind, const std::vector<std::vector<int64_t>>& shapes, ir::AttrMap attrs, std::mt19937_64& rng,
             const std::vector<bool>& constant = {}) {
  ir::Graph g;
  TensorMap inputs;
  std::vector<ir::Value*> operands;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i < constant.size() && constant[i]) {
      operands.push_back(g.addConstant(randomData(shapes[i], rng)));
    } else {
      std::string name = "in" + std::to_string(i);
      operands.push_back(g.addInput(name, ir::TensorType::f32(shapes[i])));
      inputs[name] = randomTensor(shapes[i], rng, -1.f, 1.f);
    }
  }
  ir::Node* node = addOp(g, kind, operands, attrs);
  for (ir::Value* r : node->results) g.outputs.push_back(r);
  checkAgainstReference(g, inputs);
}

}  // namespace

TEST_CASE("cpu: dense and fused_dense", "[cpu][dense]") {
  auto rng = makeRng("dense");
  for (int64_t M : {1, 3, 7})
    for (int64_t N : {10, 33, 100})
      for (bool constant : {true, false}) {
        INFO("M=" << M << " N=" << N);
        checkOp(OpKind::Dense, {{M, 37}, {37, N}, {N}}, {}, rng, {false, constant, constant});
        checkOp(OpKind::Dense, {{M, 5}, {5, N}}, {}, rng, {false, constant});
        checkOp(OpKind::FusedDense, {{M, 37}, {37, N}, {N}},
                {{"act", std::string("leaky_relu")}, {"act_params", std::vector<double>{0.3}}}, rng,
                {false, constant, constant});
        checkOp(OpKind::FusedDense, {{M, 20}, {20, N}, {N}}, {{"act", std::string("tanh")}}, rng, {false, true, true});
      }
}

TEST_CASE("cpu: maxout", "[cpu][dense]") {
  auto rng = makeRng("maxout");
  for (int64_t M : {1, 4})
    for (bool constant : {true, false})
      checkOp(OpKind::Maxout, {{M, 30}, {30, 21}, {21}}, {{"pieces", int64_t(3)}}, rng, {false, constant, constant});
}

TEST_CASE("cpu: gemm (transposes, alpha, beta, broadcast C)", "[cpu][dense]") {
  auto rng = makeRng("gemm");
  const int64_t M = 5, K = 9, N = 19;
  for (int64_t ta : {0, 1})
    for (int64_t tb : {0, 1})
      for (std::vector<int64_t> c : {std::vector<int64_t>{N}, {M, N}, {M, 1}, {1}})
        for (bool constant : {true, false}) {
          INFO("trans_a " << ta << " trans_b " << tb << " C rank " << c.size());
          std::vector<int64_t> a = ta ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K};
          std::vector<int64_t> b = tb ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N};
          checkOp(OpKind::Gemm, {a, b, c},
                  {{"trans_a", ta}, {"trans_b", tb}, {"alpha", 0.5}, {"beta", ta ? 1.0 : 2.0}}, rng,
                  {false, constant, constant});
        }
  checkOp(OpKind::Gemm, {{1, 784}, {10, 784}, {10}}, {{"trans_b", int64_t(1)}}, rng, {false, true, true});
}

TEST_CASE("cpu: matmul with batch broadcasting and vectors", "[cpu][dense]") {
  auto rng = makeRng("matmul");
  checkOp(OpKind::MatMul, {{3, 4}, {4, 5}}, {}, rng);
  checkOp(OpKind::MatMul, {{2, 3, 4}, {4, 17}}, {}, rng);
  checkOp(OpKind::MatMul, {{2, 1, 3, 4}, {5, 4, 2}}, {}, rng);
  checkOp(OpKind::MatMul, {{4}, {4, 6}}, {}, rng);
  checkOp(OpKind::MatMul, {{3, 4}, {4}}, {}, rng);
  // Attention: scores [B,H,S,D] x [B,H,D,S], then context [B,H,S,S] x [B,H,S,D];
  // a head-shared key broadcasts over the heads.
  checkOp(OpKind::MatMul, {{2, 4, 9, 16}, {2, 4, 16, 9}}, {}, rng);
  checkOp(OpKind::MatMul, {{2, 4, 9, 9}, {2, 4, 9, 16}}, {}, rng);
  checkOp(OpKind::MatMul, {{2, 4, 9, 16}, {2, 1, 16, 9}}, {}, rng);
  checkOp(OpKind::MatMul, {{5}, {2, 3, 5, 7}}, {}, rng);
}

TEST_CASE("cpu: softmax and log_softmax", "[cpu][softmax]") {
  auto rng = makeRng("softmax");
  for (OpKind kind : {OpKind::Softmax, OpKind::LogSoftmax}) {
    checkOp(kind, {{2, 10}}, {}, rng);
    checkOp(kind, {{3, 37}}, {{"axis", int64_t(1)}}, rng);
    checkOp(kind, {{2, 5, 7}}, {{"axis", int64_t(1)}}, rng);
    checkOp(kind, {{2, 5, 20}}, {{"axis", int64_t(0)}}, rng);
    checkOp(kind, {{1, 1000}}, {}, rng);
    checkOp(kind, {{2, 4, 9, 9}}, {{"axis", int64_t(3)}}, rng);  // attention scores, per row
    checkOp(kind, {{2, 4, 9, 9}}, {{"axis", int64_t(1)}}, rng);
  }
}

TEST_CASE("cpu: reductions", "[cpu][reduce]") {
  auto rng = makeRng("reduce");
  for (OpKind kind :
       {OpKind::ReduceMax, OpKind::ReduceMean, OpKind::ReduceSum, OpKind::ReduceMin, OpKind::ReduceProd,
        OpKind::ReduceL1, OpKind::ReduceL2, OpKind::ReduceSumSquare, OpKind::ReduceLogSumExp})
    for (int64_t keep : {0, 1}) {
      checkOp(kind, {{2, 3, 5}}, {{"axes", std::vector<int64_t>{2}}, {"keepdims", keep}}, rng);
      checkOp(kind, {{2, 3, 5}}, {{"axes", std::vector<int64_t>{0, 2}}, {"keepdims", keep}}, rng);
      checkOp(kind, {{4, 6}}, {{"keepdims", keep}}, rng);
      checkOp(kind, {{2, 48, 5}}, {{"axes", std::vector<int64_t>{-2}}, {"keepdims", keep}}, rng);
    }
}

TEST_CASE("cpu: batch_norm and lrn", "[cpu][norm]") {
  auto rng = makeRng("norm");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 5, 7, 3}));
  std::vector<ir::Value*> params;
  for (int i = 0; i < 4; ++i) params.push_back(g.addConstant(randomData({5}, rng, i == 3 ? 0.5f : -1.f, 1.5f)));
  g.outputs.push_back(op(g, OpKind::BatchNorm, {x, params[0], params[1], params[2], params[3]}, {{"epsilon", 1e-3}}));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 5, 7, 3}, rng);
  checkAgainstReference(g, inputs);
  for (int64_t size : {1, 3, 4, 5})
    checkOp(OpKind::Lrn, {{2, 7, 5, 5}}, {{"size", size}, {"alpha", 1e-2}, {"beta", 0.75}, {"bias", 2.0}}, rng);
}

TEST_CASE("cpu: arg_max and arg_min", "[cpu][reduce]") {
  auto rng = makeRng("arg-reduce");
  for (OpKind kind : {OpKind::ArgMax, OpKind::ArgMin})
    for (int64_t last : {0, 1}) {
      checkOp(kind, {{3, 4, 5}}, {{"axis", int64_t(1)}, {"select_last_index", last}}, rng);
      checkOp(kind, {{3, 17}}, {{"axis", int64_t(-1)}, {"keepdims", int64_t(0)}, {"select_last_index", last}},
              rng);
      checkOp(kind, {{6, 2}}, {{"select_last_index", last}}, rng);
    }
  // Ties and NaN: values from a small set, some NaN.
  for (OpKind kind : {OpKind::ArgMax, OpKind::ArgMin})
    for (int64_t last : {0, 1}) {
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32({4, 9}));
      g.outputs.push_back(op(g, kind, {x}, {{"axis", int64_t(1)}, {"select_last_index", last}}));
      Tensor t(ElementType::F32, {4, 9});
      for (int64_t i = 0; i < 36; ++i) t.f32()[i] = i % 11 == 5 ? std::nanf("") : float(int64_t(rng() % 3));
      TensorMap inputs{{"x", t}};
      checkAgainstReference(g, inputs);
    }
}

TEST_CASE("cpu: layer_norm (any axis, optional bias) and group_norm", "[cpu][norm]") {
  auto rng = makeRng("layer-norm");
  checkOp(OpKind::LayerNorm, {{4, 37}, {37}, {37}}, {}, rng, {false, true, true});
  checkOp(OpKind::LayerNorm, {{2, 3, 20}, {3, 20}, {3, 20}}, {{"axis", int64_t(1)}}, rng,
          {false, true, true});
  checkOp(OpKind::LayerNorm, {{3, 5}, {3, 5}}, {{"axis", int64_t(0)}, {"epsilon", 1e-3}}, rng, {false, true});
  checkOp(OpKind::LayerNorm, {{2, 7, 9}, {9}}, {{"axis", int64_t(-1)}}, rng);  // scale as an input
  checkOp(OpKind::LayerNorm, {{1, 2, 1000}, {1000}, {1000}}, {}, rng, {false, true, true});
  for (int64_t groups : {1, 3, 6})
    checkOp(OpKind::GroupNorm, {{2, 6, 5, 5}, {6}, {6}}, {{"num_groups", groups}}, rng, {false, true, true});
  checkOp(OpKind::GroupNorm, {{2, 4, 17}, {4}, {4}}, {{"num_groups", int64_t(2)}, {"epsilon", 1e-3}}, rng);
}

TEST_CASE("cpu: layer_norm is one kernel with its three results", "[cpu][norm]") {
  auto rng = makeRng("layer-norm kernel");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({8, 64}));
  ir::Value* scale = g.addConstant(randomData({64}, rng));
  ir::Value* bias = g.addConstant(randomData({64}, rng));
  ir::Node* ln = addOp(g, OpKind::LayerNorm, {x, scale, bias});
  for (ir::Value* r : ln->results) g.outputs.push_back(r);
  auto compiled = backendUnderTest()->compile(g, BackendOptions{});
  INFO((compiled ? std::string() : compiled.message()));
  REQUIRE(compiled.ok());
  std::string kernels;
  for (const std::string& line : compiled->kernels) kernels += line + "\n";
  INFO(kernels);
  if (backendUnderTestName() == "cpu") {
    CHECK(compiled->kernels.size() == 1);
    CHECK(kernels.find("layer_norm rows=8 length=64") != std::string::npos);
  }
}

TEST_CASE("cpu: tile, expand, depth_to_space, space_to_depth", "[cpu][layout]") {
  auto rng = makeRng("tile");
  checkOp(OpKind::Tile, {{2, 3, 4}}, {{"repeats", std::vector<int64_t>{2, 1, 3}}}, rng);
  checkOp(OpKind::Tile, {{5, 1}}, {{"repeats", std::vector<int64_t>{1, 40}}}, rng);
  checkOp(OpKind::Expand, {{3, 1}}, {{"shape", std::vector<int64_t>{2, 3, 4}}}, rng);
  checkOp(OpKind::Expand, {{1, 4, 1}}, {{"shape", std::vector<int64_t>{3, 1, 5}}}, rng);
  for (std::string mode : {"dcr", "crd"})
    checkOp(OpKind::DepthToSpace, {{2, 8, 3, 5}}, {{"blocksize", int64_t(2)}, {"mode", mode}}, rng);
  checkOp(OpKind::DepthToSpace, {{1, 18, 2, 2}}, {{"blocksize", int64_t(3)}}, rng);
  checkOp(OpKind::SpaceToDepth, {{2, 3, 4, 6}}, {{"blocksize", int64_t(2)}}, rng);
}

TEST_CASE("cpu: layout ops", "[cpu][layout]") {
  auto rng = makeRng("layout");
  checkOp(OpKind::Transpose, {{2, 3, 4}}, {}, rng);
  checkOp(OpKind::Transpose, {{2, 3, 4, 5}}, {{"perm", std::vector<int64_t>{0, 2, 3, 1}}}, rng);
  checkOp(OpKind::Slice, {{6, 9}},
          {{"starts", std::vector<int64_t>{1, -1}}, {"ends", std::vector<int64_t>{5, 0}},
           {"steps", std::vector<int64_t>{2, -2}}},
          rng);
  checkOp(OpKind::Slice, {{3, 10, 4}},
          {{"starts", std::vector<int64_t>{2}}, {"ends", std::vector<int64_t>{100}}, {"axes", std::vector<int64_t>{1}}},
          rng);
  for (std::string mode : {"constant", "edge", "reflect"}) {
    checkOp(OpKind::Pad, {{2, 3, 4, 5}},
            {{"pads", std::vector<int64_t>{0, 0, 1, 2, 0, 1, 2, 1}}, {"mode", mode}, {"value", 0.5}}, rng);
    checkOp(OpKind::Pad, {{3, 6}}, {{"pads", std::vector<int64_t>{0, -1, 2, 3}}, {"mode", mode}}, rng);
  }
  checkOp(OpKind::Concat, {{2, 3, 4}, {2, 5, 4}, {2, 1, 4}}, {{"axis", int64_t(1)}}, rng);
  checkOp(OpKind::Concat, {{1, 3}, {4, 3}}, {{"axis", int64_t(0)}}, rng);
  checkOp(OpKind::Concat, {{2, 3}, {2, 2}}, {{"axis", int64_t(-1)}}, rng, {false, true});
  checkOp(OpKind::Reshape, {{2, 3, 4}}, {{"shape", std::vector<int64_t>{4, -1}}}, rng);
  checkOp(OpKind::Flatten, {{2, 3, 4}}, {{"axis", int64_t(2)}}, rng);
  checkOp(OpKind::Squeeze, {{2, 1, 4}}, {}, rng);
  checkOp(OpKind::Unsqueeze, {{2, 4}}, {{"axes", std::vector<int64_t>{0, 3}}}, rng);
  checkOp(OpKind::Identity, {{7}}, {}, rng);
}

TEST_CASE("cpu: lstm (directions, peepholes, clip, input_forget)", "[cpu][lstm]") {
  auto rng = makeRng("lstm");
  const int64_t T = 5, B = 2, I = 7, H = 20;
  for (std::string direction : {"forward", "reverse", "bidirectional"})
    for (bool peep : {false, true})
      for (bool constant : {true, false}) {
        INFO(direction << " peepholes " << peep << " const " << constant);
        int64_t D = direction == "bidirectional" ? 2 : 1;
        std::vector<std::vector<int64_t>> shapes = {{T, B, I}, {D, 4 * H, I}, {D, 4 * H, H}, {D, 8 * H},
                                                    {D, B, H}, {D, B, H}};
        if (peep) shapes.push_back({D, 3 * H});
        std::vector<bool> consts = {false, constant, constant, true, false, false, true};
        ir::AttrMap attrs = {{"hidden_size", H}, {"direction", direction}};
        if (peep) attrs["clip"] = 0.8;
        if (peep && !constant) attrs["input_forget"] = int64_t(1);
        checkOp(OpKind::Lstm, shapes, attrs, rng, consts);
      }
}

TEST_CASE("cpu: shape ops", "[cpu][shape]") {
  auto rng = makeRng("shapeops");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({3, 4, 5}));
  ir::Value* shape = op(g, OpKind::Shape, {x});
  ir::Value* idx = g.addInput("idx", ir::TensorType::i64({2}));
  ir::Value* dims = op(g, OpKind::Gather, {shape, idx});
  g.outputs.push_back(dims);
  g.outputs.push_back(op(g, OpKind::Gather, {x, idx}, {{"axis", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::Cast, {x}, {{"to", std::string("i64")}}));
  g.outputs.push_back(op(g, OpKind::Cast, {dims}, {{"to", std::string("f32")}}));
  ir::Node* fill = g.addNode(OpKind::ConstantOfShape, {g.addConstant(ir::makeI64({2}, {2, 3}))},
                             {ir::TensorType::f32({2, 3})}, {{"value", 1.5}});
  g.outputs.push_back(fill->result());
  TensorMap inputs;
  inputs["x"] = randomTensor({3, 4, 5}, rng, -9.f, 9.f);
  inputs["idx"] = Tensor::i64({2}, {-1, 1});
  checkAgainstReference(g, inputs);
}
