// Element types, dimensions and tensor types of the IR.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nutshell::ir {

/// Element type. f32 for data, i64 for shape values and indices; bool for
/// comparisons and masks; i32, i8, u8 and f64 where a model's inputs,
/// outputs or casts use them (which ops accept which is in ShapeRules.cpp).
enum class DType { F32, I64, Bool, I32, I8, U8, F64 };

std::string_view dtypeName(DType dtype);  // "f32", "i64", "bool", "i32", "i8", "u8", "f64"
std::optional<DType> parseDType(std::string_view text);
/// Bytes per element in buffers and weight files (bool is one byte, 0 or 1).
size_t elementSize(DType dtype);
/// f32 or f64. Constant payloads (TensorData) hold floating types as f32
/// values and every integer type and bool as i64 values.
inline bool isFloatType(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64;
}
/// i64, i32, i8 or u8 (not bool).
inline bool isIntegerType(DType dtype) {
  return dtype == DType::I64 || dtype == DType::I32 || dtype == DType::I8 || dtype == DType::U8;
}
/// Every element type, in enum order (for tests and messages).
inline constexpr DType kAllDTypes[] = {DType::F32, DType::I64, DType::Bool, DType::I32,
                                       DType::I8,  DType::U8,  DType::F64};

/// One dimension: a static size, or a named symbol (e.g. "N") until bound.
struct Dim {
  int64_t size = -1;   // >= 0 when static
  std::string symbol;  // set when symbolic

  Dim() = default;
  Dim(int64_t staticSize) : size(staticSize) {}
  static Dim symbolic(std::string name) {
    Dim d;
    d.symbol = std::move(name);
    return d;
  }
  bool isStatic() const { return size >= 0; }
  bool operator==(const Dim&) const = default;
};

/// A tensor type: element type plus shape. Rank 0 is a scalar.
struct TensorType {
  DType dtype = DType::F32;
  std::vector<Dim> dims;

  TensorType() = default;
  TensorType(DType dt, std::vector<Dim> d) : dtype(dt), dims(std::move(d)) {}
  static TensorType f32(const std::vector<int64_t>& shape);
  static TensorType i64(const std::vector<int64_t>& shape);

  size_t rank() const { return dims.size(); }
  bool isStatic() const;
  /// Static sizes; only meaningful when isStatic().
  std::vector<int64_t> shape() const;
  /// Number of elements (static types only), or -1 if symbolic or it would overflow.
  int64_t numElements() const;
  bool operator==(const TensorType&) const = default;

  /// Text form used by the printer: f32[1,3,32,32], i64[], f32[N,10].
  std::string str() const;
};

/// Largest element count of any tensor the IR accepts; bigger dims are rejected
/// by the parser and verifier so that size arithmetic cannot overflow.
inline constexpr int64_t kMaxElements = int64_t(1) << 40;

}  // namespace nutshell::ir
