// Per-op import, including the differences between ONNX opsets.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "ir/Verifier.h"
#include "tests/importer/OnnxTestUtil.h"

using namespace nutshell;
namespace importer = nutshell::onnx;
using test::countOp;
using test::findOp;
using test::ModelBuilder;

namespace {

std::unique_ptr<ir::Graph> importOk(const ModelBuilder& mb, const importer::ImportOptions& options = {}) {
  auto graph = mb.import(options);
  INFO((graph ? std::string() : graph.message()));
  REQUIRE(graph);
  REQUIRE(ir::verifyGraph(**graph).ok());
  return graph.take();
}

std::string importFail(const ModelBuilder& mb) {
  auto graph = mb.import();
  REQUIRE_FALSE(graph);
  return graph.message();
}

}  // namespace

TEST_CASE("Softmax before opset 13 coerces to 2-D", "[importer][ops]") {
  SECTION("opset 11, axis 1 of a rank-3 input: flatten, softmax, reshape back") {
    ModelBuilder mb(11);
    mb.input("x", {2, 3, 4}).output("y");
    mb.node("Softmax", {"x"}, {"y"});
    auto g = importOk(mb);
    REQUIRE(countOp(*g, ir::OpKind::Flatten) == 1);
    const ir::Node* soft = findOp(*g, ir::OpKind::Softmax);
    REQUIRE(soft);
    CHECK(soft->getInt("axis") == 1);
    CHECK(soft->operands[0]->type == ir::TensorType::f32({2, 12}));
    const ir::Node* reshape = findOp(*g, ir::OpKind::Reshape);
    REQUIRE(reshape);
    CHECK(reshape->getInts("shape") == std::vector<int64_t>{2, 3, 4});
    CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3, 4}));
    CHECK(g->outputs[0]->name == "y");
  }
  SECTION("opset 11 with a symbolic batch reshapes back with shape(x)") {
    ModelBuilder mb(11);
    mb.input("x", {0, 3, 4}, 1, {{0, "N"}}).output("y");
    auto& n = mb.node("LogSoftmax", {"x"}, {"y"});
    test::setInt(n, "axis", 1);
    auto g = importOk(mb);
    CHECK(countOp(*g, ir::OpKind::Shape) == 1);
    CHECK(countOp(*g, ir::OpKind::LogSoftmax) == 1);
    CHECK(findOp(*g, ir::OpKind::Reshape)->operands.size() == 2);
  }
  SECTION("opset 11 on the last axis needs no coercion") {
    ModelBuilder mb(11);
    mb.input("x", {2, 5}).output("y");
    mb.node("Softmax", {"x"}, {"y"});
    auto g = importOk(mb);
    CHECK(g->nodes().size() == 1);
    CHECK(findOp(*g, ir::OpKind::Softmax)->getInt("axis") == 1);
  }
  SECTION("opset 13 is per-axis, default -1") {
    ModelBuilder mb(13);
    mb.input("x", {2, 3, 4}).output("y");
    mb.node("Softmax", {"x"}, {"y"});
    auto g = importOk(mb);
    CHECK(g->nodes().size() == 1);
    CHECK(findOp(*g, ir::OpKind::Softmax)->getInt("axis") == 2);
  }
}

TEST_CASE("ReduceSum axes: attribute before opset 13, constant input since", "[importer][ops]") {
  {
    ModelBuilder mb(11);
    mb.input("x", {2, 3, 4}).output("y");
    auto& n = mb.node("ReduceSum", {"x"}, {"y"});
    test::setInts(n, "axes", {-1});
    test::setInt(n, "keepdims", 0);
    auto g = importOk(mb);
    CHECK(findOp(*g, ir::OpKind::ReduceSum)->getInts("axes") == std::vector<int64_t>{2});
    CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {2, 3, 4}).output("y");
    mb.initI64("axes", {1}, {1});
    mb.node("ReduceSum", {"x", "axes"}, {"y"});
    auto g = importOk(mb);
    CHECK(findOp(*g, ir::OpKind::ReduceSum)->getInts("axes") == std::vector<int64_t>{1});
    CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 1, 4}));
    CHECK(countOp(*g, ir::OpKind::Const) == 0);  // the axes were consumed
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {2, 3}).input("a", {1}, 7).output("y");
    mb.node("ReduceSum", {"x", "a"}, {"y"});
    CHECK_THAT(importFail(mb),
               Catch::Contains("(ReduceSum): unsupported: axes (input 'a') must be a constant"));
  }
  {
    ModelBuilder mb(13);  // ReduceMean still takes its axes as an attribute at 13
    mb.input("x", {2, 3}).output("y");
    auto& n = mb.node("ReduceMean", {"x"}, {"y"});
    test::setInts(n, "axes", {0});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3}));
  }
}

TEST_CASE("Unsqueeze and Squeeze axes across opsets", "[importer][ops]") {
  {
    ModelBuilder mb(11);
    mb.input("x", {3, 4}).output("y");
    auto& n = mb.node("Unsqueeze", {"x"}, {"y"});
    test::setInts(n, "axes", {0, -1});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3, 4, 1}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 3, 1}).output("y");
    mb.constI64("axes", {1}, {2});
    mb.node("Squeeze", {"x", "axes"}, {"y"});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 3, 1}).output("y");
    mb.node("Squeeze", {"x"}, {"y"});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({3}));
  }
}

