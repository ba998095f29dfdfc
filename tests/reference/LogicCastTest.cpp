// The reference interpreter on the element types beyond f32 and i64: inputs
// and outputs in their own type, cast's rules (truncation, saturation,
// wrapping, != 0), comparisons and logic to bool, where, and integer
// arithmetic that wraps in the narrow types.
#include <cmath>
#include <cstring>
#include <limits>

#include <catch2/catch.hpp>

#include "backends/common/ExecutableShell.h"
#include "backends/reference/ReferenceInterpreter.h"
#include "ir/ShapeInference.h"

using namespace nutshell;
using ir::DType;
using ir::OpKind;

namespace {

template <class T>
Tensor typed(ElementType type, const std::vector<T>& values) {
  Tensor t(type, {int64_t(values.size())});
  std::memcpy(t.data(), values.data(), values.size() * sizeof(T));
  return t;
}

/// One node over inputs of the given tensors' types; its result, run on the
/// reference interpreter.
Tensor runOne(OpKind op, const std::vector<Tensor>& operands, ir::AttrMap attrs = {}) {
  ir::Graph g;
  TensorMap inputs;
  std::vector<ir::Value*> values;
  for (size_t i = 0; i < operands.size(); ++i) {
    std::string name = "in" + std::to_string(i);
    const Tensor& t = operands[i];
    values.push_back(g.addInput(
        name,
        ir::TensorType(common::dtypeOf(t.type()), std::vector<ir::Dim>(t.shape().begin(), t.shape().end()))));
    inputs[name] = t;
  }
  ir::Node* node = g.addNode(op, values, {ir::TensorType()}, std::move(attrs), {"out"});
  auto types = ir::inferResultTypes(*node);
  INFO((types ? std::string() : types.message()));
  REQUIRE(types);
  node->results[0]->type = (*types)[0];
  g.outputs.push_back(node->result());
  auto outputs = reference::runGraph(g, inputs);
  INFO((outputs ? std::string() : outputs.message()));
  REQUIRE(outputs);
  return outputs->at("out");
}

template <class T>
std::vector<T> valuesOf(const Tensor& t) {
  std::vector<T> v(size_t(t.numElements()));
  std::memcpy(v.data(), t.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace

TEST_CASE("reference cast: float to integer truncates toward zero and saturates; NaN gives 0",
          "[reference][cast]") {
  Tensor x = Tensor::f32({7}, {2.9f, -2.9f, 300.f, -300.f, NAN, INFINITY, 1e20f});
  CHECK(valuesOf<int8_t>(runOne(OpKind::Cast, {x}, {{"to", std::string("i8")}})) ==
        std::vector<int8_t>{2, -2, 127, -128, 0, 127, 127});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Cast, {x}, {{"to", std::string("u8")}})) ==
        std::vector<uint8_t>{2, 0, 255, 0, 0, 255, 255});
  CHECK(valuesOf<int32_t>(runOne(OpKind::Cast, {x}, {{"to", std::string("i32")}})) ==
        std::vector<int32_t>{2, -2, 300, -300, 0, std::numeric_limits<int32_t>::max(),
                             std::numeric_limits<int32_t>::max()});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Cast, {x}, {{"to", std::string("bool")}})) ==
        std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1});
}

TEST_CASE("reference cast: integers wrap, bool is != 0, f64 keeps its type at the edges",
          "[reference][cast]") {
  Tensor x = Tensor::i64({5}, {0, 255, 256, -1, 70000});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Cast, {x}, {{"to", std::string("u8")}})) ==
        std::vector<uint8_t>{0, 255, 0, 255, 112});
  CHECK(valuesOf<int8_t>(runOne(OpKind::Cast, {x}, {{"to", std::string("i8")}})) ==
        std::vector<int8_t>{0, -1, 0, -1, 112});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Cast, {x}, {{"to", std::string("bool")}})) ==
        std::vector<uint8_t>{0, 1, 1, 1, 1});
  Tensor d = typed<double>(ElementType::F64, {0.5, -1.25});
  Tensor asF32 = runOne(OpKind::Cast, {d}, {{"to", std::string("f32")}});
  CHECK(asF32.type() == ElementType::F32);
  CHECK(valuesOf<float>(asF32) == std::vector<float>{0.5f, -1.25f});
  Tensor back = runOne(OpKind::Cast, {asF32}, {{"to", std::string("f64")}});
  CHECK(back.type() == ElementType::F64);
  CHECK(valuesOf<double>(back) == std::vector<double>{0.5, -1.25});
}

TEST_CASE("reference comparisons and logic give bool; u8 compares unsigned", "[reference][logic]") {
  Tensor a = typed<uint8_t>(ElementType::U8, {0, 200, 5});
  Tensor b = typed<uint8_t>(ElementType::U8, {1, 100, 5});
  Tensor lt = runOne(OpKind::Less, {a, b});
  CHECK(lt.type() == ElementType::Bool);
  CHECK(valuesOf<uint8_t>(lt) == std::vector<uint8_t>{1, 0, 0});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::GreaterEqual, {a, b})) == std::vector<uint8_t>{0, 1, 1});
  Tensor f = Tensor::f32({3}, {NAN, 1.f, 2.f});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Equal, {f, f})) == std::vector<uint8_t>{0, 1, 1});
  Tensor p = typed<uint8_t>(ElementType::Bool, {0, 0, 1, 1});
  Tensor q = typed<uint8_t>(ElementType::Bool, {0, 1, 0, 1});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::And, {p, q})) == std::vector<uint8_t>{0, 0, 0, 1});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Or, {p, q})) == std::vector<uint8_t>{0, 1, 1, 1});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Xor, {p, q})) == std::vector<uint8_t>{0, 1, 1, 0});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Not, {p})) == std::vector<uint8_t>{1, 1, 0, 0});
}

TEST_CASE("reference where broadcasts and keeps the value type", "[reference][logic]") {
  Tensor cond(ElementType::Bool, {2, 1});
  static_cast<uint8_t*>(cond.data())[1] = 1;
  Tensor x = typed<int32_t>(ElementType::I32, {1, 2, 3});
  Tensor y = typed<int32_t>(ElementType::I32, {-7});
  Tensor out = runOne(OpKind::Where, {cond, x, y});
  CHECK(out.type() == ElementType::I32);
  CHECK(out.shape() == std::vector<int64_t>{2, 3});
  CHECK(valuesOf<int32_t>(out) == std::vector<int32_t>{-7, -7, -7, 1, 2, 3});
}

TEST_CASE("reference arithmetic on narrow integers wraps as the type does", "[reference][logic]") {
  Tensor a = typed<uint8_t>(ElementType::U8, {200, 3, 16});
  Tensor b = typed<uint8_t>(ElementType::U8, {100, 5, 16});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Add, {a, b})) == std::vector<uint8_t>{44, 8, 32});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Sub, {a, b})) == std::vector<uint8_t>{100, 254, 0});
  CHECK(valuesOf<uint8_t>(runOne(OpKind::Mul, {a, b})) == std::vector<uint8_t>{32, 15, 0});
  Tensor c = typed<int8_t>(ElementType::I8, {100, -100});
  CHECK(valuesOf<int8_t>(runOne(OpKind::Add, {c, c})) == std::vector<int8_t>{-56, 56});
}
