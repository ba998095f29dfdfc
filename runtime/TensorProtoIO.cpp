// ONNX TensorProto (.pb) reading and writing, on a hand-written decoder of the
// protobuf wire format: the runtime links no protobuf.
#include <optional>
#include <string>
#include <vector>

#include "runtime/TensorIO.h"
#include "runtime/TensorIOSupport.h"

namespace nutshell {

using namespace tensorio;

namespace {

// ---- protobuf wire format -------------------------------------------------------

/// A bounds-checked reader over protobuf wire-format bytes.
class WireReader {
public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  bool atEnd() const { return pos_ >= bytes_.size(); }
  size_t position() const { return pos_; }

  bool readVarint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) return false;
      uint8_t byte = static_cast<uint8_t>(bytes_[pos_++]);
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;  // more than 10 bytes
  }
  bool readFixed(size_t size, const char*& data) {
    if (bytes_.size() - pos_ < size) return false;
    data = bytes_.data() + pos_;
    pos_ += size;
    return true;
  }
  bool readLengthDelimited(std::string_view& data) {
    uint64_t length;
    if (!readVarint(length) || length > bytes_.size() - pos_) return false;
    data = bytes_.substr(pos_, size_t(length));
    pos_ += size_t(length);
    return true;
  }

private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

/// TensorProto.DataType values this reader knows by name.
const char* onnxTypeName(uint64_t type) {
  static const char* names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32",
                                "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64",
                                "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  return type < std::size(names) ? names[type] : "unknown";
}

/// TensorProto.data_type of a runtime element type.
uint64_t onnxDataType(ElementType type) {
  switch (type) {
    case ElementType::F32: return 1;
    case ElementType::U8: return 2;
    case ElementType::I8: return 3;
    case ElementType::I32: return 6;
    case ElementType::I64: return 7;
    case ElementType::Bool: return 9;
    case ElementType::F64: return 11;
  }
  return 7;
}

std::optional<Storage> onnxStorage(uint64_t type) {
  switch (type) {
    case 1: return Storage::F32;
    case 2: return Storage::U8;
    case 3: return Storage::I8;
    case 4: return Storage::U16;
    case 5: return Storage::I16;
    case 6: return Storage::I32;
    case 7: return Storage::I64;
    case 9: return Storage::Bool;
    case 10: return Storage::F16;
    case 11: return Storage::F64;
    case 12: return Storage::U32;
    case 13: return Storage::U64;
    case 16: return Storage::BF16;
    default: return std::nullopt;
  }
}

/// The fields of a TensorProto this reader uses.
struct TensorProtoFields {
  std::vector<int64_t> dims;
  std::optional<uint64_t> dataType;
  std::string name;
  std::optional<std::string_view> raw;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<int64_t> int32s;  // int32_data, already sign-extended
  std::vector<int64_t> int64s;
  std::vector<uint64_t> uint64s;
  size_t strings = 0;
  bool external = false;
};

/// Read a repeated varint field that may be packed (length-delimited) or not.
template <class Push>
bool readRepeatedVarint(WireReader& reader, int wireType, Push push) {
  uint64_t value;
  if (wireType == kVarint) {
    if (!reader.readVarint(value)) return false;
    push(value);
    return true;
  }
  if (wireType != kLengthDelimited) return false;
  std::string_view packed;
  if (!reader.readLengthDelimited(packed)) return false;
  WireReader inner(packed);
  while (!inner.atEnd()) {
    if (!inner.readVarint(value)) return false;
    push(value);
  }
  return true;
}

/// Read a repeated fixed-size field (float: 4, double: 8), packed or not.
template <class T>
bool readRepeatedFixed(WireReader& reader, int wireType, std::vector<T>& out) {
  const int expectedWire = sizeof(T) == 4 ? kFixed32 : kFixed64;
  const char* data;
  if (wireType == expectedWire) {
    if (!reader.readFixed(sizeof(T), data)) return false;
    out.push_back(loadLE<T>(data));
    return true;
  }
  if (wireType != kLengthDelimited) return false;
  std::string_view packed;
  if (!reader.readLengthDelimited(packed) || packed.size() % sizeof(T) != 0) return false;
  for (size_t i = 0; i < packed.size(); i += sizeof(T)) out.push_back(loadLE<T>(packed.data() + i));
  return true;
}

bool skipField(WireReader& reader, int wireType) {
  uint64_t ignored;
  const char* data;
  std::string_view view;
  switch (wireType) {
    case kVarint: return reader.readVarint(ignored);
    case kFixed64: return reader.readFixed(8, data);
    case kLengthDelimited: return reader.readLengthDelimited(view);
    case kFixed32: return reader.readFixed(4, data);
    default: return false;  // groups (3, 4) are not used by TensorProto
  }
}

Expected<TensorProtoFields> decodeTensorProtoFields(std::string_view bytes, const std::string& what) {
  TensorProtoFields fields;
  WireReader reader(bytes);
  while (!reader.atEnd()) {
    size_t fieldStart = reader.position();
    uint64_t key;
    if (!reader.readVarint(key))
      return makeError(what + ": not a TensorProto (bad field key at byte " + std::to_string(fieldStart) + ")");
    uint64_t field = key >> 3;
    int wireType = int(key & 7);
    bool ok = true;
    switch (field) {
      case 1:  // dims
        ok = readRepeatedVarint(reader, wireType, [&](uint64_t v) { fields.dims.push_back(int64_t(v)); });
        break;
      case 2: {  // data_type
        uint64_t v;
        ok = wireType == kVarint && reader.readVarint(v);
        if (ok) fields.dataType = v;
        break;
      }
      case 4:  // float_data
        ok = readRepeatedFixed(reader, wireType, fields.floats);
        break;
      case 5:  // int32_data (negative values are sign-extended 64-bit varints)
        ok = readRepeatedVarint(reader, wireType,
                                [&](uint64_t v) { fields.int32s.push_back(int64_t(int32_t(uint32_t(v)))); });
        break;
      case 6: {  // string_data
        std::string_view s;
        ok = wireType == kLengthDelimited && reader.readLengthDelimited(s);
        ++fields.strings;
        break;
      }
      case 7:  // int64_data
        ok = readRepeatedVarint(reader, wireType, [&](uint64_t v) { fields.int64s.push_back(int64_t(v)); });
        break;
      case 8: {  // name
        std::string_view s;
        ok = wireType == kLengthDelimited && reader.readLengthDelimited(s);
        if (ok) fields.name = std::string(s);
        break;
      }
      case 9: {  // raw_data
        std::string_view s;
        ok = wireType == kLengthDelimited && reader.readLengthDelimited(s);
        if (ok) fields.raw = s;
        break;
      }
      case 10:  // double_data
        ok = readRepeatedFixed(reader, wireType, fields.doubles);
        break;
      case 11:  // uint64_data
        ok = readRepeatedVarint(reader, wireType, [&](uint64_t v) { fields.uint64s.push_back(v); });
        break;
      case 13:  // external_data
        fields.external = true;
        ok = skipField(reader, wireType);
        break;
      case 14: {  // data_location (1 = EXTERNAL)
        uint64_t v;
        ok = wireType == kVarint && reader.readVarint(v);
        if (ok && v == 1) fields.external = true;
        break;
      }
      default:  // segment (3), doc_string (12), future fields
        if (field == 0) ok = false;
        else ok = skipField(reader, wireType);
        break;
    }
    if (!ok)
      return makeError(what + ": not a TensorProto or truncated (field " + std::to_string(field) + " at byte " +
                       std::to_string(fieldStart) + ")");
  }
  return fields;
}

Expected<Tensor> tensorFromFields(const TensorProtoFields& fields, const std::string& what) {
  if (!fields.dataType) return makeError(what + ": TensorProto has no data_type");
  uint64_t type = *fields.dataType;
  if (fields.external) return makeError(what + ": tensors with external data are not supported");
  std::optional<Storage> storage = onnxStorage(type);
  if (!storage)
    return makeError(what + ": unsupported TensorProto data type " + std::to_string(type) + " (" +
                     onnxTypeName(type) + ")");
  NUTSHELL_ASSIGN(int64_t count, checkedElementCount(fields.dims, what));
  const std::string shape = shapeString(fields.dims);
  ElementType elementType = heldType(*storage);

  auto countError = [&](int64_t found, const char* field) {
    return makeError(what + ": " + field + " holds " + std::to_string(found) + " values but dims " + shape +
                     " need " + std::to_string(count));
  };

  // One source of values: raw_data or the typed field, never both.
  const size_t typedValues = fields.floats.size() + fields.doubles.size() + fields.int64s.size() +
                             fields.uint64s.size() + fields.int32s.size();
  if (fields.raw && typedValues > 0)
    return makeError(what + ": TensorProto holds both raw_data and typed data fields");

  if (fields.raw) {
    size_t size = storageSize(*storage);
    if (fields.raw->size() % size != 0 || int64_t(fields.raw->size() / size) != count)
      return makeError(what + ": raw_data has " + std::to_string(fields.raw->size()) + " bytes but dims " + shape +
                       " of " + onnxTypeName(type) + " need " + std::to_string(count * int64_t(size)));
    // Narrow storage widens (uint8 -> i64 is 8x): size the result, not the file.
    NUTSHELL_ASSIGN(Tensor tensor, Tensor::allocate(elementType, fields.dims, what));
    NUTSHELL_TRY(convertRaw(fields.raw->data(), count, *storage, false, tensor, what));
    return tensor;
  }

  // The typed field that carries this storage, checked before allocating.
  const char* field = "int32_data";
  size_t found = fields.int32s.size();
  switch (*storage) {
    case Storage::F32:
      field = "float_data", found = fields.floats.size();
      break;
    case Storage::F64:
      field = "double_data", found = fields.doubles.size();
      break;
    case Storage::I64:
      field = "int64_data", found = fields.int64s.size();
      break;
    case Storage::U32:
    case Storage::U64:
      field = "uint64_data", found = fields.uint64s.size();
      break;
    default:
      break;  // the rest travel in int32_data
  }
  if (int64_t(found) != count) return countError(int64_t(found), field);
  NUTSHELL_ASSIGN(Tensor tensor, Tensor::allocate(elementType, fields.dims, what));
  switch (*storage) {
    case Storage::F32:
      std::copy(fields.floats.begin(), fields.floats.end(), tensor.f32());
      return tensor;
    case Storage::F64:
      for (int64_t i = 0; i < count; ++i) storeFloat(tensor, i, fields.doubles[size_t(i)]);
      return tensor;
    case Storage::I64:
      std::copy(fields.int64s.begin(), fields.int64s.end(), tensor.i64());
      return tensor;
    case Storage::U32:
    case Storage::U64:
      for (int64_t i = 0; i < count; ++i) {
        uint64_t v = fields.uint64s[size_t(i)];
        if (v > uint64_t(std::numeric_limits<int64_t>::max()))
          return makeError(what + ": uint64 value " + std::to_string(v) + " does not fit in i64");
        tensor.i64()[i] = int64_t(v);
      }
      return tensor;
    case Storage::F16:
    case Storage::BF16:
    case Storage::I8:
    case Storage::I16:
    case Storage::I32:
    case Storage::U8:
    case Storage::U16:
    case Storage::Bool:
      // These all travel in int32_data (float16/bfloat16 as their bit patterns).
      for (int64_t i = 0; i < count; ++i) {
        int64_t v = fields.int32s[size_t(i)];
        if (*storage == Storage::F16) tensor.f32()[i] = halfToFloat(uint16_t(v));
        else if (*storage == Storage::BF16) tensor.f32()[i] = bfloat16ToFloat(uint16_t(v));
        else
          storeInt(tensor, i, v);
      }
      return tensor;
  }
  return makeError(what + ": unsupported TensorProto data type");
}

void appendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += char(uint8_t(value | 0x80));
    value >>= 7;
  }
  out += char(uint8_t(value));
}