TEST_CASE("Slice: attributes before opset 10, constant inputs since", "[importer][ops]") {
  {
    ModelBuilder mb(9);
    mb.input("x", {4, 10}).output("y");
    auto& n = mb.node("Slice", {"x"}, {"y"});
    test::setInts(n, "starts", {1});
    test::setInts(n, "ends", {1000});
    test::setInts(n, "axes", {1});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({4, 9}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {4, 10}).output("y");
    mb.initI64("starts", {1}, {-1});
    mb.initI64("ends", {1}, {-1000});
    mb.initI64("axes", {1}, {1});
    mb.initI64("steps", {1}, {-2});
    mb.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
    auto g = importOk(mb);
    const ir::Node* slice = findOp(*g, ir::OpKind::Slice);
    CHECK(slice->getInts("steps") == std::vector<int64_t>{-2});
    CHECK(g->outputs[0]->type == ir::TensorType::f32({4, 5}));
  }
}

TEST_CASE("Pad: attribute before opset 11, constant inputs since", "[importer][ops]") {
  {
    ModelBuilder mb(7);
    mb.input("x", {1, 1, 2, 2}).output("y");
    auto& n = mb.node("Pad", {"x"}, {"y"});
    test::setInts(n, "pads", {0, 0, 1, 2, 0, 0, 3, 4});
    test::setFloat(n, "value", 1.5f);
    auto g = importOk(mb);
    const ir::Node* pad = findOp(*g, ir::OpKind::Pad);
    CHECK(pad->getFloat("value") == 1.5);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 1, 6, 8}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 1, 2, 2}).output("y");
    mb.initI64("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
    auto& n = mb.node("Pad", {"x", "pads"}, {"y"});
    test::setString(n, "mode", "reflect");
    auto g = importOk(mb);
    CHECK(findOp(*g, ir::OpKind::Pad)->getString("mode") == "reflect");
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 1, 4, 4}));
  }
  {
    ModelBuilder mb(18);
    mb.input("x", {1, 1, 2, 2}).output("y");
    mb.initI64("pads", {4}, {1, 2, 3, 4});
    mb.initI64("axes", {2}, {2, 3});
    mb.node("Pad", {"x", "pads", "", "axes"}, {"y"});
    auto g = importOk(mb);
    CHECK(findOp(*g, ir::OpKind::Pad)->getInts("pads") == std::vector<int64_t>{0, 0, 1, 2, 0, 0, 3, 4});
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 1, 2, 2}).output("y");
    mb.initI64("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
    auto& n = mb.node("Pad", {"x", "pads"}, {"y"});
    test::setString(n, "mode", "wrap");
    CHECK_THAT(importFail(mb), Catch::Contains("unsupported: mode 'wrap'"));
  }
}

TEST_CASE("Clip: attributes before opset 11, optional constant inputs since", "[importer][ops]") {
  {
    ModelBuilder mb(7);
    mb.input("x", {4}).output("y");
    auto& n = mb.node("Clip", {"x"}, {"y"});
    test::setFloat(n, "min", -1.0f);
    test::setFloat(n, "max", 6.0f);
    auto g = importOk(mb);
    const ir::Node* clip = findOp(*g, ir::OpKind::Clip);
    CHECK(clip->getFloat("min") == -1.0);
    CHECK(clip->getFloat("max") == 6.0);
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {4}).output("y");
    mb.initF32("hi", {}, {6.0f});
    mb.node("Clip", {"x", "", "hi"}, {"y"});
    auto g = importOk(mb);
    const ir::Node* clip = findOp(*g, ir::OpKind::Clip);
    CHECK_FALSE(clip->hasAttr("min"));
    CHECK(clip->getFloat("max") == 6.0);
  }
}

TEST_CASE("Conv auto_pad resolves to explicit pads", "[importer][ops]") {
  auto build = [](const std::string& autoPad, int64_t stride) {
    ModelBuilder mb(13);
    mb.input("x", {1, 2, 7, 7}).output("y");
    mb.initF32("w", {3, 2, 4, 4}, std::vector<float>(3 * 2 * 16, 0.5f));
    auto& n = mb.node("Conv", {"x", "w"}, {"y"});
    test::setString(n, "auto_pad", autoPad);
    test::setInts(n, "strides", {stride, stride});
    return mb;
  };
  {
    // in 7, k 4, s 1: out 7 needs 3 pads: SAME_UPPER puts the extra one at the end.
    auto g = importOk(build("SAME_UPPER", 1));
    CHECK(findOp(*g, ir::OpKind::Conv2d)->getInts("pads") == std::vector<int64_t>{1, 1, 2, 2});
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3, 7, 7}));
  }
  {
    auto g = importOk(build("SAME_LOWER", 1));
    CHECK(findOp(*g, ir::OpKind::Conv2d)->getInts("pads") == std::vector<int64_t>{2, 2, 1, 1});
  }
  {
    // s 2: out ceil(7/2)=4, total (4-1)*2+4-7 = 3.
    auto g = importOk(build("SAME_UPPER", 2));
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3, 4, 4}));
  }
  {
    auto g = importOk(build("VALID", 1));
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3, 4, 4}));
  }
  {
    // kernel_shape absent, groups, bias.
    ModelBuilder mb(13);
    mb.input("x", {1, 4, 5, 5}).output("y");
    mb.initF32("w", {4, 2, 3, 3}, std::vector<float>(4 * 2 * 9, 1.0f));
    mb.initF32("b", {4}, {1, 2, 3, 4});
    auto& n = mb.node("Conv", {"x", "w", "b"}, {"y"});
    test::setInt(n, "group", 2);
    auto g = importOk(mb);
    CHECK(findOp(*g, ir::OpKind::Conv2d)->getInt("groups") == 2);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 4, 3, 3}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 2, 4, 4, 4}).output("y");
    mb.initF32("w", {1, 2, 1, 1, 1}, {1, 1});
    mb.node("Conv", {"x", "w"}, {"y"}, "conv3d");
    // 3-D: depth taps gathered into the channels of one conv2d.
    auto g = importOk(mb);
    CHECK(countOp(*g, ir::OpKind::Conv2d) == 1);
    CHECK(countOp(*g, ir::OpKind::Gather) == 1);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 1, 4, 4, 4}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 2, 4, 4, 4}).output("y");
    mb.initF32("w", {2, 1, 1, 1, 1}, {1, 1});
    mb.node("ConvTranspose", {"x", "w"}, {"y"}, "deconv3d");
    CHECK_THAT(importFail(mb),
               Catch::Contains("node 'deconv3d' (ConvTranspose): unsupported: 3-D ConvTranspose"));
  }
}

