// Shape rule of every op against hand-computed shapes.
#include <catch2/catch.hpp>

#include "IrTestUtil.h"
#include "ir/ShapeInference.h"

using namespace nutshell;
using namespace nutshell::ir;
using nutshell::ir::test::inferred;
using nutshell::ir::test::T;

namespace {

struct Fixture {
  Graph g;
  Value* in(const std::string& type) { return g.addInput("", T(type)); }
  Value* constI64(std::vector<int64_t> shape, std::vector<int64_t> values) {
    return g.addConstant(makeI64(std::move(shape), std::move(values)));
  }
  std::string infer(OpKind op, std::vector<Value*> operands, AttrMap attrs = {}, int results = 1) {
    Node* n = g.addNode(op, std::move(operands), std::vector<TensorType>(size_t(results)), std::move(attrs));
    return inferred(n);
  }
};

using Ints = std::vector<int64_t>;

}  // namespace

TEST_CASE_METHOD(Fixture, "conv2d shapes", "[shape]") {
  Value* x = in("f32[1,3,32,32]");
  Value* w = in("f32[4,3,5,5]");
  Value* b = in("f32[4]");
  CHECK(infer(OpKind::Conv2d, {x, w, b}) == "f32[1,4,28,28]");
  CHECK(infer(OpKind::Conv2d, {x, w}, {{"strides", Ints{2, 2}}, {"pads", Ints{2, 2, 2, 2}}}) == "f32[1,4,16,16]");
  CHECK(infer(OpKind::Conv2d, {x, w}, {{"pads", Ints{0, 1, 0, 0}}}) == "f32[1,4,28,29]");
  CHECK(infer(OpKind::Conv2d, {x, w}, {{"dilations", Ints{2, 3}}}) == "f32[1,4,24,20]");
  // groups: 8 input channels, 4 groups of 2.
  CHECK(infer(OpKind::Conv2d, {in("f32[1,8,10,10]"), in("f32[8,2,3,3]")}, {{"groups", int64_t(4)}}) ==
        "f32[1,8,8,8]");
  // Symbolic batch passes through; symbolic spatial dims become ?.
  CHECK(infer(OpKind::Conv2d, {in("f32[N,3,32,32]"), w, b}) == "f32[N,4,28,28]");
  CHECK(infer(OpKind::Conv2d, {in("f32[N,3,H,W]"), w, b}) == "f32[N,4,?,?]");
  Value* w4 = in("f32[4,4,5,5]");
  Node* bad = g.addNode(OpKind::Conv2d, {x, w4}, {TensorType()}, {}, {"conv1"});
  CHECK(inferred(bad) ==
        "error: node '%conv1' (conv2d): input channels 3 != weight channels*groups 4 (x: f32[1,3,32,32], w: "
        "f32[4,4,5,5])");
  CHECK_THAT(infer(OpKind::Conv2d, {x, w, in("f32[5]")}), Catch::Contains("bias size 5 != output channels 4"));
  CHECK_THAT(infer(OpKind::Conv2d, {in("f32[1,3,4,4]"), w}), Catch::Contains("larger than the padded input 4"));
  CHECK_THAT(infer(OpKind::Conv2d, {in("f32[1,3,4]"), w}), Catch::Contains("x must have rank 4"));
}

TEST_CASE_METHOD(Fixture, "fused_conv2d with pooling and dest", "[shape]") {
  Value* x = in("f32[N,3,32,32]");
  Value* w = in("f32[4,3,5,5]");
  Value* b = in("f32[4]");
  CHECK(infer(OpKind::FusedConv2d, {x, w, b}, {{"act", std::string("relu")}}) == "f32[N,4,28,28]");
  AttrMap pool{{"pool", std::string("max")}, {"pool_kernel", Ints{2, 2}}, {"pool_strides", Ints{2, 2}}};
  CHECK(infer(OpKind::FusedConv2d, {x, w, b}, pool) == "f32[N,4,14,14]");
  AttrMap withDest = pool;
  withDest["dest_offset"] = int64_t(8);
  CHECK(infer(OpKind::FusedConv2d, {x, w, b, in("f32[N,12,14,14]")}, withDest) == "f32[N,12,14,14]");
  CHECK_THAT(infer(OpKind::FusedConv2d, {x, w, b, in("f32[N,10,14,14]")}, withDest),
             Catch::Contains("channels [8,12) do not fit dest channels 10"));
  CHECK_THAT(infer(OpKind::FusedConv2d, {x, w, b, in("f32[N,12,28,28]")}, withDest),
             Catch::Contains("dest dim 2 is 28"));
}

