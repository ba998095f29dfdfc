#include "runtime/TensorIO.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

namespace nutshell {

namespace {

// Same cap as the IR's kMaxElements: size arithmetic can never overflow.
constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

/// Element count of `shape`, or an error when a dim is negative or the
/// product exceeds kMaxTensorElements.
Expected<int64_t> checkedElementCount(const std::vector<int64_t>& shape, const std::string& what) {
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
T loadLE(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;  // this code runs on little-endian hosts only (x86-64, AArch64)
}

float halfToFloat(uint16_t h) {
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

float bfloat16ToFloat(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// How a stored element converts into the runtime's f32 / i64.
enum class Storage { F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool };

size_t storageSize(Storage s) {
  switch (s) {
    case Storage::I8: case Storage::U8: case Storage::Bool: return 1;
    case Storage::F16: case Storage::BF16: case Storage::I16: case Storage::U16: return 2;
    case Storage::F32: case Storage::I32: case Storage::U32: return 4;
    case Storage::F64: case Storage::I64: case Storage::U64: return 8;
  }
  return 1;
}

bool storageIsFloat(Storage s) {
  return s == Storage::F16 || s == Storage::BF16 || s == Storage::F32 || s == Storage::F64;
}

/// Convert `count` little-endian elements at `src` into `out` (whose type
/// follows storageIsFloat). `swap` reverses each element's bytes first
/// (big-endian .npy files).
Status convertRaw(const char* src, int64_t count, Storage storage, bool swap, Tensor& out, const std::string& what) {
  size_t size = storageSize(storage);
  char element[8];
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(element, src + size_t(i) * size, size);
    if (swap) std::reverse(element, element + size);
    switch (storage) {
      case Storage::F16: out.f32()[i] = halfToFloat(loadLE<uint16_t>(element)); break;
      case Storage::BF16: out.f32()[i] = bfloat16ToFloat(loadLE<uint16_t>(element)); break;
      case Storage::F32: out.f32()[i] = loadLE<float>(element); break;
      case Storage::F64: out.f32()[i] = float(loadLE<double>(element)); break;
      case Storage::I8: out.i64()[i] = loadLE<int8_t>(element); break;
      case Storage::I16: out.i64()[i] = loadLE<int16_t>(element); break;
      case Storage::I32: out.i64()[i] = loadLE<int32_t>(element); break;
      case Storage::I64: out.i64()[i] = loadLE<int64_t>(element); break;
      case Storage::U8: out.i64()[i] = loadLE<uint8_t>(element); break;
      case Storage::U16: out.i64()[i] = loadLE<uint16_t>(element); break;
      case Storage::U32: out.i64()[i] = loadLE<uint32_t>(element); break;
      case Storage::U64: {
        uint64_t v = loadLE<uint64_t>(element);
        if (v > uint64_t(std::numeric_limits<int64_t>::max()))
          return makeError(what + ": uint64 value " + std::to_string(v) + " does not fit in i64");
        out.i64()[i] = int64_t(v);
        break;
      }
      case Storage::Bool: out.i64()[i] = element[0] != 0 ? 1 : 0; break;
    }
  }
  return Status::success();
}

// ---- .npy header --------------------------------------------------------------

/// The Python dict literal of a .npy header, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<int64_t>> shape;
};

class NpyHeaderParser {
public:
  explicit NpyHeaderParser(std::string_view text) : text_(text) {}

  Expected<NpyHeader> parse() {
    NpyHeader header;
    skipSpace();
    if (!consume('{')) return fail("expected '{'");
    while (true) {
      skipSpace();
      if (consume('}')) break;
      auto key = parseString();
      if (!key) return fail("expected a quoted key");
      skipSpace();
      if (!consume(':')) return fail("expected ':' after '" + *key + "'");
      skipSpace();
      if (*key == "descr") {
        auto value = parseString();
        if (!value) return fail("'descr' must be a string such as '<f4' (structured dtypes are not supported)");
        header.descr = *value;
      } else if (*key == "fortran_order") {
        if (consumeWord("True")) header.fortranOrder = true;
        else if (consumeWord("False")) header.fortranOrder = false;
        else return fail("'fortran_order' must be True or False");
      } else if (*key == "shape") {
        auto shape = parseTuple();
        if (!shape) return fail("'shape' must be a tuple of integers");
        header.shape = *shape;
      } else {
        return fail("unknown key '" + *key + "'");
      }
      skipSpace();
      if (consume(',')) continue;
      skipSpace();
      if (consume('}')) break;
      return fail("expected ',' or '}'");
    }
    if (!header.descr || !header.fortranOrder || !header.shape)
      return makeError("header lacks one of 'descr', 'fortran_order', 'shape'");
    return header;
  }

private:
  Error fail(const std::string& message) const {
    return makeError("bad header at offset " + std::to_string(pos_) + ": " + message);
  }
  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool consumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  std::optional<std::string> parseString() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return std::nullopt;
    char quote = text_[pos_++];
    size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }
  std::optional<std::vector<int64_t>> parseTuple() {
    if (!consume('(')) return std::nullopt;
    std::vector<int64_t> values;
    while (true) {
      skipSpace();
      if (consume(')')) return values;
      size_t start = pos_;
      int64_t value = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        int digit = text_[pos_] - '0';
        if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
        ++pos_;
      }
      if (pos_ == start) return std::nullopt;
      consume('L');  // Python 2 longs
      values.push_back(value);
      skipSpace();
      if (consume(',')) continue;
      skipSpace();
      if (consume(')')) return values;
      return std::nullopt;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

/// numpy dtype string -> storage; `swap` set for big-endian data.
Expected<Storage> npyStorage(const std::string& descr, bool& swap) {
  swap = false;
  if (descr.size() < 3) return makeError("unsupported dtype '" + descr + "'");
  char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return makeError("unsupported dtype '" + descr + "'");
  std::string code = descr.substr(1);
  std::optional<Storage> storage;
  if (code == "f2") storage = Storage::F16;
  else if (code == "f4") storage = Storage::F32;
  else if (code == "f8") storage = Storage::F64;
  else if (code == "i1") storage = Storage::I8;
  else if (code == "i2") storage = Storage::I16;
  else if (code == "i4") storage = Storage::I32;
  else if (code == "i8") storage = Storage::I64;
  else if (code == "u1") storage = Storage::U8;
  else if (code == "u2") storage = Storage::U16;
  else if (code == "u4") storage = Storage::U32;
  else if (code == "u8") storage = Storage::U64;
  else if (code == "b1") storage = Storage::Bool;
  if (!storage)
    return makeError("unsupported dtype '" + descr +
                     "' (supported: float16/32/64, int8..int64, uint8..uint64, bool)");
  swap = order == '>' && storageSize(*storage) > 1;
  return *storage;
}

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
  ElementType elementType = storageIsFloat(*storage) ? ElementType::F32 : ElementType::I64;

  auto countError = [&](int64_t found, const char* field) {
    return makeError(what + ": " + field + " holds " + std::to_string(found) + " values but dims " + shape +
                     " need " + std::to_string(count));
  };

  if (fields.raw) {
    size_t size = storageSize(*storage);
    if (fields.raw->size() % size != 0 || int64_t(fields.raw->size() / size) != count)
      return makeError(what + ": raw_data has " + std::to_string(fields.raw->size()) + " bytes but dims " + shape +
                       " of " + onnxTypeName(type) + " need " + std::to_string(count * int64_t(size)));
    Tensor tensor(elementType, fields.dims);
    NUTSHELL_TRY(convertRaw(fields.raw->data(), count, *storage, false, tensor, what));
    return tensor;
  }

  Tensor tensor(elementType, {0});
  switch (*storage) {
    case Storage::F32:
      if (int64_t(fields.floats.size()) != count) return countError(int64_t(fields.floats.size()), "float_data");
      tensor = Tensor(elementType, fields.dims);
      std::copy(fields.floats.begin(), fields.floats.end(), tensor.f32());
      return tensor;
    case Storage::F64:
      if (int64_t(fields.doubles.size()) != count) return countError(int64_t(fields.doubles.size()), "double_data");
      tensor = Tensor(elementType, fields.dims);
      for (int64_t i = 0; i < count; ++i) tensor.f32()[i] = float(fields.doubles[size_t(i)]);
      return tensor;
    case Storage::I64:
      if (int64_t(fields.int64s.size()) != count) return countError(int64_t(fields.int64s.size()), "int64_data");
      tensor = Tensor(elementType, fields.dims);
      std::copy(fields.int64s.begin(), fields.int64s.end(), tensor.i64());
      return tensor;
    case Storage::U32:
    case Storage::U64:
      if (int64_t(fields.uint64s.size()) != count) return countError(int64_t(fields.uint64s.size()), "uint64_data");
      tensor = Tensor(elementType, fields.dims);
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
      if (int64_t(fields.int32s.size()) != count) return countError(int64_t(fields.int32s.size()), "int32_data");
      tensor = Tensor(elementType, fields.dims);
      for (int64_t i = 0; i < count; ++i) {
        int64_t v = fields.int32s[size_t(i)];
        if (*storage == Storage::F16) tensor.f32()[i] = halfToFloat(uint16_t(v));
        else if (*storage == Storage::BF16) tensor.f32()[i] = bfloat16ToFloat(uint16_t(v));
        else if (*storage == Storage::Bool) tensor.i64()[i] = v != 0 ? 1 : 0;
        else tensor.i64()[i] = v;
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

Status writeBytes(const std::string& bytes, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return makeError("cannot open '" + path + "' for writing");
  file.write(bytes.data(), std::streamsize(bytes.size()));
  file.close();
  if (!file) return makeError("error writing '" + path + "'");
  return Status::success();
}

std::string lowerExtension(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

// ---- public API ---------------------------------------------------------------------

Expected<std::string> readFileBytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return makeError("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) return makeError("error reading '" + path + "'");
  return contents.str();
}

Expected<Tensor> parseNpy(std::string_view bytes, const std::string& what) {
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view(kMagic, 6))
    return makeError(what + ": not a .npy file (bad magic)");
  int major = static_cast<uint8_t>(bytes[6]);
  size_t headerStart, headerLength;
  if (major == 1) {
    headerLength = loadLE<uint16_t>(bytes.data() + 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return makeError(what + ": truncated .npy header");
    headerLength = loadLE<uint32_t>(bytes.data() + 8);
    headerStart = 12;
  } else {
    return makeError(what + ": unsupported .npy format version " + std::to_string(major));
  }
  if (headerLength > bytes.size() - headerStart) return makeError(what + ": truncated .npy header");
  std::string_view headerText = bytes.substr(headerStart, headerLength);
  auto header = NpyHeaderParser(headerText).parse();
  if (!header) return makeError(what + ": " + header.message());
  if (*header->fortranOrder)
    return makeError(what + ": Fortran-ordered arrays are not supported (save with numpy.ascontiguousarray)");
  bool swap = false;
  auto storage = npyStorage(*header->descr, swap);
  if (!storage) return makeError(what + ": " + storage.message());
  const std::vector<int64_t>& shape = *header->shape;
  NUTSHELL_ASSIGN(int64_t count, checkedElementCount(shape, what));

  std::string_view data = bytes.substr(headerStart + headerLength);
  size_t size = storageSize(*storage);
  if (uint64_t(count) * size != data.size())
    return makeError(what + ": shape " + shapeString(shape) + " of '" + *header->descr + "' needs " +
                     std::to_string(uint64_t(count) * size) + " data bytes, file has " + std::to_string(data.size()));
  Tensor tensor(storageIsFloat(*storage) ? ElementType::F32 : ElementType::I64, shape);
  NUTSHELL_TRY(convertRaw(data.data(), count, *storage, swap, tensor, what));
  return tensor;
}

Expected<Tensor> readNpy(const std::string& path) {
  NUTSHELL_ASSIGN(std::string bytes, readFileBytes(path));
  return parseNpy(bytes, path);
}

std::string encodeNpy(const Tensor& tensor) {
  std::string header = "{'descr': '";
  header += tensor.type() == ElementType::F32 ? "<f4" : "<i8";
  header += "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape().size(); ++i) {
    header += std::to_string(tensor.shape()[i]);
    header += tensor.shape().size() == 1 ? "," : (i + 1 < tensor.shape().size() ? ", " : "");
  }
  header += "), }";
  // numpy pads with spaces so that the data starts 64-byte aligned, then '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(tensor.data()), tensor.byteSize());
  return out;
}

Status writeNpy(const Tensor& tensor, const std::string& path) { return writeBytes(encodeNpy(tensor), path); }

Expected<NamedTensor> parseTensorProto(std::string_view bytes, const std::string& what) {
  NUTSHELL_ASSIGN(TensorProtoFields fields, decodeTensorProtoFields(bytes, what));
  NUTSHELL_ASSIGN(Tensor tensor, tensorFromFields(fields, what));
  return NamedTensor{fields.name, std::move(tensor)};
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
  appendVarint(out, tensor.type() == ElementType::F32 ? 1 : 7);
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

Expected<NamedTensor> readTensorFile(const std::string& path) {
  std::string ext = lowerExtension(path);
  if (ext == ".npy") {
    NUTSHELL_ASSIGN(Tensor tensor, readNpy(path));
    return NamedTensor{"", std::move(tensor)};
  }
  if (ext == ".pb") return readTensorProto(path);
  return makeError("'" + path + "': unknown tensor file extension (expected .npy or .pb)");
}

Status writeTensorFile(const Tensor& tensor, const std::string& path, const std::string& name) {
  std::string ext = lowerExtension(path);
  if (ext == ".npy") return writeNpy(tensor, path);
  if (ext == ".pb") return writeTensorProto(tensor, path, name);
  return makeError("'" + path + "': unknown tensor file extension (expected .npy or .pb)");
}

}  // namespace nutshell