TEST_CASE("Pooling attributes", "[importer][ops]") {
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 1, 5, 5}).output("y");
    auto& n = mb.node("MaxPool", {"x"}, {"y"});
    test::setInts(n, "kernel_shape", {2, 2});
    test::setInts(n, "strides", {2, 2});
    test::setInt(n, "ceil_mode", 1);
    test::setInts(n, "dilations", {1, 1});
    auto g = importOk(mb);
    CHECK(findOp(*g, ir::OpKind::MaxPool2d)->getInt("ceil_mode") == 1);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 1, 3, 3}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 1, 5, 5}).output("y");
    auto& n = mb.node("AveragePool", {"x"}, {"y"});
    test::setInts(n, "kernel_shape", {3, 3});
    test::setString(n, "auto_pad", "SAME_UPPER");
    test::setInt(n, "count_include_pad", 1);
    auto g = importOk(mb);
    const ir::Node* pool = findOp(*g, ir::OpKind::AvgPool2d);
    CHECK(pool->getInt("count_include_pad") == 1);
    CHECK(pool->getInts("pads") == std::vector<int64_t>{1, 1, 1, 1});
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 1, 5, 5}));
  }
  {
    ModelBuilder mb(13);
    mb.input("x", {1, 3, 5, 5}).output("y").output("z");
    mb.node("GlobalAveragePool", {"x"}, {"y"});
    mb.node("GlobalMaxPool", {"x"}, {"z"});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3, 1, 1}));
    CHECK(countOp(*g, ir::OpKind::GlobalMaxPool) == 1);
  }
}

TEST_CASE("Gemm stays gemm unless it is a plain fully-connected layer", "[importer][ops]") {
  auto build = [](float alpha, int64_t transB, bool constantB) {
    ModelBuilder mb(13);
    mb.input("a", {2, 3});
    if (constantB)
      mb.initF32("b", {4, 3}, std::vector<float>(12, 1.0f));
    else
      mb.input("b", {4, 3});
    mb.initF32("c", {4}, {1, 2, 3, 4});
    mb.output("y");
    auto& n = mb.node("Gemm", {"a", "b", "c"}, {"y"});
    test::setFloat(n, "alpha", alpha);
    test::setInt(n, "transB", transB);
    return mb;
  };
  CHECK(countOp(*importOk(build(1.0f, 1, true)), ir::OpKind::Dense) == 1);
  auto scaled = importOk(build(0.5f, 1, true));
  REQUIRE(countOp(*scaled, ir::OpKind::Gemm) == 1);
  CHECK(findOp(*scaled, ir::OpKind::Gemm)->getFloat("alpha") == 0.5);
  CHECK(findOp(*scaled, ir::OpKind::Gemm)->getInt("trans_b") == 1);
  CHECK(countOp(*importOk(build(1.0f, 1, false)), ir::OpKind::Gemm) == 1);
}

TEST_CASE("Constant forms, Cast, Dropout, Identity, ConstantOfShape", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {2, 3}).output("y").output("z", 7);
  auto& c = mb.node("Constant", {}, {"two"});
  test::setFloat(c, "value_float", 2.0f);
  mb.node("Mul", {"x", "two"}, {"m"});
  mb.node("Dropout", {"m"}, {"d"});
  mb.node("Identity", {"d"}, {"y"});
  mb.node("Shape", {"x"}, {"s"});
  auto& cos = mb.node("ConstantOfShape", {"s"}, {"ones"});
  auto* value = cos.add_attribute();
  value->set_name("value");
  value->set_type(::onnx::AttributeProto::TENSOR);
  ModelBuilder::fillF32(*value->mutable_t(), "v", {1}, {1.0f});
  auto& cast = mb.node("Cast", {"ones"}, {"z"});
  test::setInt(cast, "to", 7);
  auto g = importOk(mb);
  CHECK(countOp(*g, ir::OpKind::Identity) == 2);
  CHECK(findOp(*g, ir::OpKind::Const)->constant->type == ir::TensorType::f32({}));
  CHECK(findOp(*g, ir::OpKind::ConstantOfShape)->getFloat("value") == 1.0);
  CHECK(g->outputs[1]->type == ir::TensorType::i64({2, 3}));
  CHECK(g->outputs[0]->name == "y");
}

