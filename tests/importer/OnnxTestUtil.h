// Helpers for importer tests: build small ONNX models in memory, read the
// test models, count ops in an imported graph.
#pragma once

#include <onnx/onnx_pb.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/onnx/OnnxImporter.h"
#include "ir/Graph.h"

namespace nutshell::test {

inline std::string modelPath(const std::string& name) {
  return std::string(NUTSHELL_TEST_DATA_DIR) + "/models/" + name + "/model.onnx";
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline ::onnx::ModelProto loadModel(const std::string& name) {
  ::onnx::ModelProto model;
  std::string bytes = readFile(modelPath(name));
  model.ParseFromString(bytes);
  return model;
}

inline std::string serialize(const ::onnx::ModelProto& model) {
  std::string bytes;
  model.SerializeToString(&bytes);
  return bytes;
}

/// Op name -> number of nodes with that op.
inline std::map<std::string, int> opCounts(const ir::Graph& graph) {
  std::map<std::string, int> counts;
  for (const auto& node : graph.nodes()) ++counts[std::string(ir::opName(node->op))];
  return counts;
}

inline int countOp(const ir::Graph& graph, ir::OpKind op) {
  int n = 0;
  for (const auto& node : graph.nodes()) n += node->op == op;
  return n;
}

inline const ir::Node* findOp(const ir::Graph& graph, ir::OpKind op) {
  for (const auto& node : graph.nodes())
    if (node->op == op) return node.get();
  return nullptr;
}

/// A small ONNX model under construction.
class ModelBuilder {
 public:
  explicit ModelBuilder(int64_t opset = 13) {
    model.set_ir_version(7);
    model.set_producer_name("nutshell-test");
    auto* op = model.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    model.mutable_graph()->set_name("test");
  }

  ::onnx::GraphProto& graph() { return *model.mutable_graph(); }

  /// dims: numbers, or symbols given as strings through `symbols` positions.
  ModelBuilder& input(const std::string& name, std::vector<int64_t> dims, int32_t elemType = 1,
                      std::map<int, std::string> symbols = {}) {
    auto* in = graph().add_input();
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elemType);
    auto* shape = tt->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
      auto* d = shape->add_dim();
      if (symbols.count(int(i)))
        d->set_dim_param(symbols[int(i)]);
      else
        d->set_dim_value(dims[i]);
    }
    return *this;
  }

  /// A graph output of ONNX element type `elemType` (1 float, 7 int64), shape unknown.
  ModelBuilder& output(const std::string& name, int elemType = 1) {
    auto* out = graph().add_output();
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(elemType);
    return *this;
  }

  ::onnx::TensorProto& initF32(const std::string& name, std::vector<int64_t> dims,
                               std::vector<float> values) {
    auto* t = graph().add_initializer();
    fillF32(*t, name, dims, values);
    return *t;
  }
  ::onnx::TensorProto& initI64(const std::string& name, std::vector<int64_t> dims,
                               std::vector<int64_t> values) {
    auto* t = graph().add_initializer();
    fillI64(*t, name, dims, values);
    return *t;
  }

  static void fillF32(::onnx::TensorProto& t, const std::string& name, std::vector<int64_t> dims,
                      std::vector<float> values) {
    t.set_name(name);
    t.set_data_type(::onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t.add_dims(d);
    for (float v : values) t.add_float_data(v);
  }
  static void fillI64(::onnx::TensorProto& t, const std::string& name, std::vector<int64_t> dims,
                      std::vector<int64_t> values) {
    t.set_name(name);
    t.set_data_type(::onnx::TensorProto::INT64);
    for (int64_t d : dims) t.add_dims(d);
    for (int64_t v : values) t.add_int64_data(v);
  }

  ::onnx::NodeProto& node(const std::string& op, std::vector<std::string> inputs,
                          std::vector<std::string> outputs, const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? (outputs.empty() ? op : outputs[0]) : name);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return *n;
  }

  /// A Constant node holding an int64 tensor.
  ModelBuilder& constI64(const std::string& output, std::vector<int64_t> dims, std::vector<int64_t> values) {
    auto& n = node("Constant", {}, {output});
    auto* a = n.add_attribute();
    a->set_name("value");
    a->set_type(::onnx::AttributeProto::TENSOR);
    fillI64(*a->mutable_t(), output, dims, values);
    return *this;
  }

  std::string bytes() const { return serialize(model); }
  Expected<std::unique_ptr<ir::Graph>> import(const onnx::ImportOptions& options = {}) const {
    return onnx::importOnnxBytes(bytes(), options);
  }

  ::onnx::ModelProto model;
};

inline void setInt(::onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void setFloat(::onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void setString(::onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::STRING);
  a->set_s(v);
}
inline void setInts(::onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

}  // namespace nutshell::test
