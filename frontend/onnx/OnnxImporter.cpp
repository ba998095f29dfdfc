// ONNX ModelProto -> ir::Graph.
//
// Steps: parse and sanity-check the model; find the default-domain opset;
// list every unsupported op; convert initializers (kept pending until used);
// create graph inputs (binding ImportOptions::inputShapes up front so shape
// rules see static sizes); order the nodes topologically (naming unknown
// inputs and cycles); convert each node with its converter, listing the nodes
// it declines and going on, so one error names every problem; erase the shape
// computations that folded (ImportContext::foldValue); connect the graph
// outputs; verify.
#include "frontend/onnx/OnnxImporter.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "frontend/onnx/ImportContext.h"
#include "ir/ShapeInference.h"
#include "ir/Verifier.h"
#include "nutshell/FileRead.h"

namespace nutshell::onnx {

namespace {

using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;

/// Name used for a node in messages: its name, else its first output.
std::string nodeName(const NodeProto& node) {
  if (!node.name().empty()) return node.name();
  for (const auto& out : node.output())
    if (!out.empty()) return out;
  return "<unnamed " + node.op_type() + ">";
}

bool isDefaultDomain(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx";
}

Expected<int64_t> defaultOpset(const ModelProto& model) {
  for (const auto& entry : model.opset_import())
    if (isDefaultDomain(entry.domain())) {
      int64_t v = entry.version();
      if (v < kMinOpset || v > kMaxOpset)
        return makeUnsupported(fmt::format("ONNX opset {} is not supported: nutshell imports opsets {} to {}",
                                           v, kMinOpset, kMaxOpset));
      return v;
    }
  return makeError("not a valid ONNX model: it imports no default-domain (ai.onnx) opset");
}

int64_t domainOpset(const ModelProto& model, const std::string& domain) {
  for (const auto& entry : model.opset_import())
    if (entry.domain() == domain || (isDefaultDomain(domain) && isDefaultDomain(entry.domain())))
      return entry.version();
  return 0;
}

/// Every node whose op nutshell cannot import, grouped by op, in one message:
/// `unsupported ONNX ops (3 nodes): Foo (opset 13) x2: nodes 'a', 'b'; Bar (opset 13) x1: node 'c'`.
/// Success when there is none.
Status checkSupportedOps(const ModelProto& model) {
  const ConverterTable& table = converterTable();
  std::vector<std::string> order;  // op keys in order of first appearance
  std::map<std::string, std::vector<std::string>> nodesByOp;
  int count = 0;
  for (const NodeProto& node : model.graph().node()) {
    bool known = isDefaultDomain(node.domain()) && table.count(node.op_type());
    if (known) continue;
    std::string op = isDefaultDomain(node.domain()) ? node.op_type() : node.domain() + "." + node.op_type();
    std::string key = fmt::format("{} (opset {})", op, domainOpset(model, node.domain()));
    if (!nodesByOp.count(key)) order.push_back(key);
    nodesByOp[key].push_back(nodeName(node));
    ++count;
  }
  if (count == 0) return Status::success();
  std::string message = fmt::format("unsupported ONNX ops ({} node{}): ", count, count == 1 ? "" : "s");
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& names = nodesByOp[order[i]];
    message +=
        fmt::format("{}{} x{}: node{} ", i ? "; " : "", order[i], names.size(), names.size() == 1 ? "" : "s");
    for (size_t j = 0; j < names.size(); ++j) message += fmt::format("{}'{}'", j ? ", " : "", names[j]);
  }
  return makeUnsupported(message);
}

/// Graph input type from its ONNX declaration, or from a shape the user bound.
Expected<ir::TensorType> inputType(const ::onnx::ValueInfoProto& info, const ImportOptions& options) {
  const std::string& name = info.name();
  if (!info.type().has_tensor_type())
    return makeUnsupported(fmt::format(
        "graph input '{}' is not a tensor (sequence, map and optional inputs are not supported)", name));
  const auto& tt = info.type().tensor_type();
  auto dtype = convertElementType(tt.elem_type());
  if (!dtype)
    return makeUnsupported(fmt::format(
        "graph input '{}' has element type {}; nutshell supports float, double, int64, int32, int8, "
        "uint8 and bool",
        name, onnxTypeName(tt.elem_type())));
  auto bound = options.inputShapes.find(name);
  if (!tt.has_shape() && bound == options.inputShapes.end())
    return makeError(
        fmt::format("graph input '{}' has no shape; bind one with --input-shape {}=DxDx...", name, name));

  std::vector<ir::Dim> dims;
  for (int i = 0; tt.has_shape() && i < tt.shape().dim_size(); ++i) {
    const auto& d = tt.shape().dim(i);
    if (d.has_dim_value()) {
      if (d.dim_value() < 0 || d.dim_value() > ir::kMaxElements)
        return makeError(fmt::format("graph input '{}': dim {} has invalid size {}", name, i, d.dim_value()));
      dims.emplace_back(d.dim_value());
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      dims.push_back(ir::Dim::symbolic(d.dim_param()));
    } else {
      // Unnamed unknown dim: give it a symbol tied to the input and position.
      dims.push_back(ir::Dim::symbolic(fmt::format("{}_d{}", name, i)));
    }
  }
  if (bound != options.inputShapes.end()) {
    const auto& shape = bound->second;
    if (tt.has_shape() && shape.size() != dims.size())
      return makeError(fmt::format("--input-shape for '{}' has rank {}, the model declares rank {}", name,
                                   shape.size(), dims.size()));
    std::vector<ir::Dim> boundDims;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] < 0 || shape[i] > ir::kMaxElements)
        return makeError(
            fmt::format("--input-shape for '{}': dim {} has invalid size {}", name, i, shape[i]));
      if (i < dims.size() && dims[i].isStatic() && dims[i].size != shape[i])
        return makeError(fmt::format("--input-shape for '{}': dim {} is {} but the model fixes it to {}",
                                     name, i, shape[i], dims[i].size));
      boundDims.emplace_back(shape[i]);
    }
    dims = std::move(boundDims);
  }
  ir::TensorType type(*dtype, std::move(dims));
  if (type.isStatic() && type.numElements() < 0)
    return makeError(fmt::format("graph input '{}' has too many elements: {}", name, type.str()));
  return type;
}

