// ONNX comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual), logic
// (Not, And, Or, Xor), Where, CastLike and Range. Range's length depends on
// its operands' values, so it is computed at import: its operands must be
// constants (initializers, Constant outputs, folded shape computations or
// inputs bound with --bind), and the result becomes a constant.
#include <cmath>

#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"

namespace nutshell::onnx {

namespace {

using ir::OpKind;

Status importCompare(NodeView& node) {
  static const std::map<std::string, OpKind, std::less<>> kinds{{"Equal", OpKind::Equal},
                                                                {"Less", OpKind::Less},
                                                                {"Greater", OpKind::Greater},
                                                                {"LessOrEqual", OpKind::LessEqual},
                                                                {"GreaterOrEqual", OpKind::GreaterEqual}};
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  if (node.opset() < 7) return node.unsupported(node.opType() + " before opset 7 (legacy broadcasting)");
  NUTSHELL_ASSIGN(ir::Value * a, node.input(0));
  NUTSHELL_ASSIGN(ir::Value * b, node.input(1));
  return node.emit(kinds.at(node.opType()), {a, b});
}

Status importLogical(NodeView& node) {
  static const std::map<std::string, OpKind, std::less<>> kinds{
      {"Not", OpKind::Not}, {"And", OpKind::And}, {"Or", OpKind::Or}, {"Xor", OpKind::Xor}};
  const bool unary = node.opType() == "Not";
  NUTSHELL_TRY(node.expectInputs(unary ? 1 : 2, unary ? 1 : 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  if (!unary && node.opset() < 7)
    return node.unsupported(node.opType() + " before opset 7 (legacy broadcasting)");
  std::vector<ir::Value*> operands;
  for (int i = 0; i < (unary ? 1 : 2); ++i) {
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    operands.push_back(v);
  }
  return node.emit(kinds.at(node.opType()), operands);
}

Status importWhere(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(3, 3));
  NUTSHELL_TRY(node.expectOutputs(1));
  std::vector<ir::Value*> operands;
  for (int i = 0; i < 3; ++i) {
    NUTSHELL_ASSIGN(ir::Value * v, node.input(i));
    operands.push_back(v);
  }
  return node.emit(OpKind::Where, operands);
}

/// CastLike(x, like): Cast to like's element type (like's values are unused).
Status importCastLike(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(2, 2));
  NUTSHELL_TRY(node.expectOutputs(1));
  NUTSHELL_ASSIGN(ir::Value * x, node.input(0));
  const ir::TensorType* like = node.ctx.typeOf(node.inputName(1));
  if (!like) return node.error(fmt::format("input '{}' is not defined", node.inputName(1)));
  return node.emit(OpKind::Cast, {x}, {{"to", std::string(ir::dtypeName(like->dtype))}});
}

/// Range(start, limit, delta): max(ceil((limit - start) / delta), 0) values
/// start + i*delta, in the operands' type (ONNX's formula).
Status importRange(NodeView& node) {
  NUTSHELL_TRY(node.expectInputs(3, 3));
  NUTSHELL_TRY(node.expectOutputs(1));
  static const char* kRoles[] = {"start", "limit", "delta"};
  ir::TensorDataPtr operands[3];
  for (int i = 0; i < 3; ++i) {
    NUTSHELL_ASSIGN(operands[i], node.constantInput(i, std::string("Range ") + kRoles[i]));
    if (operands[i]->numElements() != 1)
      return node.error(fmt::format("{} must be a scalar, got {}", kRoles[i], operands[i]->type.str()));
    if (operands[i]->type.dtype != operands[0]->type.dtype)
      return node.error(fmt::format("start, limit and delta must share one type, got {} and {}",
                                    operands[0]->type.str(), operands[i]->type.str()));
  }
  const ir::DType dtype = operands[0]->type.dtype;
  if (dtype == ir::DType::Bool) return node.error("Range of bool values");
  auto data = std::make_shared<ir::TensorData>();
  if (ir::isFloatType(dtype)) {
    const double start = operands[0]->at(0), limit = operands[1]->at(0), delta = operands[2]->at(0);
    if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
      return node.error(
          fmt::format("start {}, limit {} and delta {} give no finite range", start, limit, delta));
    const double length = std::max(std::ceil((limit - start) / delta), 0.0);
    if (length > double(ir::kMaxElements))
      return node.error(fmt::format("range of {} values is too long", length));
    // f32 accumulates like ONNX's reference (start + i*delta in the type).
    for (int64_t i = 0; i < int64_t(length); ++i) data->f32.push_back(float(start + double(i) * delta));
  } else {
    const int64_t start = operands[0]->i64[0], limit = operands[1]->i64[0], delta = operands[2]->i64[0];
    if (delta == 0) return node.error("delta is 0");
    const double length = std::max(std::ceil((double(limit) - double(start)) / double(delta)), 0.0);
    if (length > double(ir::kMaxElements))
      return node.error(fmt::format("range of {} values is too long", length));
    for (int64_t i = 0; i < int64_t(length); ++i) data->i64.push_back(start + i * delta);
  }
  const int64_t count = int64_t(ir::isFloatType(dtype) ? data->f32.size() : data->i64.size());
  data->type = ir::TensorType(dtype, {ir::Dim(count)});
  node.ctx.defineConstant(node.proto.output(0), std::move(data));
  return Status::success();
}

}  // namespace

void addLogicConverters(ConverterTable& table) {
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"})
    table[op] = importCompare;
  for (const char* op : {"Not", "And", "Or", "Xor"}) table[op] = importLogical;
  table["Where"] = importWhere;
  table["CastLike"] = importCastLike;
  table["Range"] = importRange;
}

}  // namespace nutshell::onnx