TEST_CASE("int32 initializers keep their type (i32 gather indices)", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {5, 3}).output("y");
  auto* t = mb.graph().add_initializer();
  t->set_name("idx");
  t->set_data_type(::onnx::TensorProto::INT32);
  t->add_dims(2);
  t->add_int32_data(4);
  t->add_int32_data(-1);
  mb.node("Gather", {"x", "idx"}, {"y"});
  auto g = importOk(mb);
  const ir::Node* idx = findOp(*g, ir::OpKind::Const);
  CHECK(idx->constant->type.dtype == ir::DType::I32);
  CHECK(idx->constant->i64 == std::vector<int64_t>{4, -1});
  CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3}));
}

TEST_CASE("LSTM fills absent optional inputs with zeros", "[importer][ops]") {
  const int64_t T = 3, B = 2, I = 4, H = 5;
  ModelBuilder mb(13);
  mb.input("x", {T, B, I}).output("y").output("yh");
  mb.initF32("w", {1, 4 * H, I}, std::vector<float>(size_t(4 * H * I), 0.1f));
  mb.initF32("r", {1, 4 * H, H}, std::vector<float>(size_t(4 * H * H), 0.1f));
  mb.initI64("lens", {B}, {T, T});
  auto& n = mb.node("LSTM", {"x", "w", "r", "", "lens"}, {"y", "yh"});
  test::setInt(n, "hidden_size", H);
  auto g = importOk(mb);
  const ir::Node* lstm = findOp(*g, ir::OpKind::Lstm);
  REQUIRE(lstm);
  REQUIRE(lstm->operands.size() == 6);
  CHECK(lstm->operands[3]->type == ir::TensorType::f32({1, 8 * H}));
  CHECK(lstm->operands[4]->type == ir::TensorType::f32({1, B, H}));
  CHECK(lstm->operands[4]->producer->op == ir::OpKind::Const);
  CHECK(g->outputs[0]->type == ir::TensorType::f32({T, 1, B, H}));
  CHECK(g->outputs[1]->type == ir::TensorType::f32({1, B, H}));

  // Shorter sequences are not supported.
  ModelBuilder short_(13);
  short_.input("x", {T, B, I}).output("y");
  short_.initF32("w", {1, 4 * H, I}, std::vector<float>(size_t(4 * H * I), 0.1f));
  short_.initF32("r", {1, 4 * H, H}, std::vector<float>(size_t(4 * H * H), 0.1f));
  short_.initI64("lens", {B}, {T, 1});
  auto& s = short_.node("LSTM", {"x", "w", "r", "", "lens"}, {"y"});
  test::setInt(s, "hidden_size", H);
  CHECK_THAT(importFail(short_),
             Catch::Contains("unsupported: sequence_lens value 1 differs from the sequence length 3"));
}

TEST_CASE("Reshape with a computed shape keeps the shape ops", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {0, 6}, 1, {{0, "N"}}).output("y");
  mb.node("Shape", {"x"}, {"s"});
  mb.constI64("zero", {}, {0});
  mb.node("Gather", {"s", "zero"}, {"n"});
  mb.constI64("ax", {1}, {0});
  mb.node("Unsqueeze", {"n", "ax"}, {"n1"});
  mb.constI64("rest", {2}, {2, 3});
  auto& cat = mb.node("Concat", {"n1", "rest"}, {"shape"});
  test::setInt(cat, "axis", 0);
  mb.node("Reshape", {"x", "shape"}, {"y"});
  auto g = importOk(mb);
  CHECK(findOp(*g, ir::OpKind::Reshape)->operands.size() == 2);
  importer::ImportOptions options;
  options.inputShapes["x"] = {4, 6};
  auto bound = importOk(mb, options);
  CHECK(bound->outputs[0]->type == ir::TensorType::f32({4, 2, 3}));
}