/// A graph output's declared type, where it gives one, must be what the graph
/// computes: a model that says [1,10] and produces [1,12] is corrupt, and its
/// users would read past their buffers. Symbolic declared dims match any size;
/// int32 declarations match nutshell's i64 (integers are widened on import).
Status checkDeclaredOutput(const ::onnx::ValueInfoProto& info, const ir::Value& value) {
  if (!info.has_type() || !info.type().has_tensor_type()) return Status::success();
  const auto& tt = info.type().tensor_type();
  auto declared = [&] {
    std::string s = onnxTypeName(tt.elem_type()) + "[";
    for (int i = 0; tt.has_shape() && i < tt.shape().dim_size(); ++i) {
      const auto& d = tt.shape().dim(i);
      s += (i ? "," : "") + (d.has_dim_value()       ? std::to_string(d.dim_value())
                             : d.dim_param().empty() ? "?"
                                                     : d.dim_param());
    }
    return s + (tt.has_shape() ? "]" : "?]");
  };
  auto mismatch = [&](const std::string& what) {
    return makeError(fmt::format("graph output '{}' is declared {} but the graph computes {} ({})",
                                 info.name(), declared(), value.type.str(), what));
  };
  const int32_t elem = tt.elem_type();
  const std::optional<ir::DType> declaredType = convertElementType(elem);
  if (declaredType && *declaredType != value.type.dtype) return mismatch("element type");
  if (!tt.has_shape()) return Status::success();
  if (tt.shape().dim_size() != int(value.type.rank())) return mismatch("rank");
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto& d = tt.shape().dim(i);
    const ir::Dim& computed = value.type.dims[size_t(i)];
    if (d.has_dim_value() && computed.isStatic() && d.dim_value() != computed.size)
      return mismatch(fmt::format("dim {}", i));
  }
  return Status::success();
}

