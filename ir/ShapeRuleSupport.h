// Internal to ir/: helpers shared by the shape rules (ShapeRules.cpp,
// ShapeRulesLayout.cpp) and the declaration of one function per ShapeRule
// name in ops.def. The dispatch in ShapeRules.cpp calls infer<ShapeRule> for
// every OP row, so a new rule name without a declaration here fails to compile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir::rules {

using Types = std::vector<TensorType>;

// One function per ShapeRule name in ops.def. Preconditions (checked by
// inferResultTypes before the call): operand count within the row's range,
// no null operands, attributes of known names, right kinds and valid ranges.
Expected<Types> inferConst(const Node& node);
Expected<Types> inferSameAsFirst(const Node& node);
Expected<Types> inferConv2d(const Node& node);
Expected<Types> inferFusedConv2d(const Node& node);
Expected<Types> inferPool2d(const Node& node);
Expected<Types> inferGlobalPool(const Node& node);
Expected<Types> inferDense(const Node& node);
Expected<Types> inferMaxout(const Node& node);
Expected<Types> inferGemm(const Node& node);
Expected<Types> inferMatMul(const Node& node);
Expected<Types> inferBroadcast(const Node& node);
Expected<Types> inferReduce(const Node& node);
Expected<Types> inferArgReduce(const Node& node);
Expected<Types> inferLayerNorm(const Node& node);
Expected<Types> inferGroupNorm(const Node& node);
Expected<Types> inferReshape(const Node& node);
Expected<Types> inferFlatten(const Node& node);
Expected<Types> inferTranspose(const Node& node);
Expected<Types> inferConcat(const Node& node);
Expected<Types> inferSlice(const Node& node);
Expected<Types> inferPad(const Node& node);
Expected<Types> inferTile(const Node& node);
Expected<Types> inferExpand(const Node& node);
Expected<Types> inferDepthSpace(const Node& node);
Expected<Types> inferLstm(const Node& node);
Expected<Types> inferShape(const Node& node);
Expected<Types> inferGather(const Node& node);
Expected<Types> inferUnsqueeze(const Node& node);
Expected<Types> inferSqueeze(const Node& node);
Expected<Types> inferConstantOfShape(const Node& node);
Expected<Types> inferCast(const Node& node);
Expected<Types> inferCompare(const Node& node);
Expected<Types> inferLogical(const Node& node);
Expected<Types> inferWhere(const Node& node);

/// The symbol of a dim that cannot be known before shapes are bound.
inline constexpr std::string_view kUnknownSymbol = "?";
inline Dim unknownDim() { return Dim::symbolic(std::string(kUnknownSymbol)); }
inline bool isUnknown(const Dim& d) { return !d.isStatic() && d.symbol == kUnknownSymbol; }

/// Two dims may be equal: both static and equal, or either symbolic (a
/// symbol stands for a size only known once bound).
inline bool dimsCompatible(const Dim& a, const Dim& b) {
  return !a.isStatic() || !b.isStatic() || a.size == b.size;
}
bool typesCompatible(const TensorType& a, const TensorType& b);
std::string dimStr(const Dim& d);

/// `node '%name' (op): message (x: f32[...], w: f32[...])` naming every operand
/// by its role.
Error nodeError(const Node& node, const std::string& message);

/// a*b, false when it overflows or exceeds kMaxElements.
bool checkedMul(int64_t a, int64_t b, int64_t& out);
/// a+b, false when it overflows or exceeds kMaxElements in magnitude.
bool checkedAdd(int64_t a, int64_t b, int64_t& out);

/// ONNX axis in [-rank, rank) made non-negative, or an error naming `what`.
Expected<int64_t> normalizeAxis(const Node& node, int64_t axis, int64_t rank, std::string_view what);

/// Operand checks that produce node errors.
Status requireRank(const Node& node, size_t operand, size_t rank);
Status requireF32(const Node& node, size_t operand);
Status requireI64(const Node& node, size_t operand);

/// Values of an i64 operand when they are known without running the graph:
/// a const node, `shape` of a static-enough input, or gather/concat/
/// unsqueeze/squeeze/cast/identity of known values (ONNX shape sub-graphs).
std::optional<std::vector<int64_t>> knownValues(const Value* value, int depth = 0);

}  // namespace nutshell::ir::rules