TEST_CASE_METHOD(Fixture, "pooling shapes", "[shape]") {
  Value* x = in("f32[1,1,4,4]");
  AttrMap k3s2{{"kernel", Ints{3, 3}}, {"strides", Ints{2, 2}}};
  CHECK(infer(OpKind::MaxPool2d, {x}, k3s2) == "f32[1,1,1,1]");
  AttrMap ceil = k3s2;
  ceil["ceil_mode"] = int64_t(1);
  CHECK(infer(OpKind::MaxPool2d, {x}, ceil) == "f32[1,1,2,2]");
  // Ceil mode never starts a window in the end padding: 3 + pads 1,1, k2 s2 -> 2.
  CHECK(infer(OpKind::MaxPool2d, {in("f32[1,1,3,3]")},
              {{"kernel", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"ceil_mode", int64_t(1)}}) ==
        "f32[1,1,2,2]");
  CHECK(infer(OpKind::MaxPool2d, {in("f32[1,1,7,7]")}, {{"kernel", Ints{3, 3}}, {"dilations", Ints{2, 2}}}) ==
        "f32[1,1,3,3]");
  CHECK(infer(OpKind::AvgPool2d, {in("f32[N,8,28,28]")}, {{"kernel", Ints{2, 2}}, {"strides", Ints{2, 2}}}) ==
        "f32[N,8,14,14]");
  CHECK(infer(OpKind::GlobalAvgPool, {in("f32[N,64,7,7]")}) == "f32[N,64,1,1]");
  CHECK(infer(OpKind::GlobalMaxPool, {in("f32[2,64,H,W]")}) == "f32[2,64,1,1]");
  CHECK_THAT(infer(OpKind::MaxPool2d, {x}), Catch::Contains("missing required attribute 'kernel'"));
}

TEST_CASE_METHOD(Fixture, "dense, maxout, gemm, matmul", "[shape]") {
  Value* x = in("f32[N,784]");
  Value* w = in("f32[784,43]");
  CHECK(infer(OpKind::Dense, {x, w, in("f32[43]")}) == "f32[N,43]");
  CHECK(infer(OpKind::FusedDense, {x, w}, {{"act", std::string("relu")}}) == "f32[N,43]");
  CHECK_THAT(infer(OpKind::Dense, {x, in("f32[783,43]")}), Catch::Contains("input features 784 != weight rows 783"));
  CHECK(infer(OpKind::Maxout, {in("f32[2,10]"), in("f32[10,12]"), in("f32[12]")}, {{"pieces", int64_t(3)}}) ==
        "f32[2,4]");
  CHECK_THAT(infer(OpKind::Maxout, {in("f32[2,10]"), in("f32[10,12]"), in("f32[12]")}, {{"pieces", int64_t(5)}}),
             Catch::Contains("not divisible by pieces 5"));
  Value* a = in("f32[3,5]");
  Value* bt = in("f32[4,5]");
  CHECK(infer(OpKind::Gemm, {a, bt}, {{"trans_b", int64_t(1)}}) == "f32[3,4]");
  CHECK(infer(OpKind::Gemm, {in("f32[5,3]"), bt, in("f32[4]")}, {{"trans_a", int64_t(1)}, {"trans_b", int64_t(1)}}) ==
        "f32[3,4]");
  CHECK(infer(OpKind::Gemm, {a, bt, in("f32[3,1]")}, {{"trans_b", int64_t(1)}}) == "f32[3,4]");
  CHECK_THAT(infer(OpKind::Gemm, {a, bt, in("f32[2,4]")}, {{"trans_b", int64_t(1)}}), Catch::Contains("does not broadcast"));
  CHECK_THAT(infer(OpKind::Gemm, {a, bt}), Catch::Contains("inner dims differ"));
  CHECK(infer(OpKind::MatMul, {in("f32[2,3,4]"), in("f32[4,5]")}) == "f32[2,3,5]");
  CHECK(infer(OpKind::MatMul, {in("f32[4]"), in("f32[4,5]")}) == "f32[5]");
  CHECK(infer(OpKind::MatMul, {in("f32[3,4]"), in("f32[4]")}) == "f32[3]");
  CHECK(infer(OpKind::MatMul, {in("f32[2,1,3,4]"), in("f32[5,4,6]")}) == "f32[2,5,3,6]");
}