/// A value given for a graph input must agree with its declaration.
Status checkConstantInput(const ::onnx::ValueInfoProto& info, const ir::TensorDataPtr& data) {
  const std::string& name = info.name();
  if (!data || data->elided) return makeError(fmt::format("constant input '{}' has no values", name));
  if (!info.type().has_tensor_type()) return makeError(fmt::format("graph input '{}' is not a tensor", name));
  const auto& tt = info.type().tensor_type();
  auto dtype = convertElementType(tt.elem_type());
  if (!dtype || *dtype != data->type.dtype)
    return makeError(fmt::format("constant input '{}' is {}, the model declares {}", name, data->type.str(),
                                 onnxTypeName(tt.elem_type())));
  const int64_t count = data->type.numElements();
  const size_t stored = data->storedCount();
  if (count < 0 || size_t(count) != stored)
    return makeError(
        fmt::format("constant input '{}' of type {} holds {} values", name, data->type.str(), stored));
  if (tt.has_shape() && size_t(tt.shape().dim_size()) != data->type.rank())
    return makeError(fmt::format("constant input '{}' is {}, the model declares rank {}", name,
                                 data->type.str(), tt.shape().dim_size()));
  return Status::success();
}

/// Node indices in an order where every input is defined first (ONNX graphs
/// should already be sorted, but not all exporters comply). Names the first
/// undefined input, a tensor produced twice, or the nodes on a cycle.
Expected<std::vector<int>> orderNodes(const GraphProto& graph,
                                      const std::unordered_set<std::string>& available) {
  const int n = graph.node_size();
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n; ++i)
    for (const auto& out : graph.node(i).output()) {
      if (out.empty()) continue;
      if (available.count(out))
        return makeError(
            fmt::format("node '{}' ({}) redefines tensor '{}', which is a graph input or initializer",
                        nodeName(graph.node(i)), graph.node(i).op_type(), out));
      auto [it, inserted] = producer.emplace(out, i);
      if (!inserted)
        return makeError(fmt::format("tensor '{}' is produced by two nodes: '{}' ({}) and '{}' ({})", out,
                                     nodeName(graph.node(it->second)), graph.node(it->second).op_type(),
                                     nodeName(graph.node(i)), graph.node(i).op_type()));
    }
  std::vector<int> pending(size_t(n), 0);
  std::vector<std::vector<int>> dependents(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    for (const auto& in : graph.node(i).input()) {
      if (in.empty() || available.count(in)) continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return makeError(
            fmt::format("node '{}' ({}) uses tensor '{}', which is not a graph input, an initializer "
                        "or the output of any node",
                        nodeName(graph.node(i)), graph.node(i).op_type(), in));
      ++pending[size_t(i)];
      dependents[size_t(it->second)].push_back(i);
    }
  // Kahn's algorithm, taking the smallest ready index so sorted files keep their order.
  std::set<int> ready;
  for (int i = 0; i < n; ++i)
    if (pending[size_t(i)] == 0) ready.insert(i);
  std::vector<int> order;
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (int d : dependents[size_t(i)])
      if (--pending[size_t(d)] == 0) ready.insert(d);
  }
  if (int(order.size()) != n) {
    std::string names;
    int listed = 0;
    for (int i = 0; i < n && listed < 8; ++i)
      if (pending[size_t(i)] > 0)
        names += fmt::format("{}'{}'", listed++ ? ", " : "", nodeName(graph.node(i)));
    return makeError("graph has a cycle: these nodes wait on each other: " + names);
  }
  return order;
}

/// The problems that stop an import, gathered over the whole graph so that
/// one error names them all: the unsupported ops (one item, grouped by op),
/// then each node a converter declined (a computed operand that must be a
/// constant, an unsupported attribute value), in graph order.
class ImportProblems {
public:
  void add(const Error& error) {
    items_.push_back(error.message);
    invalid_ = invalid_ || error.kind == ErrorKind::Invalid;
  }
  bool empty() const { return items_.empty(); }
  /// One item as it is; several as `N problems: (1) ...; (2) ...`. Unsupported
  /// unless only broken-model errors were found.
  Error error(bool hasUnsupportedOps) const {
    ErrorKind kind = hasUnsupportedOps || !invalid_ ? ErrorKind::Unsupported : ErrorKind::Invalid;
    if (items_.size() == 1) return Error{items_[0], kind};
    std::string message = fmt::format("{} problems:", items_.size());
    for (size_t i = 0; i < items_.size(); ++i)
      message += fmt::format("{} ({}) {}", i ? ";" : "", i + 1, items_[i]);
    return Error{message, kind};
  }

private:
  std::vector<std::string> items_;
  bool invalid_ = false;
};