void appendKey(std::string& out, int field, int wireType) { appendVarint(out, uint64_t(field) << 3 | uint64_t(wireType)); }

}  // namespace

Expected<NamedTensor> parseTensorProto(std::string_view bytes, const std::string& what) {
  NUTSHELL_ASSIGN(TensorProtoFields fields, decodeTensorProtoFields(bytes, what));
  NUTSHELL_ASSIGN(Tensor tensor, tensorFromFields(fields, what));
  // tensorFromFields accepted the data type: it has a storage.
  return NamedTensor{fields.name, std::move(tensor), storageName(*onnxStorage(*fields.dataType))};
}

Expected<NamedTensor> readTensorProto(const std::string& path) {
  NUTSHELL_ASSIGN(std::string bytes, readFileBytes(path));
  return parseTensorProto(bytes, path);
}

std::string encodeTensorProto(const Tensor& tensor, const std::string& name) {
  std::string out;
  for (int64_t d : tensor.shape()) {
    appendKey(out, 1, kVarint);
    appendVarint(out, uint64_t(d));
  }
  appendKey(out, 2, kVarint);
  appendVarint(out, onnxDataType(tensor.type()));
  if (!name.empty()) {
    appendKey(out, 8, kLengthDelimited);
    appendVarint(out, name.size());
    out += name;
  }
  appendKey(out, 9, kLengthDelimited);
  appendVarint(out, tensor.byteSize());
  out.append(static_cast<const char*>(tensor.data()), tensor.byteSize());
  return out;
}

Status writeTensorProto(const Tensor& tensor, const std::string& path, const std::string& name) {
  return writeBytes(encodeTensorProto(tensor, name), path);
}

}  // namespace nutshell