TEST_CASE_METHOD(Fixture, "elementwise broadcasting", "[shape]") {
  CHECK(infer(OpKind::Add, {in("f32[N,3,1]"), in("f32[4]")}) == "f32[N,3,4]");
  CHECK(infer(OpKind::Sub, {in("f32[1]"), in("f32[2,3]")}) == "f32[2,3]");
  CHECK(infer(OpKind::Mul, {in("i64[3]"), in("i64[]")}) == "i64[3]");
  CHECK(infer(OpKind::Div, {in("f32[N,1]"), in("f32[1,M]")}) == "f32[N,M]");
  CHECK(infer(OpKind::Add, {in("f32[N]"), in("f32[M]")}) == "f32[?]");
  CHECK_THAT(infer(OpKind::Add, {in("f32[3]"), in("f32[4]")}), Catch::Contains("cannot broadcast [3] with [4]"));
  CHECK_THAT(infer(OpKind::Add, {in("f32[3]"), in("i64[3]")}), Catch::Contains("dtypes differ"));
  for (OpKind op : {OpKind::Relu, OpKind::LeakyRelu, OpKind::Sigmoid, OpKind::Tanh, OpKind::Clip, OpKind::Exp,
                    OpKind::HardSigmoid, OpKind::HardSwish, OpKind::Elu, OpKind::Selu, OpKind::Softplus,
                    OpKind::Softsign, OpKind::Neg, OpKind::Abs, OpKind::Sqrt, OpKind::Reciprocal, OpKind::Erf,
                    OpKind::Identity, OpKind::Lrn})
    CHECK(infer(op, {in("f32[N,3,7,7]")}, op == OpKind::Lrn ? AttrMap{{"size", int64_t(3)}} : AttrMap{}) ==
          "f32[N,3,7,7]");
  CHECK_THAT(infer(OpKind::Relu, {in("i64[3]")}), Catch::Contains("x must be f32"));
  CHECK_THAT(infer(OpKind::Neg, {in("i64[3]")}), Catch::Contains("x must be f32"));
  AttrMap steps{{"steps", std::vector<std::string>{"add", "relu", "mul"}}};
  CHECK(infer(OpKind::FusedElementwise, {in("f32[2,3]"), in("f32[3]"), in("f32[2,1]")}, steps) == "f32[2,3]");
  CHECK_THAT(infer(OpKind::FusedElementwise, {in("f32[2,3]"), in("f32[3]")}, steps),
             Catch::Contains("2 binary steps need 3 operands, got 2"));
}

TEST_CASE_METHOD(Fixture, "softmax, reductions, normalisation", "[shape]") {
  Value* x = in("f32[1,8,4,4]");
  CHECK(infer(OpKind::Softmax, {x}) == "f32[1,8,4,4]");
  CHECK(infer(OpKind::LogSoftmax, {x}, {{"axis", int64_t(1)}}) == "f32[1,8,4,4]");
  CHECK_THAT(infer(OpKind::Softmax, {x}, {{"axis", int64_t(4)}}), Catch::Contains("axis 4 out of range for rank 4"));
  CHECK(infer(OpKind::ReduceMean, {x}, {{"axes", Ints{2, 3}}}) == "f32[1,8,1,1]");
  CHECK(infer(OpKind::ReduceMax, {x}, {{"axes", Ints{2, -1}}, {"keepdims", int64_t(0)}}) == "f32[1,8]");
  CHECK(infer(OpKind::ReduceSum, {x}, {{"keepdims", int64_t(0)}}) == "f32[]");
  CHECK_THAT(infer(OpKind::ReduceSum, {x}, {{"axes", Ints{1, -3}}}), Catch::Contains("repeated"));
  Value* c = in("f32[8]");
  CHECK(infer(OpKind::BatchNorm, {x, c, c, c, c}) == "f32[1,8,4,4]");
  CHECK_THAT(infer(OpKind::BatchNorm, {x, c, c, c, in("f32[7]")}), Catch::Contains("var size 7 != channels 8"));
}

TEST_CASE_METHOD(Fixture, "pow, max, min, prelu", "[shape]") {
  CHECK(infer(OpKind::Pow, {in("f32[N,3]"), in("f32[]")}) == "f32[N,3]");
  CHECK(infer(OpKind::Max, {in("f32[2,1]"), in("f32[4]")}) == "f32[2,4]");
  CHECK(infer(OpKind::Min, {in("i64[3]"), in("i64[1]")}) == "i64[3]");
  CHECK_THAT(infer(OpKind::Pow, {in("i64[3]"), in("i64[3]")}), Catch::Contains("a must be f32"));
  CHECK(infer(OpKind::PRelu, {in("f32[N,4,5,5]"), in("f32[4,1,1]")}) == "f32[N,4,5,5]");
  CHECK_THAT(infer(OpKind::PRelu, {in("f32[4]"), in("f32[2,4]")}),
             Catch::Contains("slope does not broadcast to the shape of x"));
  AttrMap steps{{"steps", std::vector<std::string>{"max", "pow", "relu"}}};
  CHECK(infer(OpKind::FusedElementwise, {in("f32[2,3]"), in("f32[3]"), in("f32[]")}, steps) == "f32[2,3]");
}

