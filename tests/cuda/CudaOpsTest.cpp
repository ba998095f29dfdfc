// The cuda backend's kernels, op by op, on the emulated device against the
// reference interpreter. Each case is one graph with many outputs, so one
// host compile covers a whole family (CI time); every output is checked on
// its own, and the third run (a CUDA graph replay) must equal the first.
#include <cstdint>

#include "tests/cuda/CudaTestUtil.h"

using namespace nutshell;
using namespace nutshell::cudatest;
using ir::OpKind;
using Ints = std::vector<int64_t>;

TEST_CASE("cuda (emulated): unary and binary elementwise ops, broadcasting, fused chains",
          "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-elementwise");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({3, 37}));
  ir::Value* p = g.addInput("p", ir::TensorType::f32({3, 37}));  // positive: log, sqrt, reciprocal
  std::vector<std::pair<OpKind, ir::AttrMap>> unary = {{OpKind::Relu, {}},
                                                       {OpKind::LeakyRelu, {{"alpha", 0.2}}},
                                                       {OpKind::Sigmoid, {}},
                                                       {OpKind::Tanh, {}},
                                                       {OpKind::Clip, {{"min", -0.5}, {"max", 0.75}}},
                                                       {OpKind::Exp, {}},
                                                       {OpKind::HardSigmoid, {}},
                                                       {OpKind::HardSwish, {}},
                                                       {OpKind::Elu, {{"alpha", 0.7}}},
                                                       {OpKind::Selu, {}},
                                                       {OpKind::Softplus, {}},
                                                       {OpKind::Softsign, {}},
                                                       {OpKind::ThresholdedRelu, {{"alpha", 0.3}}},
                                                       {OpKind::Celu, {{"alpha", 1.5}}},
                                                       {OpKind::Neg, {}},
                                                       {OpKind::Abs, {}},
                                                       {OpKind::Erf, {}},
                                                       {OpKind::Floor, {}},
                                                       {OpKind::Ceil, {}},
                                                       {OpKind::Round, {}},
                                                       {OpKind::Sign, {}},
                                                       {OpKind::Shrink, {{"lambd", 0.4}, {"bias", 0.1}}}};
  for (auto& [kind, attrs] : unary) g.outputs.push_back(op(g, kind, {x}, attrs));
  for (OpKind kind : {OpKind::Log, OpKind::Sqrt, OpKind::Reciprocal}) g.outputs.push_back(op(g, kind, {p}));
  ir::Value* a = g.addInput("a", ir::TensorType::f32({2, 3, 1, 5}));
  ir::Value* b = g.addInput("b", ir::TensorType::f32({3, 4, 1}));
  for (OpKind kind :
       {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max, OpKind::Min, OpKind::Pow})
    g.outputs.push_back(op(g, kind, {b, a}));
  ir::Value* slope = constant(g, randomData({37}, rng));
  g.outputs.push_back(op(g, OpKind::PRelu, {x, slope}));
  g.outputs.push_back(op(g, OpKind::FusedElementwise, {a, b, a},
                         {{"steps", std::vector<std::string>{"add", "leaky_relu", "mul", "clip"}},
                          {"params", std::vector<double>{0, 0, 0.1, 0, 0, 0, -1.0, 1.0}}}));
  TensorMap inputs;
  inputs["x"] = randomTensor({3, 37}, rng, -4.f, 4.f);
  inputs["p"] = randomTensor({3, 37}, rng, 0.1f, 4.f);
  inputs["a"] = randomTensor({2, 3, 1, 5}, rng, 0.5f, 2.f);
  inputs["b"] = randomTensor({3, 4, 1}, rng, 0.5f, 2.f);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cuda (emulated): convolutions with every epilogue, pools, batch_norm", "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-conv");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 4, 11, 10}));
  ir::Value* w = constant(g, randomData({6, 4, 3, 3}, rng));
  ir::Value* wg = constant(g, randomData({6, 2, 3, 3}, rng));
  ir::Value* bias = constant(g, randomData({6}, rng));
  g.outputs.push_back(op(g, OpKind::Conv2d, {x, w, bias}, {{"pads", Ints{1, 1, 1, 1}}}));
  g.outputs.push_back(op(g, OpKind::Conv2d, {x, wg},
                         {{"strides", Ints{2, 1}},
                          {"dilations", Ints{1, 2}},
                          {"groups", int64_t(2)},
                          {"pads", Ints{0, 2, 1, 0}}}));
  g.outputs.push_back(op(g, OpKind::FusedConv2d, {x, w, bias},
                         {{"pads", Ints{1, 1, 1, 1}},
                          {"act", std::string("relu")},
                          {"pool", std::string("max")},
                          {"pool_kernel", Ints{2, 2}},
                          {"pool_strides", Ints{2, 2}}}));
  g.outputs.push_back(op(g, OpKind::FusedConv2d, {x, w, bias},
                         {{"act", std::string("leaky_relu")},
                          {"act_params", std::vector<double>{0.1}},
                          {"pool", std::string("avg")},
                          {"pool_kernel", Ints{3, 3}},
                          {"pool_strides", Ints{2, 2}},
                          {"pool_pads", Ints{1, 1, 1, 1}},
                          {"pool_count_include_pad", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::FusedConv2d, {x, w, bias},
                         {{"act", std::string("clip")},
                          {"act_params", std::vector<double>{-0.5, 0.5}},
                          {"pool", std::string("avg")},
                          {"pool_kernel", Ints{2, 2}},
                          {"pool_strides", Ints{1, 1}},
                          {"pool_pads", Ints{1, 1, 0, 0}}}));
  g.outputs.push_back(op(g, OpKind::MaxPool2d, {x},
                         {{"kernel", Ints{3, 3}},
                          {"strides", Ints{2, 2}},
                          {"pads", Ints{1, 1, 1, 1}},
                          {"ceil_mode", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::MaxPool2d, {x}, {{"kernel", Ints{2, 2}}, {"dilations", Ints{2, 2}}}));
  g.outputs.push_back(op(g, OpKind::AvgPool2d, {x},
                         {{"kernel", Ints{3, 2}},
                          {"strides", Ints{2, 2}},
                          {"pads", Ints{1, 0, 1, 1}},
                          {"count_include_pad", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::AvgPool2d, {x}, {{"kernel", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}));
  g.outputs.push_back(op(g, OpKind::GlobalAvgPool, {x}));
  g.outputs.push_back(op(g, OpKind::GlobalMaxPool, {x}));
  ir::Value* scale = constant(g, randomData({4}, rng));
  ir::Value* shift = constant(g, randomData({4}, rng));
  ir::Value* mean = constant(g, randomData({4}, rng));
  ir::Value* var = constant(g, randomData({4}, rng, 0.5f, 2.f));
  g.outputs.push_back(op(g, OpKind::BatchNorm, {x, scale, shift, mean, var}));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 4, 11, 10}, rng);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cuda (emulated): dense, gemm, matmul and maxout as tiled SGEMM", "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-dense");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({5, 37}));
  ir::Value* w = constant(g, randomData({37, 21}, rng));
  ir::Value* bias = constant(g, randomData({21}, rng));
  g.outputs.push_back(op(g, OpKind::Dense, {x, w, bias}));
  g.outputs.push_back(op(g, OpKind::FusedDense, {x, w, bias}, {{"act", std::string("tanh")}}));
  ir::Value* bt = constant(g, randomData({19, 37}, rng));
  ir::Value* c = constant(g, randomData({19}, rng));
  g.outputs.push_back(
      op(g, OpKind::Gemm, {x, bt, c}, {{"trans_b", int64_t(1)}, {"alpha", 0.5}, {"beta", 2.0}}));
  ir::Value* xt = g.addInput("xt", ir::TensorType::f32({37, 5}));
  ir::Value* c2 = constant(g, randomData({5, 1}, rng));
  g.outputs.push_back(op(g, OpKind::Gemm, {xt, w, c2}, {{"trans_a", int64_t(1)}}));
  ir::Value* a3 = g.addInput("a3", ir::TensorType::f32({2, 1, 7, 9}));
  ir::Value* b3 = g.addInput("b3", ir::TensorType::f32({3, 9, 17}));
  g.outputs.push_back(op(g, OpKind::MatMul, {a3, b3}));
  ir::Value* wm = constant(g, randomData({37, 12}, rng));
  ir::Value* bm = constant(g, randomData({12}, rng));
  g.outputs.push_back(op(g, OpKind::Maxout, {x, wm, bm}, {{"pieces", int64_t(3)}}));
  TensorMap inputs;
  inputs["x"] = randomTensor({5, 37}, rng);
  inputs["xt"] = randomTensor({37, 5}, rng);
  inputs["a3"] = randomTensor({2, 1, 7, 9}, rng);
  inputs["b3"] = randomTensor({3, 9, 17}, rng);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cuda (emulated): softmax and reductions", "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-reduce");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({3, 5, 7}));
  g.outputs.push_back(op(g, OpKind::Softmax, {x}));
  g.outputs.push_back(op(g, OpKind::Softmax, {x}, {{"axis", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::LogSoftmax, {x}, {{"axis", int64_t(0)}}));
  for (OpKind kind :
       {OpKind::ReduceMax, OpKind::ReduceMean, OpKind::ReduceSum, OpKind::ReduceMin, OpKind::ReduceProd,
        OpKind::ReduceL1, OpKind::ReduceL2, OpKind::ReduceSumSquare, OpKind::ReduceLogSumExp}) {
    g.outputs.push_back(op(g, kind, {x}, {{"axes", Ints{0, 2}}, {"keepdims", int64_t(0)}}));
    g.outputs.push_back(op(g, kind, {x}, {{"axes", Ints{-2}}}));
  }
  g.outputs.push_back(op(g, OpKind::ReduceSum, {x}));
  TensorMap inputs;
  inputs["x"] = randomTensor({3, 5, 7}, rng, 0.5f, 1.5f);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cuda (emulated): layer_norm, group_norm, lrn, arg_max and arg_min", "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-norm");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 6, 4, 5}));
  ir::Node* layerNorm = addOp(g, OpKind::LayerNorm,
                              {x, constant(g, randomData({4, 5}, rng)), constant(g, randomData({4, 5}, rng))},
                              {{"axis", int64_t(2)}});
  for (ir::Value* result : layerNorm->results) g.outputs.push_back(result);
  ir::Node* noBias = addOp(g, OpKind::LayerNorm, {x, constant(g, randomData({5}, rng))});
  g.outputs.push_back(noBias->results[0]);
  g.outputs.push_back(op(g, OpKind::GroupNorm,
                         {x, constant(g, randomData({6}, rng)), constant(g, randomData({6}, rng))},
                         {{"num_groups", int64_t(3)}}));
  g.outputs.push_back(op(g, OpKind::Lrn, {x}, {{"size", int64_t(3)}, {"alpha", 0.01}}));
  g.outputs.push_back(op(g, OpKind::Lrn, {x}, {{"size", int64_t(4)}, {"bias", 2.0}}));
  g.outputs.push_back(op(g, OpKind::ArgMax, {x}, {{"axis", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::ArgMin, {x}, {{"axis", int64_t(-1)}, {"keepdims", int64_t(0)}}));
  ir::Value* ties = g.addInput("ties", ir::TensorType::f32({3, 4}));
  g.outputs.push_back(
      op(g, OpKind::ArgMax, {ties}, {{"axis", int64_t(1)}, {"select_last_index", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::ArgMin, {ties}, {{"axis", int64_t(1)}}));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 6, 4, 5}, rng);
  Tensor t(ElementType::F32, {3, 4});
  const float values[] = {1, 3, 3, 0, 2, 2, 2, 2, -1, 5, -1, 5};
  std::memcpy(t.f32(), values, sizeof values);
  inputs["ties"] = t;
  checkAgainstReference(g, inputs);
}

TEST_CASE("cuda (emulated): i64 shape arithmetic, shape ops, 1-D matmul", "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-i64");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 3, 4}));
  ir::Value* n = g.addInput("n", ir::TensorType::i64({2, 3}));
  ir::Value* m = g.addInput("m", ir::TensorType::i64({3}));
  for (OpKind kind : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max, OpKind::Min})
    g.outputs.push_back(op(g, kind, {n, m}));
  g.outputs.push_back(op(g, OpKind::Shape, {x}));
  g.outputs.push_back(op(g, OpKind::Shape, {x}, {{"start", int64_t(1)}, {"end", int64_t(-1)}}));
  g.outputs.push_back(op(g, OpKind::Cast, {x}, {{"to", std::string("i64")}}));
  g.outputs.push_back(op(g, OpKind::Cast, {n}, {{"to", std::string("f32")}}));
  g.outputs.push_back(
      op(g, OpKind::ConstantOfShape, {constant(g, ir::makeI64({2}, {2, 3}))}, {{"value", 2.5}}));
  g.outputs.push_back(op(g, OpKind::Transpose, {n}));
  ir::Value* v = g.addInput("v", ir::TensorType::f32({4}));
  g.outputs.push_back(op(g, OpKind::MatMul, {x, v}));
  g.outputs.push_back(op(g, OpKind::MatMul, {v, constant(g, randomData({3, 4, 5}, rng))}));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 3, 4}, rng, -5.f, 5.f);
  Tensor nt(ElementType::I64, {2, 3}), mt(ElementType::I64, {3});
  const int64_t nv[] = {7, -7, 100, 0, 5, -9}, mv[] = {2, -3, 4};
  std::memcpy(nt.i64(), nv, sizeof nv);
  std::memcpy(mt.i64(), mv, sizeof mv);
  inputs["n"] = nt;
  inputs["m"] = mt;
  inputs["v"] = randomTensor({4}, rng);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cuda (emulated): layout ops, concat, reshape and gather", "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-layout");
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({2, 4, 6, 5}));
  g.outputs.push_back(op(g, OpKind::Transpose, {x}, {{"perm", Ints{0, 2, 3, 1}}}));
  g.outputs.push_back(
      op(g, OpKind::Slice, {x},
         {{"starts", Ints{1, -1}}, {"ends", Ints{4, 0}}, {"axes", Ints{1, 3}}, {"steps", Ints{2, -2}}}));
  g.outputs.push_back(op(g, OpKind::Pad, {x}, {{"pads", Ints{0, 1, 2, 0, 0, 0, 1, 2}}, {"value", 1.5}}));
  g.outputs.push_back(
      op(g, OpKind::Pad, {x}, {{"pads", Ints{0, 0, 2, 1, 0, 0, 1, 2}}, {"mode", std::string("reflect")}}));
  g.outputs.push_back(
      op(g, OpKind::Pad, {x}, {{"pads", Ints{0, 0, 2, 1, 0, 0, 1, 2}}, {"mode", std::string("edge")}}));
  g.outputs.push_back(op(g, OpKind::Tile, {x}, {{"repeats", Ints{1, 2, 1, 3}}}));
  ir::Value* small = g.addInput("small", ir::TensorType::f32({4, 1, 5}));
  g.outputs.push_back(op(g, OpKind::Expand, {small}, {{"shape", Ints{2, 4, 6, 5}}}));
  g.outputs.push_back(op(g, OpKind::DepthToSpace, {x}, {{"blocksize", int64_t(2)}}));
  g.outputs.push_back(
      op(g, OpKind::DepthToSpace, {x}, {{"blocksize", int64_t(2)}, {"mode", std::string("crd")}}));
  ir::Value* even = g.addInput("even", ir::TensorType::f32({1, 2, 6, 4}));
  g.outputs.push_back(op(g, OpKind::SpaceToDepth, {even}, {{"blocksize", int64_t(2)}}));
  ir::Value* y = g.addInput("y", ir::TensorType::f32({2, 3, 6, 5}));
  g.outputs.push_back(op(g, OpKind::Concat, {x, y, x}, {{"axis", int64_t(1)}}));
  g.outputs.push_back(op(g, OpKind::Concat, {x, x}, {{"axis", int64_t(-1)}}));
  g.outputs.push_back(op(g, OpKind::Reshape, {x}, {{"shape", Ints{8, -1}}}));
  g.outputs.push_back(op(g, OpKind::Flatten, {y}));
  ir::Value* indices = constant(g, ir::makeI64({3}, {2, -1, 0}));
  g.outputs.push_back(op(g, OpKind::Gather, {x, indices}, {{"axis", int64_t(2)}}));
  TensorMap inputs;
  inputs["x"] = randomTensor({2, 4, 6, 5}, rng);
  inputs["small"] = randomTensor({4, 1, 5}, rng);
  inputs["even"] = randomTensor({1, 2, 6, 4}, rng);
  inputs["y"] = randomTensor({2, 3, 6, 5}, rng);
  checkAgainstReference(g, inputs);
}

