// Private to the ONNX importer: the state the op converters share, a view of
// the ONNX node being converted, and the converter table.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::onnx {

/// Oldest and newest default-domain opsets the importer understands. Opsets
/// 1-6 are accepted for the ops whose meaning did not change at opset 7; the
/// converters reject the legacy forms that did (see docs/onnx.md).
inline constexpr int64_t kMinOpset = 1;
inline constexpr int64_t kMaxOpset = 18;

/// Converts one ONNX TensorProto (initializer, Constant value, attribute) into
/// constant data. f32 and i64 are kept; int32 widens to i64; anything else is
/// an error naming `what`. External data is read relative to `baseDir`.
Expected<ir::TensorDataPtr> convertTensor(const ::onnx::TensorProto& tensor, const std::string& what,
                                          const std::string& baseDir);

/// The IR dtype of an ONNX element type, if nutshell has one.
std::optional<ir::DType> convertElementType(int32_t onnxType);
/// "float16", "string", ... for error messages.
std::string onnxTypeName(int32_t onnxType);

/// Import-wide state: the graph under construction and the ONNX name -> value
/// table. Constants (initializers, Constant outputs) are materialised as
/// `const` nodes only when first used, so a converter that consumes a constant
/// itself (Gemm transposing its weight, axes inputs) leaves no dead consts.
///
/// A value computed from constants and static shapes (the Shape -> Gather ->
/// Add -> Div -> Mul chain torch's `chunk` exports for Slice ends) is folded
/// on demand, when a converter asks for its constant payload: `shape` of a
/// static dim range and `gather` of static dims out of a `shape` are read off
/// the types, Foldable ops are evaluated with the reference kernels (the
/// evaluator fold-constants uses). The chain's nodes are erased at the end of
/// the import when nothing else uses them (eraseFoldedChains).
class ImportContext {
 public:
  ImportContext(ir::Graph& graph, int64_t opset, std::string baseDir)
      : graph(graph), opset(opset), baseDir(std::move(baseDir)) {}

  ir::Graph& graph;
  const int64_t opset;
  const std::string baseDir;

  bool isDefined(const std::string& name) const { return values_.count(name) || constants_.count(name); }
  void defineValue(const std::string& name, ir::Value* value) { values_[name] = value; }
  void defineConstant(const std::string& name, ir::TensorDataPtr data) { constants_[name] = std::move(data); }

  /// The IR value of an ONNX tensor (materialising a pending constant), or
  /// null when the name is unknown.
  ir::Value* value(const std::string& name);
  /// Constant payload of an ONNX tensor when it is known at import time
  /// (initializer, Constant output, a value produced by a `const` node, or one
  /// computed from those and static shapes: see foldValue).
  ir::TensorDataPtr constantOf(const std::string& name);
  /// The value of `value` when it can be computed at import time, else null.
  ir::TensorDataPtr foldValue(const ir::Value* value, int depth = 0);
  /// Erase the nodes of folded computations that nothing uses any more.
  void eraseFoldedChains();
  /// Type of an ONNX tensor without materialising it (null when unknown).
  const ir::TensorType* typeOf(const std::string& name) const;

 private:
  std::unordered_map<std::string, ir::Value*> values_;
  std::unordered_map<std::string, ir::TensorDataPtr> constants_;
  /// foldValue's results (null: cannot fold), by value.
  std::unordered_map<const ir::Value*, ir::TensorDataPtr> folded_;
};

/// A value upstream of `value` whose shape a `shape` node reads but which is
/// not static (why a shape computation did not fold), or null.
const ir::Value* nonStaticShapeSource(const ir::Value* value);

/// The ONNX node being converted, with typed attribute access and helpers
/// that emit IR nodes. Every error it makes names the node and its op type.
class NodeView {
 public:
  NodeView(const ::onnx::NodeProto& proto, ImportContext& ctx);

  const ::onnx::NodeProto& proto;
  ImportContext& ctx;

  const std::string& opType() const { return proto.op_type(); }
  int64_t opset() const { return ctx.opset; }
  /// "node 'conv1' (Conv)": the node's name, or its first output's name.
  const std::string& label() const { return label_; }