/// The import after the unsupported ops are listed in `problems`: an error
/// for a broken model, null when a node was declined (listed in `problems`),
/// else the graph.
Expected<std::unique_ptr<ir::Graph>> convertModel(const ModelProto& model, const ImportOptions& options,
                                                  const std::string& baseDir, ImportProblems& problems) {
  NUTSHELL_ASSIGN(int64_t opset, defaultOpset(model));
  const GraphProto& g = model.graph();

  auto graph = std::make_unique<ir::Graph>();
  graph->name = g.name().empty() ? "main" : g.name();
  ImportContext ctx(*graph, opset, baseDir);

  // Initializers become pending constants, made into `const` nodes on first use.
  std::unordered_set<std::string> available;
  for (const auto& init : g.initializer()) {
    if (init.name().empty()) return makeError("an initializer has no name");
    if (available.count(init.name()))
      return makeError(fmt::format("initializer '{}' is defined twice", init.name()));
    NUTSHELL_ASSIGN(ir::TensorDataPtr data,
                    convertTensor(init, fmt::format("initializer '{}'", init.name()), baseDir));
    ctx.defineConstant(init.name(), std::move(data));
    available.insert(init.name());
  }
  if (g.sparse_initializer_size() > 0) return makeUnsupported("sparse initializers are not supported");

  // Graph inputs: graph.input minus the initializers (older exporters list both).
  const std::unordered_set<std::string> initializerNames = available;
  std::set<std::string> inputNames;
  for (const auto& info : g.input()) {
    if (initializerNames.count(info.name())) continue;
    if (info.name().empty()) return makeError("a graph input has no name");
    if (!inputNames.insert(info.name()).second)
      return makeError(fmt::format("graph input '{}' is declared twice", info.name()));
    available.insert(info.name());
    auto known = options.constantInputs.find(info.name());
    if (known != options.constantInputs.end()) {
      NUTSHELL_TRY(checkConstantInput(info, known->second));
      ctx.defineConstant(info.name(), known->second);
      continue;
    }
    NUTSHELL_ASSIGN(ir::TensorType type, inputType(info, options));
    ctx.defineValue(info.name(), graph->addInput(info.name(), std::move(type)));
  }
  auto requireInput = [&](const std::string& name, const char* what) -> Status {
    if (inputNames.count(name)) return Status::success();
    std::string known;
    for (const auto& in : inputNames) known += (known.empty() ? "" : ", ") + in;
    return makeError(
        fmt::format("{} names '{}', which is not a graph input (inputs: {})", what, name, known));
  };
  for (const auto& entry : options.inputShapes) NUTSHELL_TRY(requireInput(entry.first, "--input-shape"));
  for (const auto& entry : options.constantInputs)
    NUTSHELL_TRY(requireInput(entry.first, "a constant input"));

  NUTSHELL_ASSIGN(std::vector<int> order, orderNodes(g, available));
  // A node that cannot be converted is listed and the import goes on, so one
  // error names every problem. What depends on such a node is skipped: its
  // inputs do not exist, and the failure is not its own.
  const ConverterTable& table = converterTable();
  std::unordered_set<std::string> unavailable;
  for (int index : order) {
    const NodeProto& proto = g.node(index);
    NodeView node(proto, ctx);
    bool hasOutput = false;
    for (const auto& out : proto.output()) hasOutput |= !out.empty();
    bool skip = !isDefaultDomain(proto.domain()) || !table.count(proto.op_type());  // listed above
    for (const auto& in : proto.input()) skip = skip || unavailable.count(in);
    Status converted = Status::success();
    if (!skip) {
      converted = !hasOutput ? Status(node.error("has no outputs")) : node.checkAttributes();
      if (converted) converted = table.find(proto.op_type())->second(node);
    }
    if (skip || !converted)
      for (const auto& out : proto.output()) unavailable.insert(out);
    if (converted) continue;
    // A broken model stops the import: later errors may only be its echoes.
    if (converted.error().kind != ErrorKind::Unsupported) return converted.error();
    problems.add(converted.error());
  }
  if (!problems.empty()) return std::unique_ptr<ir::Graph>();

  if (g.output_size() == 0) return makeError("the ONNX graph has no outputs");
  for (const auto& out : g.output()) {
    ir::Value* v = ctx.value(out.name());
    if (!v) return makeError(fmt::format("graph output '{}' is not produced by any node", out.name()));
    graph->outputs.push_back(v);
  }
  ctx.eraseFoldedChains();  // after the outputs are known: an output is a use

  // Nodes were created with the bound input shapes, so types are already
  // concrete; re-running inference over the whole graph keeps the importer in
  // step with the shape rules when a binding was requested.
  if (!options.inputShapes.empty()) {
    Status inferred = ir::inferShapes(*graph);
    if (!inferred)
      return makeError("shape inference after binding input shapes failed: " + inferred.message());
  }
  for (int i = 0; i < g.output_size(); ++i)
    NUTSHELL_TRY(checkDeclaredOutput(g.output(i), *graph->outputs[size_t(i)]));
  Status verified = ir::verifyGraph(*graph);
  if (!verified) return makeError("imported graph is invalid: " + verified.message());
  return graph;
}

