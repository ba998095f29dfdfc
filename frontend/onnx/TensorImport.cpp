// ONNX TensorProto -> ir::TensorData: initializers, Constant values and
// tensor attributes. Every size is checked against the bytes actually present
// before anything is allocated, so a corrupt file cannot ask for terabytes.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"
#include "nutshell/FileRead.h"

namespace nutshell::onnx {

namespace {

using ::onnx::TensorProto;

std::string formatDims(const TensorProto& tensor) {
  std::string s = "[";
  for (int i = 0; i < tensor.dims_size(); ++i) {
    if (i) s += ',';
    s += std::to_string(tensor.dims(i));
  }
  return s + "]";
}

Expected<int64_t> parseNonNegative(const std::string& text, const std::string& key, const std::string& what) {
  int64_t value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    return makeError(fmt::format("{}: external data {} '{}' is not a non-negative integer", what, key, text));
  return value;
}

/// Reads `byteCount` bytes of external data. The location is relative to the
/// model's directory and may not leave it: no absolute paths, no '..', and
/// no symlink out of it (CVE-2024-27318 in ONNX was this); regular files only.
Expected<std::string> readExternalData(const TensorProto& tensor, int64_t byteCount, const std::string& what,
                                       const std::string& baseDir) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset") {
      NUTSHELL_ASSIGN(offset, parseNonNegative(entry.value(), "offset", what));
    } else if (entry.key() == "length") {
      NUTSHELL_ASSIGN(length, parseNonNegative(entry.value(), "length", what));
    }
  }
  if (location.empty()) return makeError(what + ": external data has no location");
  std::filesystem::path rel(location);
  if (rel.is_absolute())
    return makeError(fmt::format("{}: external data location '{}' is absolute", what, location));
  for (const auto& part : rel)
    if (part == "..")
      return makeError(
          fmt::format("{}: external data location '{}' leaves the model's directory", what, location));
  if (length >= 0 && length != byteCount)
    return makeError(fmt::format("{}: external data length {} does not match dims {} ({} bytes)", what,
                                 length, formatDims(tensor), byteCount));
  // The text checks above are not enough: a symlink inside the folder can
  // point anywhere. Resolve both paths and require the file under the folder.
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::canonical(baseDir.empty() ? "." : baseDir, ec);
  if (ec)
    return makeError(
        fmt::format("{}: cannot resolve the model's folder '{}': {}", what, baseDir, ec.message()));
  const std::filesystem::path full = std::filesystem::canonical(folder / rel, ec);
  if (ec)
    return makeError(fmt::format("{}: cannot read external data file '{}': {}", what,
                                 (std::filesystem::path(baseDir) / rel).string(), ec.message()));
  auto [inFolder, inFile] = std::mismatch(folder.begin(), folder.end(), full.begin(), full.end());
  if (inFolder != folder.end() || inFile == full.end())
    return makeError(
        fmt::format("{}: external data location '{}' resolves to '{}', outside the model's folder", what,
                    location, full.string()));
  auto bytes =
      readRegularFileRange(full.string(), "external data file", uint64_t(offset), uint64_t(byteCount));
  if (!bytes) return makeError(what + ": " + bytes.message());
  return bytes.take();
}

}  // namespace

std::optional<ir::DType> convertElementType(int32_t onnxType) {
  switch (onnxType) {
    case TensorProto::FLOAT:
      return ir::DType::F32;
    case TensorProto::INT64:
      return ir::DType::I64;
    case TensorProto::BOOL: return ir::DType::Bool;
    case TensorProto::INT32: return ir::DType::I32;
    case TensorProto::INT8: return ir::DType::I8;
    case TensorProto::UINT8: return ir::DType::U8;
    case TensorProto::DOUBLE: return ir::DType::F64;
    default:
      return std::nullopt;
  }
}

std::string onnxTypeName(int32_t onnxType) {
  switch (onnxType) {
    case TensorProto::UNDEFINED:
      return "undefined";
    case TensorProto::FLOAT:
      return "float";
    case TensorProto::UINT8:
      return "uint8";
    case TensorProto::INT8:
      return "int8";
    case TensorProto::UINT16:
      return "uint16";
    case TensorProto::INT16:
      return "int16";
    case TensorProto::INT32:
      return "int32";
    case TensorProto::INT64:
      return "int64";
    case TensorProto::STRING:
      return "string";
    case TensorProto::BOOL:
      return "bool";
    case TensorProto::FLOAT16:
      return "float16";
    case TensorProto::DOUBLE:
      return "double";
    case TensorProto::UINT32:
      return "uint32";
    case TensorProto::UINT64:
      return "uint64";
    case TensorProto::COMPLEX64:
      return "complex64";
    case TensorProto::COMPLEX128:
      return "complex128";
    case TensorProto::BFLOAT16:
      return "bfloat16";
    default:
      return "type " + std::to_string(onnxType);
  }
}

