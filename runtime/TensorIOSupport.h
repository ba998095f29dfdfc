// Shared by the tensor file readers (TensorIO.cpp: .npy, TensorProtoIO.cpp:
// ONNX .pb): checked element counts and the conversion of stored elements
// (any width, either endianness) into the runtime's element types. Private to
// runtime/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"

namespace nutshell::tensorio {


// Same cap as the IR's kMaxElements: size arithmetic can never overflow.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

inline std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

/// Element count of `shape`, or an error when a dim is negative or the
/// product exceeds kMaxTensorElements.
inline Expected<int64_t> checkedElementCount(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) return makeError(what + ": negative dimension in shape " + shapeString(shape));
    if (d != 0 && count > kMaxTensorElements / d)
      return makeError(what + ": shape " + shapeString(shape) + " has too many elements");
    count *= d;
  }
  return count;
}

// ---- little-endian scalar access (raw bytes are never aligned) -------------

template <class T>
inline T loadLE(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;  // this code runs on little-endian hosts only (x86-64, AArch64)
}

inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int shift = 0;
      while (!(mantissa & 0x400)) {
        mantissa <<= 1;
        ++shift;
      }
      mantissa &= 0x3ff;
      bits = sign | (uint32_t(127 - 15 - shift + 1) << 23) | (mantissa << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float bfloat16ToFloat(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// How a stored element converts into the runtime's f32 / i64.
enum class Storage { F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool };

inline size_t storageSize(Storage s) {
  switch (s) {
    case Storage::I8: case Storage::U8: case Storage::Bool: return 1;
    case Storage::F16: case Storage::BF16: case Storage::I16: case Storage::U16: return 2;
    case Storage::F32: case Storage::I32: case Storage::U32: return 4;
    case Storage::F64: case Storage::I64: case Storage::U64: return 8;
  }
  return 1;
}

/// The stored type's short name, as the IR spells types: f16, i32, u8, bool...
inline const char* storageName(Storage s) {
  switch (s) {
    case Storage::F16: return "f16";
    case Storage::BF16: return "bf16";
    case Storage::F32: return "f32";
    case Storage::F64: return "f64";
    case Storage::I8: return "i8";
    case Storage::I16: return "i16";
    case Storage::I32: return "i32";
    case Storage::I64: return "i64";
    case Storage::U8: return "u8";
    case Storage::U16: return "u16";
    case Storage::U32: return "u32";
    case Storage::U64: return "u64";
    case Storage::Bool: return "bool";
  }
  return "?";
}

inline bool storageIsFloat(Storage s) {
  return s == Storage::F16 || s == Storage::BF16 || s == Storage::F32 || s == Storage::F64;
}

/// The runtime type a stored type reads as: itself where the runtime has it
/// (f32, f64, i64, i32, i8, u8, bool); f16 and bf16 widen to f32, i16, u16,
/// u32 and u64 to i64.
inline ElementType heldType(Storage s) {
  switch (s) {
    case Storage::F16:
    case Storage::BF16:
    case Storage::F32: return ElementType::F32;
    case Storage::F64: return ElementType::F64;
    case Storage::I8: return ElementType::I8;
    case Storage::U8: return ElementType::U8;
    case Storage::I32: return ElementType::I32;
    case Storage::Bool: return ElementType::Bool;
    case Storage::I16:
    case Storage::U16:
    case Storage::U32:
    case Storage::U64:
    case Storage::I64: return ElementType::I64;
  }
  return ElementType::I64;
}

/// Stores a float into element i of `out` (a float type: f32 or f64).
inline void storeFloat(Tensor& out, int64_t i, double v) {
  if (out.type() == ElementType::F64)
    static_cast<double*>(out.data())[i] = v;
  else
    out.f32()[i] = float(v);
}

/// Stores an integer into element i of `out` (whose type holds it: heldType).
inline void storeInt(Tensor& out, int64_t i, int64_t v) {
  switch (out.type()) {
    case ElementType::I32: static_cast<int32_t*>(out.data())[i] = int32_t(v); break;
    case ElementType::I8: static_cast<int8_t*>(out.data())[i] = int8_t(v); break;
    case ElementType::U8: static_cast<uint8_t*>(out.data())[i] = uint8_t(v); break;
    case ElementType::Bool: static_cast<uint8_t*>(out.data())[i] = v != 0 ? 1 : 0; break;
    default: out.i64()[i] = v; break;
  }
}

/// Convert `count` little-endian elements at `src` into `out` (of type
/// heldType(storage)). `swap` reverses each element's bytes first
/// (big-endian .npy files).
inline Status convertRaw(const char* src, int64_t count, Storage storage, bool swap, Tensor& out, const std::string& what) {
  size_t size = storageSize(storage);
  char element[8];
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(element, src + size_t(i) * size, size);
    if (swap) std::reverse(element, element + size);
    switch (storage) {
      case Storage::F16: storeFloat(out, i, halfToFloat(loadLE<uint16_t>(element))); break;
      case Storage::BF16: storeFloat(out, i, bfloat16ToFloat(loadLE<uint16_t>(element))); break;
      case Storage::F32: storeFloat(out, i, loadLE<float>(element)); break;
      case Storage::F64: storeFloat(out, i, loadLE<double>(element)); break;
      case Storage::I8: storeInt(out, i, loadLE<int8_t>(element)); break;
      case Storage::I16: storeInt(out, i, loadLE<int16_t>(element)); break;
      case Storage::I32: storeInt(out, i, loadLE<int32_t>(element)); break;
      case Storage::I64: storeInt(out, i, loadLE<int64_t>(element)); break;
      case Storage::U8: storeInt(out, i, loadLE<uint8_t>(element)); break;
      case Storage::U16: storeInt(out, i, loadLE<uint16_t>(element)); break;
      case Storage::U32: storeInt(out, i, loadLE<uint32_t>(element)); break;
      case Storage::U64: {
        uint64_t v = loadLE<uint64_t>(element);
        if (v > uint64_t(std::numeric_limits<int64_t>::max()))
          return makeError(what + ": uint64 value " + std::to_string(v) + " does not fit in i64");
        storeInt(out, i, int64_t(v));
        break;
      }
      case Storage::Bool: storeInt(out, i, element[0] != 0 ? 1 : 0); break;
    }
  }
  return Status::success();
}

/// Write `bytes` to `path` (truncating); error names the path.
Status writeBytes(const std::string& bytes, const std::string& path);

}  // namespace nutshell::tensorio