Expected<std::unique_ptr<ir::Graph>> importModel(const ModelProto& model, const ImportOptions& options,
                                                 const std::string& baseDir) {
  if (!model.has_graph()) return makeError("not a valid ONNX model: it has no graph");
  if (model.ir_version() <= 0) return makeError("not a valid ONNX model: ir_version is missing");
  ImportProblems problems;
  Status supported = checkSupportedOps(model);
  if (!supported) problems.add(supported.error());
  auto graph = convertModel(model, options, baseDir, problems);
  if (graph && *graph) return graph;
  // A broken model's error comes after what was found before it.
  if (!graph) {
    if (problems.empty()) return graph.error();
    problems.add(graph.error());
  }
  return problems.error(!supported);
}

}  // namespace

const ConverterTable& converterTable() {
  static const ConverterTable table = [] {
    ConverterTable t;
    addConvPoolConverters(t);
    addMathConverters(t);
    addNormConverters(t);
    addShapeConverters(t);
    addRecurrentConverters(t);
    addResizeConverters(t);
    addUnrolledRecurrentConverters(t);
    addLogicConverters(t);
    return t;
  }();
  return table;
}

Expected<std::unique_ptr<ir::Graph>> importOnnxBytes(const std::string& bytes, const ImportOptions& options,
                                                     const std::string& baseDir) {
  if (bytes.empty()) return makeError("not a valid ONNX model: the file is empty");
  // protobuf takes an int size; larger models must keep weights as external data.
  if (bytes.size() > size_t(INT_MAX))
    return makeError("not a valid ONNX model: larger than 2 GiB (store weights as external data)");
  ModelProto model;
  if (!model.ParseFromArray(bytes.data(), int(bytes.size())))
    return makeError(
        fmt::format("not a valid ONNX model: protobuf parsing failed ({} bytes; truncated or corrupt file)",
                    bytes.size()));
  return importModel(model, options, baseDir);
}

Expected<std::unique_ptr<ir::Graph>> importOnnxFile(const std::string& path, const ImportOptions& options) {
  // protobuf parses at most 2 GiB; bigger models keep weights as external data.
  NUTSHELL_ASSIGN(std::string bytes,
                  readRegularFile(path, "ONNX file", std::min<uint64_t>(INT_MAX, memoryLimit())));

  std::filesystem::path p(path);
  std::string baseDir = p.has_parent_path() ? p.parent_path().string() : ".";
  auto graph = importOnnxBytes(bytes, options, baseDir);
  if (!graph) return prefixError(path + ": ", graph.error());
  // Exporters name graphs generically ("torch_jit", "main_graph"): name the
  // graph after the file, or after its folder for the model-zoo layout NAME/model.onnx.
  std::string stem = p.stem().string();
  std::string folder = p.has_parent_path() ? p.parent_path().filename().string() : "";
  if (stem == "model" && !folder.empty() && folder != "." && folder != "..") stem = folder;
  if (!stem.empty()) (*graph)->name = stem;
  return graph;
}

Expected<std::vector<std::string>> declaredInputNames(const std::string& path) {
  NUTSHELL_ASSIGN(std::string bytes,
                  readRegularFile(path, "ONNX file", std::min<uint64_t>(INT_MAX, memoryLimit())));
  ::onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return makeError(path + ": not a valid ONNX model");
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  std::vector<std::string> names;
  for (const auto& input : model.graph().input())
    if (!initializers.count(input.name())) names.push_back(input.name());
  return names;
}

}  // namespace nutshell::onnx