TEST_CASE_METHOD(Fixture, "more reductions, layer_norm and group_norm", "[shape]") {
  Value* x = in("f32[N,8,4,4]");
  for (OpKind op : {OpKind::ReduceMin, OpKind::ReduceProd, OpKind::ReduceL1, OpKind::ReduceL2,
                    OpKind::ReduceSumSquare, OpKind::ReduceLogSumExp})
    CHECK(infer(op, {x}, {{"axes", Ints{1}}, {"keepdims", int64_t(0)}}) == "f32[N,4,4]");
  CHECK(infer(OpKind::ArgMax, {x}, {{"axis", int64_t(1)}}) == "i64[N,1,4,4]");
  CHECK(infer(OpKind::ArgMin, {x}, {{"axis", int64_t(-1)}, {"keepdims", int64_t(0)}}) == "i64[N,8,4]");
  CHECK_THAT(infer(OpKind::ArgMax, {in("f32[3,0]")}, {{"axis", int64_t(1)}}),
             Catch::Contains("axis 1 is empty"));
  CHECK_THAT(infer(OpKind::ArgMax, {in("i64[3]")}), Catch::Contains("x must be f32"));
  Value* s = in("f32[4,4]");
  CHECK(infer(OpKind::LayerNorm, {x, s, s}, {{"axis", int64_t(2)}}, 3) ==
        "f32[N,8,4,4], f32[N,8,1,1], f32[N,8,1,1]");
  CHECK(infer(OpKind::LayerNorm, {x, in("f32[4]")}, {}, 3) == "f32[N,8,4,4], f32[N,8,4,1], f32[N,8,4,1]");
  CHECK_THAT(infer(OpKind::LayerNorm, {x, s}, {}, 3),
             Catch::Contains("scale must have the normalised dims f32[4]"));
  CHECK_THAT(infer(OpKind::LayerNorm, {x, s}, {{"axis", int64_t(4)}}, 3),
             Catch::Contains("axis 4 out of range"));
  CHECK_THAT(infer(OpKind::LayerNorm, {x, s}, {{"axis", int64_t(2)}, {"epsilon", -1.0}}, 3),
             Catch::Contains("epsilon"));
  Value* c = in("f32[8]");
  CHECK(infer(OpKind::GroupNorm, {x, c, c}, {{"num_groups", int64_t(4)}}) == "f32[N,8,4,4]");
  CHECK_THAT(infer(OpKind::GroupNorm, {x, c, c}, {{"num_groups", int64_t(3)}}),
             Catch::Contains("channels 8 not divisible by num_groups 3"));
  CHECK_THAT(infer(OpKind::GroupNorm, {x, c, in("f32[4]")}, {{"num_groups", int64_t(4)}}),
             Catch::Contains("bias size 4 != channels 8"));
  CHECK_THAT(infer(OpKind::GroupNorm, {x, c, c}), Catch::Contains("num_groups"));
}

