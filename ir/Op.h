// OpKind and the static description of each op, generated from ops.def.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Attribute.h"

namespace nutshell::ir {

/// Op traits: sets of ops that passes ask about ("is this fusable?") instead
/// of listing ops.
namespace Trait {
inline constexpr uint32_t None = 0;
inline constexpr uint32_t Pure = 1u << 0;         // no side effects
inline constexpr uint32_t Elementwise = 1u << 1;  // out[i] depends on in[i] (broadcast)
inline constexpr uint32_t Unary = 1u << 2;
inline constexpr uint32_t Binary = 1u << 3;
inline constexpr uint32_t Activation = 1u << 4;  // fusable as a conv/dense epilogue
inline constexpr uint32_t Reduction = 1u << 5;
inline constexpr uint32_t Pool = 1u << 6;      // fusable as a conv pool epilogue
inline constexpr uint32_t ShapeOp = 1u << 7;   // shape arithmetic from ONNX import
inline constexpr uint32_t Fused = 1u << 8;     // made by the fuse pass
inline constexpr uint32_t Foldable = 1u << 9;  // fold-constants evaluates it on constant operands
}  // namespace Trait

enum class OpKind : uint16_t {
#define OP(Id, Name, MinOperands, MaxOperands, NumResults, Traits, ShapeRule) Id,
#include "ir/ops.def"
};

inline constexpr size_t kNumOps = 0
#define OP(Id, Name, MinOperands, MaxOperands, NumResults, Traits, ShapeRule) +1
#include "ir/ops.def"
    ;

/// The values an attribute may take (ATTR's range column, parsed once).
struct AttrRange {
  size_t entries = 0;  // required list length; 0: any
  bool bounded = false;
  double lo = 0.0, hi = 0.0;              // when bounded: for ints and int-list entries, or a float
  std::vector<std::string_view> choices;  // the strings allowed; empty: any
};

/// One ATTR row.
struct AttrSpec {
  std::string_view name;
  AttrKind kind;
  const char* defaultText;  // nullptr when required
  const char* rangeText;
  bool required() const { return defaultText == nullptr; }
};

/// One OP row plus its attributes.
struct OpInfo {
  OpKind kind;
  std::string_view name;
  int minOperands;
  int maxOperands;  // -1: variadic
  int numResults;
  uint32_t traits;
  std::span<const AttrSpec> attrs;

  bool has(uint32_t trait) const { return (traits & trait) == trait; }
  const AttrSpec* findAttr(std::string_view attrName) const;
  /// The name of operand `index` for messages (OPERANDS row): "w", "x2".
  std::string operandName(size_t index) const;
};

const OpInfo& opInfo(OpKind kind);
inline std::string_view opName(OpKind kind) { return opInfo(kind).name; }
std::optional<OpKind> lookupOp(std::string_view name);

/// Default value of an attribute (parsed once from the table's text).
/// Precondition: the attribute exists and is not required.
const AttrValue& defaultAttr(OpKind kind, std::string_view attrName);

/// The range of an attribute (an unchecked range when it has none).
const AttrRange& attrRange(OpKind kind, std::string_view attrName);

}  // namespace nutshell::ir