TEST_CASE("cuda (emulated): lstm, bidirectional with peepholes and clip", "[cuda-emulated][ops]") {
  auto rng = makeRng("cuda-lstm");
  const int64_t T = 4, B = 2, I = 5, H = 7, D = 2;
  for (bool peepholes : {false, true}) {
    INFO("peepholes " << peepholes);
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({T, B, I}));
    std::vector<ir::Value*> operands = {x,
                                        constant(g, randomData({D, 4 * H, I}, rng)),
                                        constant(g, randomData({D, 4 * H, H}, rng)),
                                        constant(g, randomData({D, 8 * H}, rng)),
                                        constant(g, randomData({D, B, H}, rng)),
                                        constant(g, randomData({D, B, H}, rng))};
    if (peepholes) operands.push_back(constant(g, randomData({D, 3 * H}, rng)));
    ir::AttrMap attrs = {{"hidden_size", H}, {"direction", std::string("bidirectional")}};
    if (peepholes) attrs["clip"] = 0.8;
    ir::Node* lstm = addOp(g, OpKind::Lstm, operands, attrs);
    for (ir::Value* result : lstm->results) g.outputs.push_back(result);
    TensorMap inputs;
    inputs["x"] = randomTensor({T, B, I}, rng);
    checkAgainstReference(g, inputs);
  }
}

