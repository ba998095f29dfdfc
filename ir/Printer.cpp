// The .nsir printer and the weights side file writer. The syntax is
// documented in docs/ir.md; Parser.cpp reads exactly what this writes.
#include "ir/Printer.h"

#include <cstring>
#include <fstream>

#include "ir/TextSyntax.h"

namespace nutshell::ir {
namespace text {

bool isNameChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == ':' || c == '/' || c == '-';
}

std::string quoteString(const std::string& s) { return formatAttrValue(AttrValue(s)); }

std::string formatName(const std::string& name) {
  // A trailing ':' would read as the `%x: type` separator, and `//` as a comment.
  bool bare = !name.empty() && name.back() != ':' && name.find("//") == std::string::npos;
  for (unsigned char c : name) bare = bare && isNameChar(c);
  return bare ? name : quoteString(name);
}

std::string formatSymbol(const std::string& symbol) {
  if (symbol == "?") return symbol;
  bool bare = !symbol.empty() && !(symbol[0] >= '0' && symbol[0] <= '9');
  for (unsigned char c : symbol)
    bare = bare && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  return bare ? symbol : quoteString(symbol);
}

std::string formatType(const TensorType& type) {
  std::string s(dtypeName(type.dtype));
  s += '[';
  for (size_t i = 0; i < type.dims.size(); ++i) {
    if (i) s += ',';
    s += type.dims[i].isStatic() ? std::to_string(type.dims[i].size) : formatSymbol(type.dims[i].symbol);
  }
  return s + ']';
}

}  // namespace text

namespace {

/// A constant that options.elideAbove prints as `<elided>` (when no weights
/// side file takes it).
bool elidedBySize(const TensorData& data, const PrintOptions& options) {
  return !data.elided && !options.elideConstants && options.elideAbove >= 0 &&
         data.numElements() > options.elideAbove;
}

class GraphPrinter {
public:
  GraphPrinter(const PrintOptions& options, std::vector<TensorDataPtr>* weights)
      : options_(options), weights_(weights) {}

  std::string print(const Graph& graph) {
    out_ = "graph @" + text::formatName(graph.name) + "(";
    for (size_t i = 0; i < graph.inputs.size(); ++i) {
      if (i) out_ += ", ";
      out_ += valueRef(graph.inputs[i]) + ": " + text::formatType(graph.inputs[i]->type);
    }
    out_ += ") -> (";
    for (size_t i = 0; i < graph.outputs.size(); ++i) {
      if (i) out_ += ", ";
      out_ += graph.outputs[i] ? text::formatType(graph.outputs[i]->type) : "?";
    }
    out_ += ")";
    if (graph.arenaBytes >= 0) out_ += " arena " + std::to_string(graph.arenaBytes);
    out_ += " {\n";
    for (const auto& node : graph.nodes()) printNode(*node);
    out_ += "  return";
    for (size_t i = 0; i < graph.outputs.size(); ++i) out_ += (i ? ", " : " ") + valueRef(graph.outputs[i]);
    out_ += "\n}\n";
    return std::move(out_);
  }

private:
  static std::string valueRef(const Value* value) {
    std::string ref = "%";
    ref += value ? text::formatName(value->name) : std::string("\"<null>\"");
    return ref;
  }

  static std::string typeWithArena(const Value* value) {
    std::string s = text::formatType(value->type);
    if (value->arenaOffset >= 0) s += " @arena+" + std::to_string(value->arenaOffset);
    return s;
  }

  void printNode(const Node& node) {
    out_ += "  ";
    for (size_t i = 0; i < node.results.size(); ++i) {
      if (i) out_ += ", ";
      out_ += valueRef(node.results[i]);
    }
    if (node.results.empty()) out_ += "%\"<no result>\"";
    out_ += " = " + std::string(opName(node.op));
    if (node.op == OpKind::Const && !node.results.empty() && node.results[0]) {
      out_ += ' ';
      out_ += text::formatType(node.results[0]->type);
      out_ += ' ';
      out_ += payload(node, node.results[0]->type);
      if (node.results[0]->arenaOffset >= 0) out_ += " @arena+" + std::to_string(node.results[0]->arenaOffset);
      out_ += "\n";
      return;
    }
    out_ += "(";
    for (size_t i = 0; i < node.operands.size(); ++i) out_ += (i ? ", " : "") + valueRef(node.operands[i]);
    out_ += ")";
    printAttrs(node);
    out_ += " :";
    for (size_t i = 0; i < node.results.size(); ++i)
      out_ += (i ? ", " : " ") + (node.results[i] ? typeWithArena(node.results[i]) : std::string("?"));
    out_ += "\n";
  }