TEST_CASE("external data is read relative to the model", "[importer][ops]") {
  auto dir = std::filesystem::temp_directory_path() / "nutshell-importer-external";
  std::filesystem::create_directories(dir);
  std::vector<float> bias{1, 2, 3, 4};
  {
    std::ofstream out(dir / "weights.bin", std::ios::binary);
    out << "HEADER..";  // 8 bytes before the data: exercises offset
    out.write(reinterpret_cast<const char*>(bias.data()), 16);
  }
  ModelBuilder mb(13);
  mb.input("x", {4}).output("y");
  auto* t = mb.graph().add_initializer();
  t->set_name("b");
  t->set_data_type(::onnx::TensorProto::FLOAT);
  t->add_dims(4);
  t->set_data_location(::onnx::TensorProto::EXTERNAL);
  auto add = [&](const char* k, const char* v) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", "weights.bin");
  add("offset", "8");
  add("length", "16");
  mb.node("Add", {"x", "b"}, {"y"});
  {
    std::ofstream out(dir / "model.onnx", std::ios::binary);
    out << mb.bytes();
  }
  auto graph = importer::importOnnxFile((dir / "model.onnx").string());
  INFO((graph ? std::string() : graph.message()));
  REQUIRE(graph);
  CHECK(findOp(**graph, ir::OpKind::Const)->constant->f32 == bias);
  CHECK((*graph)->name == "nutshell-importer-external");

  // Too short for the requested offset.
  t->mutable_external_data(1)->set_value("12");
  {
    std::ofstream out(dir / "model.onnx", std::ios::binary);
    out << mb.bytes();
  }
  auto shortGraph = importer::importOnnxFile((dir / "model.onnx").string());
  REQUIRE_FALSE(shortGraph);
  CHECK_THAT(shortGraph.message(), Catch::Contains("has 24 bytes, needs 16 at offset 12"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("external data never leaves the model's folder, whatever its symlinks say",
          "[importer][ops][security]") {
  // CVE-2024-27318's class: the location's text is clean, the file behind it
  // is outside. The model folder holds links; the secret lives next to it.
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / "nutshell-importer-symlinks";
  fs::remove_all(root);
  const fs::path dir = root / "model";
  fs::create_directories(dir / "sub");
  const std::vector<float> secret{7, 7, 7, 7}, inside{1, 2, 3, 4};
  auto writeFloats = [](const fs::path& path, const std::vector<float>& values) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(values.data()), std::streamsize(values.size() * sizeof(float)));
  };
  writeFloats(root / "secret.bin", secret);
  writeFloats(dir / "sub" / "inside.bin", inside);
  fs::create_symlink(root / "secret.bin", dir / "escape.bin");       // absolute target outside
  fs::create_symlink("../secret.bin", dir / "relative_escape.bin");  // relative target outside
  fs::create_directory_symlink(root, dir / "up");                    // a folder link outside
  fs::create_symlink("sub/inside.bin", dir / "inside_link.bin");     // stays inside: allowed
  fs::create_directory(dir / "folder.bin");

  auto importWith = [&](const std::string& location) {
    ModelBuilder mb(13);
    mb.input("x", {4}).output("y");
    auto* t = mb.graph().add_initializer();
    t->set_name("b");
    t->set_data_type(::onnx::TensorProto::FLOAT);
    t->add_dims(4);
    t->set_data_location(::onnx::TensorProto::EXTERNAL);
    auto* e = t->add_external_data();
    e->set_key("location");
    e->set_value(location);
    mb.node("Add", {"x", "b"}, {"y"});
    std::ofstream(dir / "model.onnx", std::ios::binary) << mb.bytes();
    return importer::importOnnxFile((dir / "model.onnx").string());
  };
  for (const char* location : {"escape.bin", "relative_escape.bin", "up/secret.bin"}) {
    INFO(location);
    auto graph = importWith(location);
    REQUIRE_FALSE(graph);
    CHECK_THAT(graph.message(),
               Catch::Contains(std::string("external data location '") + location + "' resolves to") &&
                   Catch::Contains("outside the model's folder"));
  }
  auto folder = importWith("folder.bin");
  REQUIRE_FALSE(folder);
  CHECK_THAT(folder.message(), Catch::Contains("is a directory"));
  auto linked = importWith("inside_link.bin");
  INFO((linked ? std::string() : linked.message()));
  REQUIRE(linked);
  CHECK(findOp(**linked, ir::OpKind::Const)->constant->f32 == inside);
  fs::remove_all(root);
}

TEST_CASE("BatchNormalization and LRN", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {1, 2, 3, 3}).output("y");
  for (const char* name : {"s", "b", "m", "v"}) mb.initF32(name, {2}, {1, 1});
  auto& bn = mb.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"t"});
  test::setFloat(bn, "epsilon", 1e-3f);
  auto& lrn = mb.node("LRN", {"t"}, {"y"});
  test::setInt(lrn, "size", 3);
  auto g = importOk(mb);
  CHECK(std::abs(findOp(*g, ir::OpKind::BatchNorm)->getFloat("epsilon") - 1e-3) < 1e-9);
  CHECK(findOp(*g, ir::OpKind::Lrn)->getInt("size") == 3);
}

TEST_CASE("ONNX activations take their attributes and ONNX's defaults", "[importer][ops]") {
  ModelBuilder mb(14);
  mb.input("x", {2, 3}).output("y");
  auto& hs = mb.node("HardSigmoid", {"x"}, {"a"});
  test::setFloat(hs, "alpha", 0.25f);
  mb.node("HardSwish", {"a"}, {"b"});
  auto& elu = mb.node("Elu", {"b"}, {"c"});
  test::setFloat(elu, "alpha", 0.5f);
  mb.node("Selu", {"c"}, {"d"});
  const char* rest[] = {"Softplus", "Softsign", "Neg", "Abs", "Sqrt", "Reciprocal", "Erf"};
  std::string in = "d";
  for (size_t i = 0; i < std::size(rest); ++i) {
    std::string out = i + 1 == std::size(rest) ? "y" : "t" + std::to_string(i);
    mb.node(rest[i], {in}, {out});
    in = out;
  }
  auto g = importOk(mb);
  const ir::Node* hard = findOp(*g, ir::OpKind::HardSigmoid);
  CHECK(hard->getFloat("alpha") == Approx(0.25));
  CHECK(hard->getFloat("beta") == Approx(0.5));  // ONNX's default
  CHECK(findOp(*g, ir::OpKind::Elu)->getFloat("alpha") == Approx(0.5));
  const ir::Node* selu = findOp(*g, ir::OpKind::Selu);
  CHECK(selu->getFloat("alpha") == Approx(1.67326319217681884765625));
  CHECK(selu->getFloat("gamma") == Approx(1.05070102214813232421875));
  for (ir::OpKind kind : {ir::OpKind::HardSwish, ir::OpKind::Softplus, ir::OpKind::Softsign, ir::OpKind::Neg,
                          ir::OpKind::Abs, ir::OpKind::Sqrt, ir::OpKind::Reciprocal, ir::OpKind::Erf})
    CHECK(countOp(*g, kind) == 1);
  CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3}));
}

TEST_CASE("HardSwish before opset 14 is an error naming the opset", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {4}).output("y");
  mb.node("HardSwish", {"x"}, {"y"});
  CHECK_THAT(importFail(mb), Catch::Contains("HardSwish is an opset-14 op; the model imports opset 13"));
}

