#include "nutshell/Tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "nutshell/MemoryLimit.h"

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

}  // namespace nutshell