  void printAttrs(const Node& node) {
    if (node.attrs.empty()) return;
    std::vector<std::string> parts;
    // ops.def order first; names the table does not know (invalid, but
    // printable for debugging) follow in map order.
    for (const AttrSpec& spec : node.info().attrs) {
      auto it = node.attrs.find(std::string(spec.name));
      if (it != node.attrs.end()) parts.push_back(it->first + "=" + formatAttrValue(it->second));
    }
    for (const auto& [name, value] : node.attrs)
      if (!node.info().findAttr(name)) parts.push_back(text::formatName(name) + "=" + formatAttrValue(value));
    out_ += " {";
    for (size_t i = 0; i < parts.size(); ++i) out_ += (i ? ", " : "") + parts[i];
    out_ += "}";
  }

  std::string payload(const Node& node, const TensorType& type) {
    const TensorDataPtr& data = node.constant;
    if (!data || data->elided || options_.elideConstants) return "<elided>";
    if (weights_ && options_.inlineLimit >= 0 && data->numElements() > options_.inlineLimit) {
      weights_->push_back(data);
      return "@weights[" + std::to_string(weights_->size() - 1) + "]";
    }
    if (!weights_ && elidedBySize(*data, options_)) return "<elided>";
    std::string s = "dense<[";
    if (isFloatType(type.dtype)) {
      for (size_t i = 0; i < data->f32.size(); ++i) {
        if (i) s += ',';
        s += formatFloat32(data->f32[i]);
      }
    } else {
      for (size_t i = 0; i < data->i64.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(data->i64[i]);
      }
    }
    return s + "]>";
  }

  const PrintOptions& options_;
  std::vector<TensorDataPtr>* weights_;
  std::string out_;
};

void appendU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += char((v >> (8 * i)) & 0xff);
}
void appendU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += char((v >> (8 * i)) & 0xff);
}

}  // namespace

std::string printGraph(const Graph& graph, const PrintOptions& options) {
  return GraphPrinter(options, nullptr).print(graph);
}

int64_t countElidedBySize(const Graph& graph, const PrintOptions& options) {
  int64_t count = 0;
  for (const auto& node : graph.nodes())
    if (node->op == OpKind::Const && node->constant && elidedBySize(*node->constant, options)) ++count;
  return count;
}

std::string text::encodeWeights(const std::vector<TensorDataPtr>& tensors) {
  std::string out(kWeightsMagic, sizeof kWeightsMagic);
  appendU32(out, kWeightsVersion);
  appendU32(out, uint32_t(tensors.size()));
  for (const TensorDataPtr& t : tensors) {
    bool f32 = isFloatType(t->type.dtype);
    size_t bytes = f32 ? t->f32.size() * 4 : t->i64.size() * 8;
    appendU32(out, f32 ? 0 : 1);
    appendU32(out, 0);
    appendU64(out, bytes);
    if (f32) {
      for (float v : t->f32) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        appendU32(out, bits);
      }
    } else {
      for (int64_t v : t->i64) appendU64(out, uint64_t(v));
    }
  }
  return out;
}

Status writeGraphFile(const Graph& graph, const std::string& path, PrintOptions options) {
  std::vector<TensorDataPtr> weights;
  std::string textForm = GraphPrinter(options, &weights).print(graph);
  std::ofstream file(path, std::ios::binary);
  if (!file) return makeError("cannot write " + path);
  file << textForm;
  if (!file.flush()) return makeError("cannot write " + path);
  if (weights.empty()) return Status::success();
  std::string weightsPath = path + ".weights";
  std::ofstream side(weightsPath, std::ios::binary);
  std::string bytes = text::encodeWeights(weights);
  if (!side || !side.write(bytes.data(), std::streamsize(bytes.size())) || !side.flush())
    return makeError("cannot write " + weightsPath);
  return Status::success();
}

}  // namespace nutshell::ir