TEST_CASE_METHOD(Fixture, "tile, expand, depth_to_space, space_to_depth", "[shape]") {
  CHECK(infer(OpKind::Tile, {in("f32[N,3]")}, {{"repeats", Ints{1, 4}}}) == "f32[N,12]");
  CHECK(infer(OpKind::Tile, {in("f32[N,3]")}, {{"repeats", Ints{2, 0}}}) == "f32[?,0]");
  CHECK_THAT(infer(OpKind::Tile, {in("f32[2,3]")}, {{"repeats", Ints{2}}}),
             Catch::Contains("one entry per axis"));
  CHECK_THAT(infer(OpKind::Tile, {in("f32[2,3]")}, {{"repeats", Ints{2, -1}}}), Catch::Contains("repeats"));
  CHECK(infer(OpKind::Expand, {in("f32[3,1]")}, {{"shape", Ints{2, 1, 4}}}) == "f32[2,3,4]");
  CHECK(infer(OpKind::Expand, {in("i64[N,1]")}, {{"shape", Ints{1}}}) == "i64[N,1]");
  CHECK_THAT(infer(OpKind::Expand, {in("f32[3]")}, {{"shape", Ints{4}}}),
             Catch::Contains("cannot expand to [4]"));
  CHECK(infer(OpKind::DepthToSpace, {in("f32[N,8,3,5]")}, {{"blocksize", int64_t(2)}}) == "f32[N,2,6,10]");
  CHECK(infer(OpKind::SpaceToDepth, {in("f32[N,2,6,10]")}, {{"blocksize", int64_t(2)}}) == "f32[N,8,3,5]");
  CHECK_THAT(infer(OpKind::DepthToSpace, {in("f32[1,8,3,5]")}, {{"blocksize", int64_t(3)}}),
             Catch::Contains("channels 8 not divisible by blocksize^2 9"));
  CHECK_THAT(infer(OpKind::SpaceToDepth, {in("f32[1,8,3,5]")}, {{"blocksize", int64_t(2)}}),
             Catch::Contains("dim 3 not divisible by blocksize 2"));
  // Sizes are checked, never overflowed.
  CHECK_THAT(infer(OpKind::DepthToSpace, {in("f32[1,8,3,5]")}, {{"blocksize", int64_t(1) << 40}}),
             Catch::Contains("blocksize 1099511627776 is too large"));
  CHECK_THAT(infer(OpKind::SpaceToDepth, {in("f32[1,8,1099511627776,1]")}, {{"blocksize", int64_t(1) << 39}}),
             Catch::Contains("too large"));
  CHECK_THAT(infer(OpKind::Tile, {in("f32[1073741824,2]")}, {{"repeats", Ints{1 << 20, 1}}}),
             Catch::Contains("dims too large"));
  CHECK_THAT(infer(OpKind::DepthToSpace, {in("f32[1,8,3,5]")},
                   {{"blocksize", int64_t(2)}, {"mode", std::string("xyz")}}),
             Catch::Contains("dcr|crd"));
}

TEST_CASE_METHOD(Fixture, "reshape: attribute, 0/-1, const and computed operands", "[shape]") {
  Value* x = in("f32[N,16,5,5]");
  CHECK(infer(OpKind::Reshape, {x}, {{"shape", Ints{0, -1}}}) == "f32[N,400]");
  CHECK(infer(OpKind::Reshape, {x}, {{"shape", Ints{-1, 400}}}) == "f32[N,400]");
  CHECK(infer(OpKind::Reshape, {x}, {{"shape", Ints{-1, 7}}}) == "f32[?,7]");
  Value* s = in("f32[2,3,4]");
  CHECK(infer(OpKind::Reshape, {s}, {{"shape", Ints{6, -1}}}) == "f32[6,4]");
  CHECK(infer(OpKind::Reshape, {s}, {{"shape", Ints{0, 0, 2, 2}}}) == "f32[2,3,2,2]");
  CHECK_THAT(infer(OpKind::Reshape, {s}, {{"shape", Ints{5, 5}}}), Catch::Contains("cannot reshape f32[2,3,4]"));
  CHECK_THAT(infer(OpKind::Reshape, {s}, {{"shape", Ints{-1, -1}}}), Catch::Contains("more than one -1"));
  CHECK_THAT(infer(OpKind::Reshape, {s}, {{"shape", Ints{1099511627776, 1099511627776}}}),
             Catch::Contains("dims too large"));
  // Shape from a const operand.
  CHECK(infer(OpKind::Reshape, {s, constI64({2}, {4, -1})}) == "f32[4,6]");
  // Shape from a computed operand: unknown until bound and folded...
  Value* runtime = in("i64[3]");
  CHECK(infer(OpKind::Reshape, {s, runtime}) == "f32[?,?,?]");
  // ...but an ONNX shape sub-graph over static dims is looked through.
  Node* shape = g.addNode(OpKind::Shape, {s}, {T("i64[3]")});
  Node* gather = g.addNode(OpKind::Gather, {shape->result(), constI64({1}, {0})}, {T("i64[1]")});
  Node* cat = g.addNode(OpKind::Concat, {gather->result(), constI64({1}, {-1})}, {T("i64[2]")}, {{"axis", int64_t(0)}});
  CHECK(infer(OpKind::Reshape, {s, cat->result()}) == "f32[2,12]");
  CHECK_THAT(infer(OpKind::Reshape, {s, cat->result()}, {{"shape", Ints{1, 24}}}), Catch::Contains("not both"));
}

