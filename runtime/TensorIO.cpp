#include "runtime/TensorIO.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "nutshell/FileRead.h"
#include "runtime/TensorIOSupport.h"

namespace nutshell {

using namespace tensorio;

namespace {

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

/// numpy's dtype string of a runtime element type.
const char* npyDescr(ElementType type) {
  switch (type) {
    case ElementType::F32: return "<f4";
    case ElementType::F64: return "<f8";
    case ElementType::I64: return "<i8";
    case ElementType::I32: return "<i4";
    case ElementType::I8: return "|i1";
    case ElementType::U8: return "|u1";
    case ElementType::Bool: return "|b1";
  }
  return "<i8";
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

namespace tensorio {

Status writeBytes(const std::string& bytes, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return makeError("cannot open '" + path + "' for writing");
  file.write(bytes.data(), std::streamsize(bytes.size()));
  file.close();
  if (!file) return makeError("error writing '" + path + "'");
  return Status::success();
}

}  // namespace tensorio

// ---- public API ---------------------------------------------------------------------

Expected<std::string> readFileBytes(const std::string& path) {
  return readRegularFile(path, "tensor file");
}

namespace {

/// parseNpy, also giving the file's element type in `stored`.
Expected<Tensor> parseNpyStored(std::string_view bytes, const std::string& what, Storage& stored) {
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
  NUTSHELL_ASSIGN(Tensor tensor, Tensor::allocate(heldType(*storage), shape, what));
  NUTSHELL_TRY(convertRaw(data.data(), count, *storage, swap, tensor, what));
  stored = *storage;
  return tensor;
}

}  // namespace

Expected<Tensor> parseNpy(std::string_view bytes, const std::string& what) {
  Storage stored = Storage::F32;
  return parseNpyStored(bytes, what, stored);
}

Expected<Tensor> readNpy(const std::string& path) {
  NUTSHELL_ASSIGN(std::string bytes, readFileBytes(path));
  return parseNpy(bytes, path);
}

std::string encodeNpy(const Tensor& tensor) {
  std::string header = "{'descr': '";
  header += npyDescr(tensor.type());
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

std::string storedTypeString(const Tensor& tensor, const std::string& storedType) {
  std::string type = tensor.typeString();
  size_t bracket = type.find('[');
  if (bracket == std::string::npos || storedType.empty() || type.compare(0, bracket, storedType) == 0)
    return type;
  return storedType + type.substr(bracket) + " (read as " + type.substr(0, bracket) + ")";
}

Expected<NamedTensor> readTensorFile(const std::string& path) {
  std::string ext = lowerExtension(path);
  if (ext == ".npy") {
    NUTSHELL_ASSIGN(std::string bytes, readFileBytes(path));
    Storage stored = Storage::F32;
    NUTSHELL_ASSIGN(Tensor tensor, parseNpyStored(bytes, path, stored));
    return NamedTensor{"", std::move(tensor), storageName(stored)};
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
