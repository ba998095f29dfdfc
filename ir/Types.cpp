#include "ir/Types.h"

namespace nutshell::ir {

std::string_view dtypeName(DType dtype) {
  switch (dtype) {
    case DType::F32: return "f32";
    case DType::I64: return "i64";
    case DType::Bool: return "bool";
    case DType::I32: return "i32";
    case DType::I8: return "i8";
    case DType::U8: return "u8";
    case DType::F64: return "f64";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view text) {
  for (DType dtype : kAllDTypes)
    if (text == dtypeName(dtype)) return dtype;
  return std::nullopt;
}

size_t elementSize(DType dtype) {
  switch (dtype) {
    case DType::Bool:
    case DType::I8:
    case DType::U8: return 1;
    case DType::F32:
    case DType::I32: return 4;
    case DType::I64:
    case DType::F64: return 8;
  }
  return 8;
}

TensorType TensorType::f32(const std::vector<int64_t>& shape) {
  return TensorType(DType::F32, std::vector<Dim>(shape.begin(), shape.end()));
}

TensorType TensorType::i64(const std::vector<int64_t>& shape) {
  return TensorType(DType::I64, std::vector<Dim>(shape.begin(), shape.end()));
}

bool TensorType::isStatic() const {
  for (const Dim& d : dims)
    if (!d.isStatic()) return false;
  return true;
}

std::vector<int64_t> TensorType::shape() const {
  std::vector<int64_t> result;
  result.reserve(dims.size());
  for (const Dim& d : dims) result.push_back(d.size);
  return result;
}

int64_t TensorType::numElements() const {
  int64_t n = 1;
  for (const Dim& d : dims) {
    if (!d.isStatic()) return -1;
    if (d.size != 0 && n > kMaxElements / d.size) return -1;
    n *= d.size;
  }
  return n;
}

std::string TensorType::str() const {
  std::string s(dtypeName(dtype));
  s += '[';
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ',';
    s += dims[i].isStatic() ? std::to_string(dims[i].size) : dims[i].symbol;
  }
  s += ']';
  return s;
}

}  // namespace nutshell::ir