TEST_CASE_METHOD(Fixture, "flatten, transpose, concat", "[shape]") {
  CHECK(infer(OpKind::Flatten, {in("f32[N,16,5,5]")}) == "f32[N,400]");
  CHECK(infer(OpKind::Flatten, {in("f32[2,3,4,5]")}, {{"axis", int64_t(2)}}) == "f32[6,20]");
  CHECK(infer(OpKind::Flatten, {in("f32[2,3,4,5]")}, {{"axis", int64_t(0)}}) == "f32[1,120]");
  CHECK(infer(OpKind::Flatten, {in("f32[2,3,4,5]")}, {{"axis", int64_t(-1)}}) == "f32[24,5]");
  CHECK(infer(OpKind::Flatten, {in("f32[N,3,4,5]")}, {{"axis", int64_t(0)}}) == "f32[1,?]");
  CHECK(infer(OpKind::Transpose, {in("f32[1,3,4,5]")}, {{"perm", Ints{0, 2, 3, 1}}}) == "f32[1,4,5,3]");
  CHECK(infer(OpKind::Transpose, {in("f32[N,3,4]")}) == "f32[4,3,N]");
  CHECK_THAT(infer(OpKind::Transpose, {in("f32[1,3]")}, {{"perm", Ints{0, 0}}}), Catch::Contains("not a permutation"));
  AttrMap axis1{{"axis", int64_t(1)}};
  CHECK(infer(OpKind::Concat, {in("f32[N,2,4,4]"), in("f32[N,3,4,4]")}, axis1) == "f32[N,5,4,4]");
  CHECK(infer(OpKind::Concat, {in("f32[2,3]"), in("f32[2,4]"), in("f32[2,1]")}, {{"axis", int64_t(-1)}}) ==
        "f32[2,8]");
  CHECK(infer(OpKind::Concat, {in("f32[2,3]"), in("f32[5,3]")}, {{"axis", int64_t(0)}}) == "f32[7,3]");
  CHECK(infer(OpKind::Concat, {in("f32[N,3]"), in("f32[2,3]")}, {{"axis", int64_t(0)}}) == "f32[?,3]");
  CHECK_THAT(infer(OpKind::Concat, {in("f32[2,3]"), in("f32[3,3]")}, axis1), Catch::Contains("dim 0 differs: 3 vs 2"));
  CHECK_THAT(infer(OpKind::Concat, {in("f32[2,3]")}), Catch::Contains("missing required attribute 'axis'"));
}

TEST_CASE_METHOD(Fixture, "slice and pad", "[shape]") {
  Value* x = in("f32[10,20]");
  CHECK(infer(OpKind::Slice, {x}, {{"starts", Ints{2, -5}}, {"ends", Ints{8, 1000}}}) == "f32[6,5]");
  CHECK(infer(OpKind::Slice, {x}, {{"starts", Ints{-1}}, {"ends", Ints{INT64_MIN}}, {"steps", Ints{-1}}}) ==
        "f32[10,20]");
  CHECK(infer(OpKind::Slice, {x}, {{"starts", Ints{1}}, {"ends", Ints{20}}, {"axes", Ints{-1}}, {"steps", Ints{3}}}) ==
        "f32[10,7]");
  CHECK(infer(OpKind::Slice, {in("f32[N,4]")}, {{"starts", Ints{0, 1}}, {"ends", Ints{INT64_MAX, 3}}}) ==
        "f32[N,2]");
  CHECK(infer(OpKind::Slice, {in("f32[N,4]")}, {{"starts", Ints{1}}, {"ends", Ints{3}}}) == "f32[?,4]");
  CHECK_THAT(infer(OpKind::Slice, {x}, {{"starts", Ints{0}}, {"ends", Ints{1}}, {"steps", Ints{0}}}),
             Catch::Contains("must not contain 0"));
  CHECK(infer(OpKind::Pad, {in("f32[1,3,4,4]")}, {{"pads", Ints{0, 0, 1, 1, 0, 0, 1, 1}}}) == "f32[1,3,6,6]");
  CHECK(infer(OpKind::Pad, {in("f32[4,4]")}, {{"pads", Ints{-1, 0, 0, 2}}}) == "f32[3,6]");
  CHECK_THAT(infer(OpKind::Pad, {in("f32[4,4]")}, {{"pads", Ints{1, 1}}}), Catch::Contains("must have 2*rank = 4"));
  CHECK_THAT(infer(OpKind::Pad, {in("f32[4,4]")}, {{"pads", Ints{-5, 0, 0, 0}}}), Catch::Contains("negative size"));
}

