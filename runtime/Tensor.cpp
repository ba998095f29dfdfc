#include "nutshell/Tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#include "nutshell/MemoryLimit.h"

namespace nutshell {

const char* elementTypeName(ElementType type) {
  switch (type) {
    case ElementType::F32: return "f32";
    case ElementType::I64: return "i64";
    case ElementType::Bool: return "bool";
    case ElementType::I32: return "i32";
    case ElementType::I8: return "i8";
    case ElementType::U8: return "u8";
    case ElementType::F64: return "f64";
  }
  return "?";
}

size_t elementTypeSize(ElementType type) {
  switch (type) {
    case ElementType::Bool:
    case ElementType::I8:
    case ElementType::U8: return 1;
    case ElementType::F32:
    case ElementType::I32: return 4;
    case ElementType::I64:
    case ElementType::F64: return 8;
  }
  return 8;
}

bool isFloatElement(ElementType type) {
  return type == ElementType::F32 || type == ElementType::F64;
}

void Tensor::FreeDeleter::operator()(void* p) const { std::free(p); }

static size_t elementBytes(ElementType type) {
  return elementTypeSize(type);
}

Expected<uint64_t> Tensor::bytesFor(ElementType type, const std::vector<int64_t>& shape) {
  unsigned __int128 bytes = elementBytes(type);
  for (int64_t d : shape) {
    if (d < 0) return makeError("negative dim " + std::to_string(d));
    bytes *= uint64_t(d);
    if (bytes > (unsigned __int128)(INT64_MAX)) return makeError("size overflows 64 bits");
  }
  return uint64_t(bytes);
}

Expected<Tensor> Tensor::allocate(ElementType type, std::vector<int64_t> shape, std::string_view what) {
  Tensor t;
  t.type_ = type;
  t.shape_ = std::move(shape);
  auto bytes = bytesFor(type, t.shape_);
  if (!bytes) return makeError(std::string(what) + " " + t.typeString() + ": " + bytes.message());
  NUTSHELL_TRY(checkAllocation(*bytes, std::string(what) + " " + t.typeString()));
  // aligned_alloc needs a size that is a multiple of the alignment.
  size_t rounded = std::max<size_t>((size_t(*bytes) + 63) / 64 * 64, 64);
  void* p = std::aligned_alloc(64, rounded);
  if (!p)
    return makeError("out of memory: cannot allocate " + formatBytes(*bytes) + " for " + std::string(what) +
                     " " + t.typeString());
  std::memset(p, 0, rounded);
  t.storage_.reset(p);
  t.numElements_ = int64_t(*bytes / elementBytes(type));
  return t;
}

Tensor::Tensor(ElementType type, std::vector<int64_t> shape) {
  auto t = allocate(type, std::move(shape));
  if (!t) throw std::bad_alloc();
  *this = t.take();
}

Tensor Tensor::f32(std::vector<int64_t> shape, const std::vector<float>& values) {
  Tensor t(ElementType::F32, std::move(shape));
  size_t bytes = std::min(t.byteSize(), values.size() * sizeof(float));
  if (bytes) std::memcpy(t.data(), values.data(), bytes);
  return t;
}

Tensor Tensor::i64(std::vector<int64_t> shape, const std::vector<int64_t>& values) {
  Tensor t(ElementType::I64, std::move(shape));
  size_t bytes = std::min(t.byteSize(), values.size() * sizeof(int64_t));
  if (bytes) std::memcpy(t.data(), values.data(), bytes);
  return t;
}

Tensor::Tensor(const Tensor& other) : Tensor(other.type_, other.shape_) {
  if (other.storage_ && byteSize()) std::memcpy(data(), other.data(), byteSize());
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) *this = Tensor(other);
  return *this;
}

size_t Tensor::byteSize() const { return size_t(numElements_) * elementBytes(type_); }

std::string Tensor::typeString() const {
  std::string s = elementTypeName(type_);
  s += '[';
  for (size_t i = 0; i < shape_.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape_[i]);
  }
  return s + ']';
}

namespace {

template <class T>
T load(const void* data, int64_t i) {
  return static_cast<const T*>(data)[i];
}

/// A float to integer type T: truncation toward zero, saturated, NaN -> 0.
template <class T>
T saturate(double v) {
  if (std::isnan(v)) return T(0);
  if (v <= double(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
  if (v >= double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return T(v);
}

template <class T>
void storeConverted(void* data, int64_t i, bool fromFloat, double f, int64_t n) {
  T* out = static_cast<T*>(data);
  if constexpr (std::is_floating_point_v<T>)
    out[i] = fromFloat ? T(f) : T(n);
  else
    out[i] = fromFloat ? saturate<T>(f) : T(n);  // integer narrowing wraps (C++20)
}

}  // namespace

double Tensor::valueAt(int64_t i) const {
  switch (type_) {
    case ElementType::F32: return load<float>(data(), i);
    case ElementType::F64: return load<double>(data(), i);
    default: return double(intAt(i));
  }
}

int64_t Tensor::intAt(int64_t i) const {
  switch (type_) {
    case ElementType::F32: return saturate<int64_t>(load<float>(data(), i));
    case ElementType::F64: return saturate<int64_t>(load<double>(data(), i));
    case ElementType::I64: return load<int64_t>(data(), i);
    case ElementType::I32: return load<int32_t>(data(), i);
    case ElementType::I8: return load<int8_t>(data(), i);
    case ElementType::U8: return load<uint8_t>(data(), i);
    case ElementType::Bool: return load<uint8_t>(data(), i) != 0 ? 1 : 0;
  }
  return 0;
}

Tensor Tensor::convertedTo(ElementType type) const {
  Tensor out(type, shape_);
  const bool fromFloat = isFloatElement(type_);
  for (int64_t i = 0; i < numElements_; ++i) {
    double f = fromFloat ? valueAt(i) : 0.0;
    int64_t n = fromFloat ? 0 : intAt(i);
    switch (type) {
      case ElementType::F32: storeConverted<float>(out.data(), i, fromFloat, f, n); break;
      case ElementType::F64: storeConverted<double>(out.data(), i, fromFloat, f, n); break;
      case ElementType::I64: storeConverted<int64_t>(out.data(), i, fromFloat, f, n); break;
      case ElementType::I32: storeConverted<int32_t>(out.data(), i, fromFloat, f, n); break;
      case ElementType::I8: storeConverted<int8_t>(out.data(), i, fromFloat, f, n); break;
      case ElementType::U8: storeConverted<uint8_t>(out.data(), i, fromFloat, f, n); break;
      case ElementType::Bool:
        static_cast<uint8_t*>(out.data())[i] = (fromFloat ? f != 0.0 : n != 0) ? 1 : 0;
        break;
    }
  }
  return out;
}

}  // namespace nutshell