  Error error(const std::string& message) const { return makeError(label_ + ": " + message); }
  /// An input or attribute combination nutshell does not support.
  Error unsupported(const std::string& reason) const {
    return makeUnsupported(label_ + ": unsupported: " + reason);
  }

  // ---- inputs ----
  /// Optional inputs may be absent or given as "".
  bool hasInput(int i) const { return i < proto.input_size() && !proto.input(i).empty(); }
  const std::string& inputName(int i) const { return proto.input(i); }
  /// The IR value of input i (an error if absent).
  Expected<ir::Value*> input(int i) const;
  /// The constant payload of input i; an error explaining that `what` must be a
  /// constant (initializer or Constant output) when it is computed.
  Expected<ir::TensorDataPtr> constantInput(int i, const std::string& what) const;
  /// Constant input i as integers (i64, or f32 holding integers).
  Expected<std::vector<int64_t>> constantInts(int i, const std::string& what) const;
  /// Constant scalar (or 1-element) input i as a float.
  Expected<double> constantScalar(int i, const std::string& what) const;
  Status expectInputs(int minCount, int maxCount) const;
  /// Every attribute named once, with a name, and holding exactly the field
  /// its `type` says (an INT attribute with only `f` set is an error, not 0).
  Status checkAttributes() const;

  // ---- attributes (absent -> the default; present with another type -> error) ----
  const ::onnx::AttributeProto* findAttr(std::string_view name) const;
  bool hasAttr(std::string_view name) const { return findAttr(name) != nullptr; }
  Expected<int64_t> intAttr(std::string_view name, int64_t fallback) const;
  Expected<double> floatAttr(std::string_view name, double fallback) const;
  Expected<std::string> stringAttr(std::string_view name, const std::string& fallback) const;
  Expected<std::vector<int64_t>> intsAttr(std::string_view name, std::vector<int64_t> fallback = {}) const;
  Expected<std::vector<double>> floatsAttr(std::string_view name) const;
  Expected<std::vector<std::string>> stringsAttr(std::string_view name) const;
  Expected<ir::TensorDataPtr> tensorAttr(std::string_view name) const;

  // ---- emitting IR ----
  /// Add an IR node computing its result types with the op's shape rule.
  /// `names` are base names for the results (made unique); empty: fresh names.
  Expected<ir::Node*> add(ir::OpKind op, std::vector<ir::Value*> operands, ir::AttrMap attrs = {},
                          std::vector<std::string> names = {}) const;
  /// Add the node that produces this ONNX node's outputs: its results take the
  /// ONNX output names, and those names now refer to them.
  Status emit(ir::OpKind op, std::vector<ir::Value*> operands, ir::AttrMap attrs = {}) const;
  /// Make ONNX output i refer to an existing value.
  void bindOutput(int i, ir::Value* value) const;
  /// Base name for an internal (helper) value of this node.
  std::string helperName(const std::string& suffix) const;
  /// Fail when outputs past the first `count` are requested (non-empty names).
  Status expectOutputs(int count) const;

  /// Axis in [0, rank) from an ONNX axis in [-rank, rank).
  Expected<int64_t> normalizeAxis(int64_t axis, size_t rank, const std::string& what) const;

 private:
  std::string label_;
};

/// Converts one ONNX node. Returns an error naming the node on failure.
using Converter = Status (*)(NodeView& node);
using ConverterTable = std::map<std::string, Converter, std::less<>>;

// Each op family registers its converters (one file per family).
void addConvPoolConverters(ConverterTable& table);
void addMathConverters(ConverterTable& table);
void addNormConverters(ConverterTable& table);
void addShapeConverters(ConverterTable& table);
void addRecurrentConverters(ConverterTable& table);
void addResizeConverters(ConverterTable& table);
void addUnrolledRecurrentConverters(ConverterTable& table);

/// 3-D Conv and MaxPool/AveragePool (rank-5 input), lowered onto the 2-D
/// window ops (Window3dImport.cpp); called by the Conv and pool converters.
Status importConv3d(NodeView& node);
Status importPool3d(NodeView& node, bool isMax);
void addLogicConverters(ConverterTable& table);

/// The table of every supported ONNX op type (default domain).
const ConverterTable& converterTable();

}  // namespace nutshell::onnx