TEST_CASE("nodes out of topological order are sorted", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {4}).output("y");
  mb.node("Relu", {"t"}, {"y"});
  mb.node("Exp", {"x"}, {"t"});
  auto g = importOk(mb);
  CHECK(g->nodes()[0]->op == ir::OpKind::Exp);
}

TEST_CASE("opsets before 7: unchanged ops import, legacy forms are named", "[importer][ops]") {
  {
    ModelBuilder mb(1);
    mb.input("x", {1, 3, 4, 4}).output("y");
    mb.node("GlobalAveragePool", {"x"}, {"y"});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 3, 1, 1}));
  }
  {
    ModelBuilder mb(4);
    mb.input("x", {2, 6}).output("y");
    auto& n = mb.node("Reshape", {"x"}, {"y"});
    test::setInts(n, "shape", {3, 4});
    auto g = importOk(mb);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({3, 4}));
  }
  {
    ModelBuilder mb(6);
    mb.input("a", {2, 3, 4}).input("b", {3}).output("y");
    auto& n = mb.node("Add", {"a", "b"}, {"y"});
    test::setInt(n, "broadcast", 1);
    test::setInt(n, "axis", 1);
    CHECK_THAT(importFail(mb), Catch::Contains("(Add): unsupported: legacy broadcasting with an axis"));
  }
}

TEST_CASE("constant inputs replace graph inputs", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {4, 10}).input("starts", {1}, 7).input("ends", {1}, 7).output("y");
  mb.node("Slice", {"x", "starts", "ends"}, {"y"});
  CHECK_THAT(importFail(mb),
             Catch::Contains("(Slice): unsupported: starts (input 'starts') must be a constant"));

  importer::ImportOptions options;
  options.constantInputs["starts"] = ir::makeI64({1}, {1});
  options.constantInputs["ends"] = ir::makeI64({1}, {3});
  auto g = importOk(mb, options);
  REQUIRE(g->inputs.size() == 1);
  CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 10}));

  options.constantInputs["ends"] = ir::makeF32({1}, {3});
  auto wrong = mb.import(options);
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.message(), Catch::Contains("constant input 'ends' is f32[1], the model declares int64"));

  options.constantInputs.clear();
  options.constantInputs["nope"] = ir::makeI64({1}, {3});
  auto unknown = mb.import(options);
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.message(), Catch::Contains("a constant input names 'nope', which is not a graph input"));
}

TEST_CASE("Pow casts an integer exponent; PRelu; Max/Min/Sum/Mean take 1..N inputs", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {2, 3})
      .input("e", {1}, 7)
      .input("z", {3})
      .input("s", {3})
      .output("y")
      .output("m")
      .output("one");
  mb.node("Pow", {"x", "e"}, {"p"});
  mb.node("PRelu", {"p", "s"}, {"r"});
  mb.node("Max", {"r", "z", "x"}, {"y"});
  mb.node("Mean", {"x", "z", "r"}, {"m"});
  mb.node("Sum", {"z"}, {"one"});
  auto g = importOk(mb);
  CHECK(findOp(*g, ir::OpKind::Cast)->getString("to") == "f32");
  CHECK(countOp(*g, ir::OpKind::Pow) == 1);
  CHECK(countOp(*g, ir::OpKind::PRelu) == 1);
  CHECK(countOp(*g, ir::OpKind::Max) == 2);
  CHECK(countOp(*g, ir::OpKind::Add) == 2);
  CHECK(countOp(*g, ir::OpKind::Div) == 1);
  CHECK(countOp(*g, ir::OpKind::Identity) == 1);
  CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3}));
  CHECK(g->outputs[1]->type == ir::TensorType::f32({2, 3}));
}

TEST_CASE("the reductions ReduceMin..ReduceLogSumExp take axes and keepdims", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {2, 3, 4}).output("y");
  const char* ops[] = {"ReduceMin", "ReduceProd",      "ReduceL1",
                       "ReduceL2",  "ReduceSumSquare", "ReduceLogSumExp"};
  for (const char* op : ops) {
    auto& n = mb.node(op, {"x"}, {std::string(op) == "ReduceLogSumExp" ? "y" : std::string(op)});
    test::setInts(n, "axes", {-1});
    test::setInt(n, "keepdims", 0);
  }
  auto g = importOk(mb);
  for (ir::OpKind kind : {ir::OpKind::ReduceMin, ir::OpKind::ReduceProd, ir::OpKind::ReduceL1,
                          ir::OpKind::ReduceL2, ir::OpKind::ReduceSumSquare, ir::OpKind::ReduceLogSumExp})
    CHECK(countOp(*g, kind) == 1);
  CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3}));
}

TEST_CASE("LayerNormalization: all three outputs, broadcast scale expanded", "[importer][ops]") {
  ModelBuilder mb(17);
  mb.input("x", {2, 3, 4}).output("y").output("mean").output("inv");
  mb.initF32("scale", {1}, {2.0f});
  mb.initF32("bias", {4}, {0, 1, 2, 3});
  auto& n = mb.node("LayerNormalization", {"x", "scale", "bias"}, {"y", "mean", "inv"});
  test::setInt(n, "axis", -1);
  test::setFloat(n, "epsilon", 1e-3f);
  auto g = importOk(mb);
  const ir::Node* ln = findOp(*g, ir::OpKind::LayerNorm);
  REQUIRE(ln);
  CHECK(ln->getInt("axis") == 2);
  CHECK(ln->getFloat("epsilon") == Approx(1e-3));
  CHECK(ln->operands[1]->type == ir::TensorType::f32({4}));  // expanded from [1]
  CHECK(g->outputs[1]->type == ir::TensorType::f32({2, 3, 1}));
  CHECK(g->outputs[2] == ln->results[2]);

  ModelBuilder old(16);
  old.input("x", {2, 3}).input("s", {3}).output("y");
  old.node("LayerNormalization", {"x", "s"}, {"y"});
  CHECK_THAT(importFail(old), Catch::Contains("LayerNormalization is an opset-17 op"));
}

