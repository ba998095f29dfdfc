// Tensor files: numpy .npy and ONNX TensorProto .pb (the layout of ONNX test
// data). Part of the runtime, so the TensorProto wire format is decoded and
// encoded here by hand: AOT executables read tensor files without protobuf.
//
// Element types: f32, f64, i64, i32, i8, u8 and bool read as themselves;
// int16, uint16, uint32 and uint64 widen to i64, float16 and bfloat16 to f32;
// anything else (strings, complex, external data) is an error. Writers store
// the tensor's own type.
// Every reader returns an error (naming the file) on garbage, truncated data
// or sizes that disagree; none of them crashes or allocates more than the
// file's data can fill.
#pragma once

#include <string>
#include <string_view>

#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"

namespace nutshell {

/// A tensor with the name stored in its file (TensorProto.name; empty for
/// .npy files and unnamed protos) and the element type the file stores.
struct NamedTensor {
  std::string name;
  Tensor tensor;
  /// The file's element type (f16, bf16, f32, f64, i8..i64, u8..u64, bool),
  /// which `tensor` holds as itself or widened (see above): messages name it.
  std::string storedType;
};

/// A read tensor's type as its file stores it, for messages: "i32[2,3] (read
/// as i64)" for an int32 file, plain "f32[2,3]" when nothing was converted.
std::string storedTypeString(const Tensor& tensor, const std::string& storedType);

// ---- numpy .npy (format versions 1, 2 and 3; C order only) ----------------

/// Decode .npy bytes. `what` names the source in error messages.
Expected<Tensor> parseNpy(std::string_view bytes, const std::string& what = "<npy>");
Expected<Tensor> readNpy(const std::string& path);
/// Encode as version 1.0 ('<f4', '<i8', '|b1', ...), header padded to 64 bytes.
std::string encodeNpy(const Tensor& tensor);
Status writeNpy(const Tensor& tensor, const std::string& path);

// ---- ONNX TensorProto .pb --------------------------------------------------

Expected<NamedTensor> parseTensorProto(std::string_view bytes, const std::string& what = "<TensorProto>");
Expected<NamedTensor> readTensorProto(const std::string& path);
/// Encode with the tensor's data type, dims and raw_data (what ONNX tools write).
std::string encodeTensorProto(const Tensor& tensor, const std::string& name = "");
Status writeTensorProto(const Tensor& tensor, const std::string& path, const std::string& name = "");

// ---- by extension ----------------------------------------------------------

/// .npy or .pb (by extension, case-insensitive); other extensions are errors.
Expected<NamedTensor> readTensorFile(const std::string& path);
/// .npy or .pb; `name` is stored in .pb files only.
Status writeTensorFile(const Tensor& tensor, const std::string& path, const std::string& name = "");

/// Whole file as bytes; error names the path.
Expected<std::string> readFileBytes(const std::string& path);

}  // namespace nutshell
