// Internal to ir/: pieces of the .nsir text form shared by the printer, the
// parser and the graphviz writer, and the weights side-file encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/TensorData.h"
#include "ir/Types.h"
#include "nutshell/Expected.h"

namespace nutshell::ir::text {

/// Characters of a bare %name / @name.
bool isNameChar(unsigned char c);
/// "..." with \" \\ \n \xHH escapes (the attribute string syntax).
std::string quoteString(const std::string& s);
/// A value or graph name: bare when it can be, else quoted.
std::string formatName(const std::string& name);
/// A dim symbol: `?`, an identifier, or a quoted string.
std::string formatSymbol(const std::string& symbol);
/// `f32[N,3,32,32]`.
std::string formatType(const TensorType& type);

/// Weights side file: magic, version, count, then per tensor
/// u32 dtype (0 f32, 1 i64), u32 reserved, u64 byte length, raw bytes;
/// all integers and values little-endian.
inline constexpr char kWeightsMagic[8] = {'N', 'S', 'W', 'E', 'I', 'G', 'H', 'T'};
inline constexpr uint32_t kWeightsVersion = 1;

std::string encodeWeights(const std::vector<TensorDataPtr>& tensors);

/// One tensor of a weights file, not yet matched to a type.
struct RawWeights {
  uint32_t dtype = 0;
  std::string bytes;
};
Expected<std::vector<RawWeights>> decodeWeights(std::string_view bytes, const std::string& path);

}  // namespace nutshell::ir::text