TEST_CASE("cuda: nodes without a kernel yet fail together, by name", "[cuda-emulated][ops]") {
  // An lstm whose state does not fit in shared memory has no kernel yet;
  // two of them beside a relu must be named together. (Weights are inputs:
  // nothing runs, and no 250 MB of constants is made.)
  const int64_t H = 4000;
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({1, 1, 1}));
  g.outputs.push_back(op(g, OpKind::Relu, {x}));
  for (int copy = 0; copy < 2; ++copy) {
    std::string suffix = std::to_string(copy);
    std::vector<ir::Value*> operands = {x,
                                        g.addInput("w" + suffix, ir::TensorType::f32({1, 4 * H, 1})),
                                        g.addInput("r" + suffix, ir::TensorType::f32({1, 4 * H, H})),
                                        g.addInput("b" + suffix, ir::TensorType::f32({1, 8 * H})),
                                        g.addInput("h" + suffix, ir::TensorType::f32({1, 1, H})),
                                        g.addInput("c" + suffix, ir::TensorType::f32({1, 1, H}))};
    g.outputs.push_back(addOp(g, OpKind::Lstm, operands, {{"hidden_size", H}})->results[0]);
  }
  auto compiled = compileEmulated(g);
  REQUIRE_FALSE(compiled.ok());
  INFO(compiled.message());
  CHECK(compiled.error().kind == ErrorKind::Unsupported);
  CHECK(compiled.message().find("no CUDA kernel yet for 2 node(s)") != std::string::npos);
  CHECK(compiled.message().find("lstm %1 (hidden_size too large for shared-memory state)") !=
        std::string::npos);
  CHECK(compiled.message().find("lstm %4 (hidden_size too large for shared-memory state)") !=
        std::string::npos);
}

TEST_CASE("cuda: settings are checked", "[cuda-emulated]") {
  ir::Graph g;
  ir::Value* x = g.addInput("x", ir::TensorType::f32({4}));
  g.outputs.push_back(op(g, OpKind::Relu, {x}));
  auto backend = createBackend("cuda");
  REQUIRE(backend.ok());
  BackendOptions options;
  options.settings["device"] = "gpu0";
  auto badDevice = (*backend)->compile(g, options);
  REQUIRE_FALSE(badDevice.ok());
  CHECK(badDevice.message().find("device 'gpu0' is not a device number or 'emulated'") != std::string::npos);
  options.settings = {{"target-cpu", "znver4"}};
  auto badKey = (*backend)->compile(g, options);
  REQUIRE_FALSE(badKey.ok());
  CHECK(badKey.message().find("has no setting 'target-cpu'") != std::string::npos);
}
