// The graph IR: Values (SSA tensors), Nodes (op applications) and the Graph
// that owns them, kept in topological order.
#pragma once

#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

#include "ir/Attribute.h"
#include "ir/Op.h"
#include "ir/TensorData.h"
#include "ir/Types.h"

namespace nutshell::ir {

class Node;

/// An SSA value: a graph input or one result of a node.
class Value {
public:
  TensorType type;
  /// Unique within the graph; the printer writes it as %name. Names come from
  /// the builder or the ONNX file; Graph::uniqueName() makes new ones.
  std::string name;
  Node* producer = nullptr;  // null for graph inputs
  int resultIndex = 0;
  /// Byte offset in the activation arena, set by plan-memory (-1: not
  /// planned; graph inputs, outputs and constants live outside the arena).
  /// Printed after the type as `@arena+OFFSET`.
  int64_t arenaOffset = -1;
};

/// One op application.
class Node {
public:
  OpKind op;
  std::vector<Value*> operands;
  std::vector<Value*> results;
  AttrMap attrs;          // explicitly set attributes; defaults come from ops.def
  TensorDataPtr constant;  // payload of `const` nodes

  const OpInfo& info() const { return opInfo(op); }
  /// Nodes are named after their first result (used in errors and in
  /// per-node overrides such as --conv-algo=NAME=fft).
  const std::string& name() const { return results.front()->name; }
  /// "node '%conv1' (conv2d)": how errors name a node ('%?' without results).
  std::string describe() const;
  Value* result(int i = 0) const { return results[i]; }

  bool hasAttr(const std::string& attrName) const { return attrs.count(attrName) != 0; }
  /// Explicit value or the table's default. Precondition: the attribute is in
  /// this op's table rows with the matching kind (the verifier checks nodes).
  const AttrValue& attr(const std::string& attrName) const;
  int64_t getInt(const std::string& attrName) const;
  double getFloat(const std::string& attrName) const;
  const std::string& getString(const std::string& attrName) const;
  const std::vector<int64_t>& getInts(const std::string& attrName) const;
  const std::vector<double>& getFloats(const std::string& attrName) const;
  const std::vector<std::string>& getStrings(const std::string& attrName) const;
  void setAttr(const std::string& attrName, AttrValue value) { attrs[attrName] = std::move(value); }
};

/// A function-like graph: inputs, nodes in topological order, outputs.
class Graph {
public:
  std::string name = "main";
  std::vector<Value*> inputs;
  std::vector<Value*> outputs;
  /// Peak arena size in bytes, set by plan-memory (-1: not planned). Printed in
  /// the graph header as `arena N`.
  int64_t arenaBytes = -1;

  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }

  Value* addInput(const std::string& valueName, TensorType type);
  /// Append a node. Result names default to fresh unique names.
  Node* addNode(OpKind op, std::vector<Value*> operands, std::vector<TensorType> resultTypes,
                AttrMap attrs = {}, std::vector<std::string> resultNames = {});
  /// Same, inserted just before `position` (which must be in the graph).
  Node* insertNodeBefore(Node* position, OpKind op, std::vector<Value*> operands,
                         std::vector<TensorType> resultTypes, AttrMap attrs = {},
                         std::vector<std::string> resultNames = {});
  /// Append a const node holding `data`; returns its result.
  Value* addConstant(TensorDataPtr data, const std::string& valueName = "");
  Value* insertConstantBefore(Node* position, TensorDataPtr data, const std::string& valueName = "");

  /// Every use of `from` (operands and graph outputs) now uses `to`.
  void replaceAllUsesWith(Value* from, Value* to);
  /// Remove a node; its results must be unused.
  void eraseNode(Node* node);
  /// Nodes that use `value` as an operand (a node appears once per use).
  std::vector<Node*> users(const Value* value) const;
  /// Number of uses, graph outputs included.
  size_t useCount(const Value* value) const;
  bool isOutput(const Value* value) const;

  /// Re-establish topological order after rewrites that moved operands
  /// (stable: keeps the current order where it is already valid).
  /// Fails when there is a cycle.
  Status sortTopologically();

  /// A name not yet used by any value, derived from `base` ("t" if empty).
  std::string uniqueName(const std::string& base = "");

  /// Deep copy (constants are shared: they are immutable).
  std::unique_ptr<Graph> clone() const;

  /// Rebuild the name table after renaming values directly.
  void reindexNames();

private:
  Node* makeNode(OpKind op, std::vector<Value*> operands, std::vector<TensorType> resultTypes,
                 AttrMap attrs, std::vector<std::string> resultNames);

  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::unordered_map<std::string, int> nameCounters_;
  std::unordered_set<std::string> usedNames_;
};

}  // namespace nutshell::ir