TEST_CASE("InstanceNormalization and GroupNormalization become group_norm", "[importer][ops]") {
  ModelBuilder mb(18);
  mb.input("x", {2, 4, 5, 5})
      .input("s", {4})
      .input("b", {4})
      .input("gs", {2})
      .input("gb", {2})
      .output("y")
      .output("z");
  auto& inst = mb.node("InstanceNormalization", {"x", "s", "b"}, {"y"});
  test::setFloat(inst, "epsilon", 1e-3f);
  auto& group = mb.node("GroupNormalization", {"x", "gs", "gb"}, {"z"});
  test::setInt(group, "num_groups", 2);
  auto g = importOk(mb);
  REQUIRE(countOp(*g, ir::OpKind::GroupNorm) == 2);
  const ir::Node* first = g->outputs[0]->producer;
  CHECK(first->getInt("num_groups") == 4);
  const ir::Node* second = g->outputs[1]->producer;
  CHECK(second->getInt("num_groups") == 2);
  // The per-group scale and bias are repeated per channel.
  CHECK(second->operands[1]->type == ir::TensorType::f32({4}));
  CHECK(countOp(*g, ir::OpKind::Expand) == 2);
}

TEST_CASE("Split becomes slices: sizes from the attribute, the input, or equal parts", "[importer][ops]") {
  SECTION("opset 13: split as a constant input") {
    ModelBuilder mb(13);
    mb.input("x", {2, 6}).output("a").output("b");
    mb.initI64("split", {2}, {2, 4});
    auto& n = mb.node("Split", {"x", "split"}, {"a", "b"});
    test::setInt(n, "axis", 1);
    auto g = importOk(mb);
    CHECK(countOp(*g, ir::OpKind::Slice) == 2);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 2}));
    CHECK(g->outputs[1]->type == ir::TensorType::f32({2, 4}));
  }
  SECTION("opset 11: the split attribute; equal parts without it") {
    ModelBuilder mb(11);
    mb.input("x", {6, 2}).output("a").output("b").output("c").output("d");
    test::setInts(mb.node("Split", {"x"}, {"a", "b"}), "split", {1, 5});
    mb.node("Split", {"x"}, {"c", "d"}, "equal");
    auto g = importOk(mb);
    CHECK(g->outputs[1]->type == ir::TensorType::f32({5, 2}));
    CHECK(g->outputs[3]->type == ir::TensorType::f32({3, 2}));
  }
  SECTION("sizes that do not add up are an error") {
    ModelBuilder mb(11);
    mb.input("x", {6}).output("a").output("b");
    test::setInts(mb.node("Split", {"x"}, {"a", "b"}), "split", {1, 2});
    CHECK_THAT(importFail(mb), Catch::Contains("split sizes add up to 3, not axis 0 of size 6"));
  }
}

TEST_CASE("Tile, Expand, DepthToSpace, SpaceToDepth", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {1, 8, 2, 3}).output("t").output("e").output("d").output("s");
  mb.initI64("repeats", {4}, {1, 1, 2, 1});
  mb.initI64("shape", {5}, {2, 1, 1, 1, 1});
  mb.node("Tile", {"x", "repeats"}, {"t"});
  mb.node("Expand", {"x", "shape"}, {"e"});
  auto& d = mb.node("DepthToSpace", {"x"}, {"d"});
  test::setInt(d, "blocksize", 2);
  test::setString(d, "mode", "CRD");
  auto& s = mb.node("SpaceToDepth", {"d"}, {"s"});
  test::setInt(s, "blocksize", 2);
  auto g = importOk(mb);
  CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 8, 4, 3}));
  CHECK(g->outputs[1]->type == ir::TensorType::f32({2, 1, 8, 2, 3}));
  CHECK(g->outputs[2]->type == ir::TensorType::f32({1, 2, 4, 6}));
  CHECK(findOp(*g, ir::OpKind::DepthToSpace)->getString("mode") == "crd");
  CHECK(g->outputs[3]->type == ir::TensorType::f32({1, 8, 2, 3}));
}