Expected<ir::TensorDataPtr> convertTensor(const TensorProto& tensor, const std::string& what,
                                          const std::string& baseDir) {
  const int32_t type = tensor.data_type();
  const std::optional<ir::DType> dtype = convertElementType(type);
  if (!dtype)
    return makeUnsupported(fmt::format(
        "{} has element type {}; nutshell supports float, double, int64, int32, int8, uint8 and bool", what,
        onnxTypeName(type)));
  if (tensor.has_segment()) return makeUnsupported(what + ": segmented tensors are not supported");

  // Element count, checked per dim so that the product cannot overflow.
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (int i = 0; i < tensor.dims_size(); ++i) {
    int64_t d = tensor.dims(i);
    if (d < 0) return makeError(fmt::format("{}: dims {} are negative", what, formatDims(tensor)));
    if (d != 0 && count > ir::kMaxElements / d)
      return makeError(
          fmt::format("{}: dims {} are too large (more than 2^40 elements)", what, formatDims(tensor)));
    count *= d;
    shape.push_back(d);
  }
  const int64_t storedSize = int64_t(ir::elementSize(*dtype));
  const int64_t byteCount = count * storedSize;

  // One source of values: a tensor that carries raw_data and typed values,
  // or external data and either, is ambiguous (readers would disagree on it).
  const int typedValues = tensor.float_data_size() + tensor.int32_data_size() + tensor.int64_data_size() +
                          tensor.double_data_size() + tensor.uint64_data_size() + tensor.string_data_size();
  const bool external = tensor.data_location() == TensorProto::EXTERNAL;
  if (int(tensor.has_raw_data()) + int(typedValues > 0) + int(external) > 1)
    return makeError(
        fmt::format("{}: holds values in more than one of raw_data, the typed data fields and external "
                    "data",
                    what));

  std::string externalBytes;
  const std::string* raw = nullptr;
  if (tensor.data_location() == TensorProto::EXTERNAL) {
    NUTSHELL_ASSIGN(externalBytes, readExternalData(tensor, byteCount, what, baseDir));
    raw = &externalBytes;
  } else if (tensor.has_raw_data()) {
    raw = &tensor.raw_data();
    if (int64_t(raw->size()) != byteCount)
      return makeError(fmt::format("{}: raw_data has {} bytes but dims {} of {} need {}", what, raw->size(),
                                   formatDims(tensor), onnxTypeName(type), byteCount));
  }

  auto data = std::make_shared<ir::TensorData>();
  data->type = ir::TensorType(*dtype, std::vector<ir::Dim>(shape.begin(), shape.end()));
  auto typedCountError = [&](int64_t have) {
    return makeError(
        fmt::format("{}: has {} values but dims {} need {}", what, have, formatDims(tensor), count));
  };
  switch (type) {
    case TensorProto::FLOAT:
      if (raw) {
        data->f32.resize(size_t(count));
        if (count) std::memcpy(data->f32.data(), raw->data(), size_t(byteCount));
      } else {
        if (tensor.float_data_size() != count) return typedCountError(tensor.float_data_size());
        data->f32.assign(tensor.float_data().begin(), tensor.float_data().end());
      }
      break;
    case TensorProto::INT64:
      if (raw) {
        data->i64.resize(size_t(count));
        if (count) std::memcpy(data->i64.data(), raw->data(), size_t(byteCount));
      } else {
        if (tensor.int64_data_size() != count) return typedCountError(tensor.int64_data_size());
        data->i64.assign(tensor.int64_data().begin(), tensor.int64_data().end());
      }
      break;
    case TensorProto::DOUBLE:
      // f64 constants are held as f32 values (ir/TensorData.h).
      if (raw) {
        data->f32.resize(size_t(count));
        for (int64_t i = 0; i < count; ++i) {
          double v;
          std::memcpy(&v, raw->data() + i * 8, 8);
          data->f32[size_t(i)] = float(v);
        }
      } else {
        if (tensor.double_data_size() != count) return typedCountError(tensor.double_data_size());
        data->f32.assign(tensor.double_data().begin(), tensor.double_data().end());
      }
      break;
    case TensorProto::INT32:
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      // Held as i64 values (ir/TensorData.h); the typed field is int32_data.
      if (raw) {
        data->i64.resize(size_t(count));
        for (int64_t i = 0; i < count; ++i) {
          const char* p = raw->data() + i * storedSize;
          int64_t v = 0;
          if (type == TensorProto::INT32) {
            int32_t w;
            std::memcpy(&w, p, 4);
            v = w;
          } else if (type == TensorProto::INT8) {
            v = int8_t(*p);
          } else if (type == TensorProto::UINT8) {
            v = uint8_t(*p);
          } else {
            v = *p != 0 ? 1 : 0;
          }
          data->i64[size_t(i)] = v;
        }
      } else {
        if (tensor.int32_data_size() != count) return typedCountError(tensor.int32_data_size());
        for (int32_t v : tensor.int32_data())
          data->i64.push_back(type == TensorProto::BOOL    ? (v != 0 ? 1 : 0)
                              : type == TensorProto::INT8  ? int64_t(int8_t(v))
                              : type == TensorProto::UINT8 ? int64_t(uint8_t(v))
                                                           : int64_t(v));
      }
      break;
    default:
      break;
  }
  return ir::TensorDataPtr(std::move(data));
}

}  // namespace nutshell::onnx
