#include "runtime/Tensor.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <new>

namespace nutshell {

const char* elementTypeName(ElementType type) {
  switch (type) {
    case ElementType::F32: return "f32";
    case ElementType::I64: return "i64";
  }
  return "?";
}

void Tensor::FreeDeleter::operator()(void* p) const { std::free(p); }

static size_t elementBytes(ElementType type) { return type == ElementType::F32 ? 4 : 8; }

Tensor::Tensor(ElementType type, std::vector<int64_t> shape) : type_(type), shape_(std::move(shape)) {
  numElements_ = 1;
  for (int64_t d : shape_) numElements_ *= d;
  size_t bytes = byteSize();
  // aligned_alloc needs a size that is a multiple of the alignment.
  size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  storage_.reset(p);
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

}  // namespace nutshell