TEST_CASE_METHOD(Fixture, "lstm", "[shape]") {
  Value* X = in("f32[16,N,8]");
  Value* W = in("f32[1,256,8]");
  Value* R = in("f32[1,256,64]");
  Value* B = in("f32[1,512]");
  Value* h = in("f32[1,N,64]");
  AttrMap hs{{"hidden_size", int64_t(64)}};
  CHECK(infer(OpKind::Lstm, {X, W, R, B, h, h}, hs, 3) == "f32[16,1,N,64], f32[1,N,64], f32[1,N,64]");
  CHECK(infer(OpKind::Lstm, {X, W, R, B, h, h, in("f32[1,192]")}, hs, 3) == "f32[16,1,N,64], f32[1,N,64], f32[1,N,64]");
  AttrMap bi{{"hidden_size", int64_t(4)}, {"direction", std::string("bidirectional")}};
  Value* h2 = in("f32[2,3,4]");
  CHECK(infer(OpKind::Lstm, {in("f32[5,3,2]"), in("f32[2,16,2]"), in("f32[2,16,4]"), in("f32[2,32]"), h2, h2}, bi, 3) ==
        "f32[5,2,3,4], f32[2,3,4], f32[2,3,4]");
  CHECK_THAT(infer(OpKind::Lstm, {X, W, R, B, h, h}, {{"hidden_size", int64_t(32)}}, 3),
             Catch::Contains("W is f32[1,256,8], expected f32[1,128,8]"));
}

TEST_CASE_METHOD(Fixture, "shape ops", "[shape]") {
  Value* x = in("f32[N,3,32,32]");
  CHECK(infer(OpKind::Shape, {x}) == "i64[4]");
  CHECK(infer(OpKind::Shape, {x}, {{"start", int64_t(1)}, {"end", int64_t(-1)}}) == "i64[2]");
  CHECK(infer(OpKind::Gather, {in("f32[5,6]"), in("i64[2,3]")}, {{"axis", int64_t(1)}}) == "f32[5,2,3]");
  CHECK(infer(OpKind::Gather, {in("i64[4]"), constI64({}, {2})}) == "i64[]");
  CHECK_THAT(infer(OpKind::Gather, {in("i64[4]"), constI64({}, {4})}), Catch::Contains("index 4 out of range"));
  CHECK(infer(OpKind::Unsqueeze, {in("i64[3]")}, {{"axes", Ints{0}}}) == "i64[1,3]");
  CHECK(infer(OpKind::Unsqueeze, {in("f32[3,4]")}, {{"axes", Ints{-1, 1}}}) == "f32[3,1,4,1]");
  CHECK(infer(OpKind::Squeeze, {in("f32[1,3,1]")}) == "f32[3]");
  CHECK(infer(OpKind::Squeeze, {in("f32[1,3,1]")}, {{"axes", Ints{0}}}) == "f32[3,1]");
  CHECK_THAT(infer(OpKind::Squeeze, {in("f32[1,3,1]")}, {{"axes", Ints{1}}}), Catch::Contains("cannot squeeze axis 1"));
  CHECK(infer(OpKind::ConstantOfShape, {constI64({2}, {2, 3})}) == "f32[2,3]");
  CHECK(infer(OpKind::ConstantOfShape, {constI64({1}, {7})}, {{"dtype", std::string("i64")}}) == "i64[7]");
  CHECK(infer(OpKind::ConstantOfShape, {in("i64[3]")}) == "f32[?,?,?]");
  CHECK(infer(OpKind::Cast, {x}, {{"to", std::string("i64")}}) == "i64[N,3,32,32]");
  CHECK_THAT(infer(OpKind::Cast, {x}, {{"to", std::string("f16")}}),
             Catch::Contains("must be one of f32|i64|bool|i32|i8|u8|f64"));
  CHECK(infer(OpKind::Cast, {x}, {{"to", std::string("bool")}}) == "bool[N,3,32,32]");
  CHECK(infer(OpKind::Gather, {in("f32[5,3]"), in("i32[2]")}) == "f32[2,3]");
}

