// Element types beyond f32 and i64 on the CPU backend against the reference
// interpreter: comparisons, not/and/or/xor, where, cast between every pair
// of types, and integer arithmetic that wraps in i32, i8 and u8.
#include <limits>

#include "backends/common/ExecutableShell.h"
#include "tests/cpu/CpuTestUtil.h"

using namespace nutshell;
using namespace nutshell::cputest;
using ir::DType;
using ir::OpKind;

namespace {

/// Random values of `dtype` drawn from a small set, so that comparisons see
/// ties; floats include NaN, infinities, fractions and values beyond every
/// integer type's range (for cast's truncation and saturation).
Tensor randomTyped(DType dtype, const std::vector<int64_t>& shape, std::mt19937_64& rng) {
  static const double kFloats[] = {0.0,  -0.0, 1.0,  -1.0,  2.5,   -2.5, 127.9, -128.7, 255.5,    300.0,
                                   -3e9, 4e9,  1e20, -1e20, 0.375, 7.0,  -7.0,  NAN,    INFINITY, -INFINITY};
  static const int64_t kInts[] = {0,    1,   -1,   2,    7,     -7,      100,        127,
                                  -128, 255, 1000, -300, 65536, 1 << 20, -(1 << 30), int64_t(1) << 40};
  Tensor held = ir::isFloatType(dtype) ? Tensor(ElementType::F32, shape) : Tensor(ElementType::I64, shape);
  for (int64_t i = 0; i < held.numElements(); ++i) {
    if (ir::isFloatType(dtype))
      held.f32()[i] = float(kFloats[rng() % std::size(kFloats)]);
    else
      held.i64()[i] = kInts[rng() % std::size(kInts)];
  }
  // Out-of-range integers wrap into the type, bool becomes 0/1: every value valid.
  return held.convertedTo(common::elementTypeOf(dtype));
}

/// One-op graph over random inputs of the given types and shapes.
void checkTypedOp(OpKind kind, const std::vector<std::pair<DType, std::vector<int64_t>>>& operands,
                  ir::AttrMap attrs, std::mt19937_64& rng) {
  ir::Graph g;
  TensorMap inputs;
  std::vector<ir::Value*> values;
  for (size_t i = 0; i < operands.size(); ++i) {
    const auto& [dtype, shape] = operands[i];
    std::string name = "in" + std::to_string(i);
    values.push_back(
        g.addInput(name, ir::TensorType(dtype, std::vector<ir::Dim>(shape.begin(), shape.end()))));
    inputs[name] = randomTyped(dtype, shape, rng);
  }
  g.outputs.push_back(op(g, kind, values, attrs));
  INFO(ir::opName(kind) << " on " << g.inputs[0]->type.str());
  checkAgainstReference(g, inputs, 0.0, 0.0);
}

}  // namespace

TEST_CASE("cpu: comparisons give bool, broadcasting, every number type", "[cpu][logic]") {
  auto rng = makeRng("compare");
  for (OpKind kind : {OpKind::Equal, OpKind::Less, OpKind::Greater, OpKind::LessEqual, OpKind::GreaterEqual})
    for (DType dtype : {DType::F32, DType::I64, DType::I32, DType::I8, DType::U8}) {
      checkTypedOp(kind, {{dtype, {3, 37}}, {dtype, {3, 37}}}, {}, rng);
      checkTypedOp(kind, {{dtype, {2, 1, 5}}, {dtype, {4, 1}}}, {}, rng);
      checkTypedOp(kind, {{dtype, {}}, {dtype, {6}}}, {}, rng);
    }
  checkTypedOp(OpKind::Equal, {{DType::Bool, {4, 5}}, {DType::Bool, {5}}}, {}, rng);
  checkTypedOp(OpKind::Equal, {{DType::F64, {9}}, {DType::F64, {9}}}, {}, rng);
}

TEST_CASE("cpu: not, and, or, xor on bool with broadcasting", "[cpu][logic]") {
  auto rng = makeRng("logic");
  checkTypedOp(OpKind::Not, {{DType::Bool, {3, 4, 5}}}, {}, rng);
  for (OpKind kind : {OpKind::And, OpKind::Or, OpKind::Xor}) {
    checkTypedOp(kind, {{DType::Bool, {3, 4, 5}}, {DType::Bool, {3, 4, 5}}}, {}, rng);
    checkTypedOp(kind, {{DType::Bool, {3, 1, 5}}, {DType::Bool, {4, 1}}}, {}, rng);
  }
}

TEST_CASE("cpu: where with broadcasting, any value type", "[cpu][logic]") {
  auto rng = makeRng("where");
  for (DType dtype : {DType::F32, DType::I64, DType::I32, DType::U8, DType::Bool, DType::F64}) {
    checkTypedOp(OpKind::Where, {{DType::Bool, {2, 3, 4}}, {dtype, {2, 3, 4}}, {dtype, {2, 3, 4}}}, {}, rng);
    checkTypedOp(OpKind::Where, {{DType::Bool, {3, 1}}, {dtype, {1, 4}}, {dtype, {}}}, {}, rng);
  }
}

TEST_CASE("cpu: cast between every pair of types (truncation, saturation, wrapping)", "[cpu][cast]") {
  auto rng = makeRng("cast");
  for (DType from : ir::kAllDTypes)
    for (DType to : ir::kAllDTypes)
      checkTypedOp(OpKind::Cast, {{from, {41}}}, {{"to", std::string(ir::dtypeName(to))}}, rng);
}

TEST_CASE("cpu: integer arithmetic wraps in i32, i8 and u8", "[cpu][logic]") {
  auto rng = makeRng("narrow-arith");
  for (OpKind kind : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Max, OpKind::Min})
    for (DType dtype : {DType::I32, DType::I8, DType::U8}) {
      checkTypedOp(kind, {{dtype, {5, 19}}, {dtype, {5, 19}}}, {}, rng);
      checkTypedOp(kind, {{dtype, {5, 1}}, {dtype, {19}}}, {}, rng);
    }
}
