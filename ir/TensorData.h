// Payload of a `const` node: the values of a constant tensor.
#pragma once

#include <memory>
#include <vector>

#include "ir/Types.h"

namespace nutshell::ir {

/// Constant tensor data. Exactly one of f32/i64 is used, per `type.dtype`:
/// f32 for the floating types (f32, f64), i64 for the integers and bool.
/// `elided` marks a constant printed with --elide-constants and parsed back:
/// its shape is known but not its values, so passes that only need shapes work
/// and anything that needs the values (folding, running) reports an error.
struct TensorData {
  TensorType type;  // always static
  std::vector<float> f32;
  std::vector<int64_t> i64;
  bool elided = false;

  int64_t numElements() const { return type.numElements(); }
  /// Value at flat index i, as double (either dtype).
  double at(int64_t i) const { return isFloatType(type.dtype) ? f32[i] : double(i64[i]); }
  /// Values stored (the vector that `type.dtype` uses).
  size_t storedCount() const { return isFloatType(type.dtype) ? f32.size() : i64.size(); }
};

using TensorDataPtr = std::shared_ptr<const TensorData>;

inline TensorDataPtr makeF32(std::vector<int64_t> shape, std::vector<float> values) {
  auto t = std::make_shared<TensorData>();
  t->type = TensorType::f32(shape);
  t->f32 = std::move(values);
  return t;
}
inline TensorDataPtr makeI64(std::vector<int64_t> shape, std::vector<int64_t> values) {
  auto t = std::make_shared<TensorData>();
  t->type = TensorType::i64(shape);
  t->i64 = std::move(values);
  return t;
}

}  // namespace nutshell::ir