TEST_CASE_METHOD(Fixture, "comparisons, logic and where", "[shape][dtype]") {
  CHECK(infer(OpKind::Less, {in("f32[2,1,4]"), in("f32[3,1]")}) == "bool[2,3,4]");
  CHECK(infer(OpKind::Equal, {in("bool[4]"), in("bool[]")}) == "bool[4]");
  CHECK(infer(OpKind::GreaterEqual, {in("u8[N,4]"), in("u8[4]")}) == "bool[N,4]");
  CHECK_THAT(infer(OpKind::Less, {in("f32[4]"), in("i64[4]")}), Catch::Contains("operand dtypes differ"));
  CHECK_THAT(infer(OpKind::Less, {in("bool[4]"), in("bool[4]")}),
             Catch::Contains("which less does not accept"));
  CHECK(infer(OpKind::Not, {in("bool[2,3]")}) == "bool[2,3]");
  CHECK(infer(OpKind::Xor, {in("bool[2,1]"), in("bool[5]")}) == "bool[2,5]");
  CHECK_THAT(infer(OpKind::And, {in("bool[2]"), in("i64[2]")}),
             Catch::Contains("b must be bool, got i64[2]"));
  CHECK(infer(OpKind::Where, {in("bool[3,1]"), in("i32[4]"), in("i32[]")}) == "i32[3,4]");
  CHECK(infer(OpKind::Where, {in("bool[2]"), in("f64[3,2]"), in("f64[2]")}) == "f64[3,2]");
  CHECK_THAT(infer(OpKind::Where, {in("f32[2]"), in("f32[2]"), in("f32[2]")}),
             Catch::Contains("cond must be bool"));
  CHECK_THAT(infer(OpKind::Where, {in("bool[2]"), in("f32[2]"), in("i64[2]")}),
             Catch::Contains("x and y dtypes differ"));
  CHECK_THAT(infer(OpKind::Relu, {in("i32[2]")}), Catch::Contains("x is i32, which relu does not accept"));
}

TEST_CASE_METHOD(Fixture, "const and empty", "[shape]") {
  Value* c = g.addConstant(makeF32({2, 2}, {1, 2, 3, 4}));
  CHECK(inferred(c->producer) == "f32[2,2]");
  Node* e = g.addNode(OpKind::Empty, {}, {T("f32[N,64,28,28]")});
  CHECK(inferred(e) == "f32[N,64,28,28]");
}

TEST_CASE_METHOD(Fixture, "overflow is reported, never computed", "[shape]") {
  Value* big = in("f32[1048576,1048576,1048576]");
  CHECK_THAT(infer(OpKind::Relu, {big}), Catch::Contains("dims too large"));
  CHECK_THAT(infer(OpKind::Pad, {in("f32[4]")}, {{"pads", Ints{INT64_MAX, 1}}}), Catch::Contains("must have entries in"));
  CHECK_THAT(infer(OpKind::Flatten, {in("f32[1099511627776,1099511627776]")}), Catch::Contains("dims too large"));
  CHECK_THAT(infer(OpKind::Conv2d, {in("f32[1,1,8,8]"), in("f32[1,1,3,3]")}, {{"dilations", Ints{INT64_MAX, 1}}}),
             Catch::Contains("must have entries in"));
}

TEST_CASE("bindInputShapes binds symbols and re-infers", "[shape]") {
  Graph g;
  Value* x = g.addInput("x", T("f32[N,3,32,32]"));
  Value* w = g.addConstant(makeF32({4, 3, 5, 5}, std::vector<float>(300, 0.f)));
  Node* conv = g.addNode(OpKind::Conv2d, {x, w}, {T("f32[N,4,28,28]")});
  Node* flat = g.addNode(OpKind::Reshape, {conv->result()}, {T("f32[N,3136]")}, {{"shape", Ints{-1, 3136}}});
  g.outputs.push_back(flat->result());
  REQUIRE(bindInputShapes(g, {{"x", {2, 3, 32, 32}}}));
  CHECK(flat->result()->type.str() == "f32[2,3136]");
  CHECK(conv->result()->type.str() == "f32[2,4,28,28]");

  Graph h;
  h.addInput("x", T("f32[N,3]"));
  h.addInput("y", T("f32[M,3]"));
  auto status = bindInputShapes(h, {{"x", {2, 3}}});
  REQUIRE(!status);
  CHECK_THAT(status.message(), Catch::Contains("unbound symbol M"));
  CHECK_THAT(bindInputShapes(h, {{"z", {1}}}).message(), Catch::Contains("no input named 'z'"));
  CHECK_THAT(bindInputShapes(h, {{"x", {2, 4}}}).message(), Catch::Contains("shape given is f32[2,4]"));
}

TEST_CASE("broadcastDims", "[shape]") {
  auto r = broadcastDims(T("f32[8,1,6,1]").dims, T("f32[7,1,5]").dims);
  REQUIRE(r);
  CHECK(TensorType(DType::F32, *r).str() == "f32[8,7,6,5]");
  CHECK(!broadcastDims(T("f32[2,3]").dims, T("f32[4]").dims));
}
