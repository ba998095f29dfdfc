// Host tensors: what users pass in and get back, what tensor files hold.
// Public (the host API passes them) and standalone: implemented by the
// runtime (runtime/Tensor.cpp), depending on nothing else of nutshell.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nutshell/Expected.h"

namespace nutshell {

/// Element types of host tensors, as the IR names them (f32, i64, bool, i32,
/// i8, u8, f64). bool is one byte holding 0 or 1.
enum class ElementType { F32, I64, Bool, I32, I8, U8, F64 };

const char* elementTypeName(ElementType type);  // "f32", "i64", "bool", ...
size_t elementTypeSize(ElementType type);       // bytes per element
bool isFloatElement(ElementType type);          // f32 or f64

/// A dense, C-ordered tensor with 64-byte aligned storage (value semantics:
/// copies are deep).
class Tensor {
 public:
  Tensor() = default;
  /// Zero-filled tensor of the given type and shape. Throws std::bad_alloc
  /// when the shape is invalid or over the memory limit; code sizing a tensor
  /// from a model or a file uses allocate() instead.
  Tensor(ElementType type, std::vector<int64_t> shape);
  /// Zero-filled tensor, or an error naming `what` when a dim is negative,
  /// the size overflows, exceeds the memory limit (nutshell/MemoryLimit.h) or
  /// cannot be allocated.
  static Expected<Tensor> allocate(ElementType type, std::vector<int64_t> shape,
                                   std::string_view what = "a tensor");
  /// Bytes of a tensor of this type and shape, or an error when a dim is
  /// negative or the size overflows.
  static Expected<uint64_t> bytesFor(ElementType type, const std::vector<int64_t>& shape);
  static Tensor f32(std::vector<int64_t> shape, const std::vector<float>& values);
  static Tensor i64(std::vector<int64_t> shape, const std::vector<int64_t>& values);

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  ElementType type() const { return type_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  size_t rank() const { return shape_.size(); }
  int64_t numElements() const { return numElements_; }
  size_t byteSize() const;

  void* data() { return storage_.get(); }
  const void* data() const { return storage_.get(); }
  float* f32() { return static_cast<float*>(data()); }
  const float* f32() const { return static_cast<const float*>(data()); }
  int64_t* i64() { return static_cast<int64_t*>(data()); }
  const int64_t* i64() const { return static_cast<const int64_t*>(data()); }

  /// "f32[2,3]"
  std::string typeString() const;

  /// Element i of any type as a double (i64 beyond 2^53 rounds).
  double valueAt(int64_t i) const;
  /// Element i of an integer or bool tensor as an int64 (floats truncate).
  int64_t intAt(int64_t i) const;
  /// The values converted to `type` by the rule ONNX Cast states and nutshell
  /// uses everywhere a type changes: float to integer truncates toward zero
  /// and saturates at the type's range (NaN gives 0); integer to a narrower
  /// integer wraps (two's complement); anything to bool is `value != 0`; bool
  /// reads as 0 or 1. Throws std::bad_alloc like the constructor.
  Tensor convertedTo(ElementType type) const;

private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  ElementType type_ = ElementType::F32;
  std::vector<int64_t> shape_;
  int64_t numElements_ = 0;
  std::unique_ptr<void, FreeDeleter> storage_;
};

/// Named tensors, ordered by name (inputs or outputs of a model).
using TensorMap = std::map<std::string, Tensor>;

}  // namespace nutshell
