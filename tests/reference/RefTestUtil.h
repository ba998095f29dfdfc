// Helpers for the reference interpreter tests: build one-node graphs with the
// Graph API and compare tensors with hand-computed values.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "backends/reference/ReferenceInterpreter.h"
#include "ir/Graph.h"

namespace nutshell::reftest {

inline ir::TensorType typeOf(const Tensor& t) {
  return t.type() == ElementType::F32 ? ir::TensorType::f32(t.shape()) : ir::TensorType::i64(t.shape());
}

/// Evaluates one node of kind `op` on `operands` (its result is named "y").
inline Expected<std::vector<Tensor>> evalOp(ir::OpKind op, const std::vector<Tensor>& operands, ir::AttrMap attrs = {}) {
  ir::Graph g;
  std::vector<ir::Value*> values;
  std::vector<const Tensor*> pointers;
  for (size_t i = 0; i < operands.size(); ++i) {
    std::string name = "x";
    name += std::to_string(i);  // (not "x" + ...: GCC 12 warns falsely about that at -O3)
    values.push_back(g.addInput(name, typeOf(operands[i])));
    pointers.push_back(&operands[i]);
  }
  int results = ir::opInfo(op).numResults;
  std::vector<std::string> names = {"y", "y_1", "y_2"};
  names.resize(size_t(results));
  ir::Node* node = g.addNode(op, values, std::vector<ir::TensorType>(size_t(results)), std::move(attrs), names);
  return reference::evaluateNode(*node, pointers);
}

/// The single result of a node that must succeed.
inline Tensor eval1(ir::OpKind op, const std::vector<Tensor>& operands, ir::AttrMap attrs = {}) {
  auto r = evalOp(op, operands, std::move(attrs));
  INFO(ir::opName(op));
  if (!r) FAIL(r.message());
  return (*r)[0];
}

inline std::vector<float> valuesF32(const Tensor& t) { return {t.f32(), t.f32() + t.numElements()}; }
inline std::vector<int64_t> valuesI64(const Tensor& t) { return {t.i64(), t.i64() + t.numElements()}; }

/// Shape and every value equal within `eps` (relative to max(1, |expected|)).
inline void requireClose(const Tensor& t, const std::vector<int64_t>& shape, const std::vector<float>& expected,
                         double eps = 1e-6) {
  REQUIRE(t.type() == ElementType::F32);
  REQUIRE(t.shape() == shape);
  REQUIRE(size_t(t.numElements()) == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    REQUIRE(t.f32()[i] == Approx(expected[i]).epsilon(eps).margin(eps));
  }
}

/// Bitwise-equal f32 tensors (fused vs unfused graphs).
inline void requireSame(const Tensor& a, const Tensor& b) {
  REQUIRE(a.typeString() == b.typeString());
  for (int64_t i = 0; i < a.numElements(); ++i) {
    INFO("element " << i);
    REQUIRE(a.f32()[i] == b.f32()[i]);
  }
}

/// 0, 1, 2, ... scaled, as an f32 tensor.
inline Tensor iota(std::vector<int64_t> shape, float scale = 1.0f, float offset = 0.0f) {
  Tensor t(ElementType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i) t.f32()[i] = offset + scale * float(i);
  return t;
}

/// Deterministic pseudo-random values in [-1, 1).
inline Tensor pseudoRandom(std::vector<int64_t> shape, uint32_t seed) {
  Tensor t(ElementType::F32, std::move(shape));
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.numElements(); ++i) {
    s = s * 1664525u + 1013904223u;
    t.f32()[i] = float(s >> 8) / float(1 << 23) - 1.0f;
  }
  return t;
}

using Ints = std::vector<int64_t>;
using Floats = std::vector<double>;

}  // namespace nutshell::reftest
