// Element types, dimensions and tensor types of the IR.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nutshell::ir {

/// Element type. f32 for data, i64 for shape values and indices.
enum class DType { F32, I64 };

std::string_view dtypeName(DType dtype);  // "f32", "i64"
std::optional<DType> parseDType(std::string_view text);
inline size_t elementSize(DType dtype) { return dtype == DType::F32 ? 4 : 8; }

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