TEST_CASE("ThresholdedRelu, Celu, Log, Floor, Ceil, Round, Sign, Shrink; ReduceLogSum is reduce_sum then log",
          "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {2, 3}).output("y").output("r");
  test::setFloat(mb.node("ThresholdedRelu", {"x"}, {"a"}), "alpha", 0.5f);
  mb.node("Celu", {"a"}, {"b"});
  const char* rest[] = {"Log", "Floor", "Ceil", "Round", "Sign"};
  std::string in = "b";
  for (const char* op : rest) {
    std::string out = std::string(op) + "_out";
    mb.node(op, {in}, {out});
    in = out;
  }
  auto& shrink = mb.node("Shrink", {in}, {"y"});
  test::setFloat(shrink, "lambd", 0.25f);
  auto& logSum = mb.node("ReduceLogSum", {"x"}, {"r"});
  test::setInts(logSum, "axes", {1});
  auto g = importOk(mb);
  CHECK(findOp(*g, ir::OpKind::ThresholdedRelu)->getFloat("alpha") == Approx(0.5));
  CHECK(findOp(*g, ir::OpKind::Celu)->getFloat("alpha") == Approx(1.0));
  CHECK(findOp(*g, ir::OpKind::Shrink)->getFloat("lambd") == Approx(0.25));
  CHECK(findOp(*g, ir::OpKind::Shrink)->getFloat("bias") == Approx(0.0));
  for (ir::OpKind kind : {ir::OpKind::Floor, ir::OpKind::Ceil, ir::OpKind::Round, ir::OpKind::Sign})
    CHECK(countOp(*g, kind) == 1);
  CHECK(countOp(*g, ir::OpKind::Log) == 2);
  CHECK(g->outputs[1]->producer->op == ir::OpKind::Log);
  CHECK(g->outputs[1]->producer->operands[0]->producer->op == ir::OpKind::ReduceSum);
  CHECK(g->outputs[1]->type == ir::TensorType::f32({2, 1}));
}

TEST_CASE("ArgMax and ArgMin take axis, keepdims and select_last_index", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {2, 3, 4}).output("a", 7).output("b", 7);
  auto& a = mb.node("ArgMax", {"x"}, {"a"});
  test::setInt(a, "axis", -1);
  test::setInt(a, "select_last_index", 1);
  auto& b = mb.node("ArgMin", {"x"}, {"b"});
  test::setInt(b, "keepdims", 0);
  auto g = importOk(mb);
  const ir::Node* argMax = findOp(*g, ir::OpKind::ArgMax);
  CHECK(argMax->getInt("axis") == 2);
  CHECK(argMax->getInt("select_last_index") == 1);
  CHECK(g->outputs[0]->type == ir::TensorType::i64({2, 3, 1}));
  CHECK(g->outputs[1]->type == ir::TensorType::i64({3, 4}));
}

TEST_CASE("comparisons, logic and Where import with bool results; outputs keep declared types",
          "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {2, 3}).input("y", {3}).input("n", {2, 3}, ::onnx::TensorProto::INT32);
  mb.output("w", 1).output("mask", ::onnx::TensorProto::BOOL).output("n8", ::onnx::TensorProto::INT8);
  mb.node("Less", {"x", "y"}, {"lt"});
  mb.node("GreaterOrEqual", {"x", "y"}, {"ge"});
  mb.node("Not", {"ge"}, {"nge"});
  mb.node("Xor", {"lt", "nge"}, {"mask"});
  mb.node("Where", {"lt", "x", "y"}, {"w"});
  auto& cast = mb.node("Cast", {"n"}, {"n8"});
  test::setInt(cast, "to", ::onnx::TensorProto::INT8);
  auto g = importOk(mb);
  CHECK(findOp(*g, ir::OpKind::Less)->result()->type == ir::TensorType(ir::DType::Bool, {2, 3}));
  CHECK(g->outputs[0]->producer->op == ir::OpKind::Where);
  CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3}));
  CHECK(g->outputs[1]->producer->op == ir::OpKind::Xor);
  CHECK(g->inputs[2]->type.dtype == ir::DType::I32);
  CHECK(g->outputs[2]->type.dtype == ir::DType::I8);
}

TEST_CASE("Range folds to a constant; CastLike casts to the second input's type", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {4}).input("like", {1}, ::onnx::TensorProto::INT32);
  mb.output("r", 7).output("c", ::onnx::TensorProto::INT32);
  mb.initI64("start", {}, {10});
  mb.initI64("limit", {}, {1});
  mb.initI64("delta", {}, {-3});
  mb.node("Range", {"start", "limit", "delta"}, {"r"});
  mb.node("CastLike", {"x", "like"}, {"c"});
  auto g = importOk(mb);
  REQUIRE(g->outputs[0]->producer->op == ir::OpKind::Const);
  CHECK(g->outputs[0]->producer->constant->i64 == std::vector<int64_t>{10, 7, 4});
  const ir::Node* cast = findOp(*g, ir::OpKind::Cast);
  REQUIRE(cast);
  CHECK(cast->getString("to") == "i32");

  ModelBuilder computed(13);
  computed.input("limit", {}, 7).output("r", 7);
  computed.initI64("start", {}, {0});
  computed.initI64("delta", {}, {1});
  computed.node("Range", {"start", "limit", "delta"}, {"r"});
  CHECK_THAT(importFail(computed), Catch::Contains("Range limit (input 'limit') must be a constant"));
  importer::ImportOptions bound;
  bound.constantInputs["limit"] = ir::makeI64({}, {3});
  auto g2 = importOk(computed, bound);
  CHECK(g2->outputs[0]->producer->constant->i64 == std::vector<int64_t>{0, 1, 2});
}

TEST_CASE("ops refuse element types they do not compute in as unsupported", "[importer][ops]") {
  ModelBuilder mb(13);
  mb.input("x", {3}, ::onnx::TensorProto::DOUBLE).output("y", ::onnx::TensorProto::DOUBLE);
  mb.node("Relu", {"x"}, {"y"});
  auto graph = mb.import();
  REQUIRE_FALSE(graph);
  CHECK(graph.error().kind == ErrorKind::Unsupported);
  CHECK_THAT(graph.message(), Catch::Contains("x is f64, which relu does not accept"));
}
