// Graphviz view of a graph: one box per node (op, result names and types,
// explicit attributes in full), ellipses for graph inputs and outputs, one
// edge per operand use. Constants are drawn once per use, next to the node
// that reads them: after CSE one constant (a zero bias) may feed convolutions
// all over the graph, and drawn once it would pull edges across the picture.
#include <unordered_map>

#include "ir/Printer.h"
#include "ir/TextSyntax.h"

namespace nutshell::ir {
namespace {

/// Text inside a double-quoted dot label; `\l`-free, lines joined by "\n".
std::string escapeLabel(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      out += ' ';
    } else {
      out += char(c);
    }
  }
  return out;
}

/// Long attribute values shown whole, on several lines: the cost model's
/// `why` one alternative per line (they are joined by " | "), any other line
/// broken at spaces near kWidth characters.
std::string wrapped(const std::string& s) {
  constexpr size_t kWidth = 64;
  std::string out;
  size_t lineStart = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, " | ") == 0) {
      out += "\n  ";
      lineStart = out.size();
      i += 2;
      continue;
    }
    if (s[i] == ' ' && out.size() - lineStart >= kWidth) {
      out += "\n  ";
      lineStart = out.size();
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string constantLabel(const Value* v) {
  return std::string("const %") + text::formatName(v->name) + " : " + text::formatType(v->type);
}

constexpr const char* kConstantStyle = ", shape=note, style=filled, fillcolor=\"#eeeeee\"";

}  // namespace

std::string printDot(const Graph& graph) {
  std::string out = "digraph \"" + escapeLabel(graph.name) + "\" {\n";
  out += "  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n";
  std::unordered_map<const Value*, std::string> source;  // value -> dot node id
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const Value* v = graph.inputs[i];
    std::string id = std::string("in") + std::to_string(i);
    source[v] = id;
    out += "  " + id + " [shape=ellipse, label=\"" +
           escapeLabel(std::string("%") + text::formatName(v->name) + "\n" + text::formatType(v->type)) + "\"];\n";
  }
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const Node& node = *graph.nodes()[n];
    std::string id = std::string("n") + std::to_string(n);
    std::string label(opName(node.op));
    for (const Value* r : node.results) {
      label += std::string("\n%") + text::formatName(r->name) + " : " + text::formatType(r->type);
      if (r->arenaOffset >= 0) label += " @arena+" + std::to_string(r->arenaOffset);
    }
    for (const AttrSpec& spec : node.info().attrs) {
      auto it = node.attrs.find(std::string(spec.name));
      if (it != node.attrs.end()) label += "\n" + it->first + "=" + wrapped(formatAttrValue(it->second));
    }
    if (node.op == OpKind::Const) continue;  // drawn at its uses
    out += "  " + id + " [label=\"" + escapeLabel(label) + "\"];\n";
    for (size_t k = 0; k < node.operands.size(); ++k) {
      const Value* operand = node.operands[k];
      if (!operand) continue;
      if (operand->producer && operand->producer->op == OpKind::Const) {
        std::string use = id + "_c" + std::to_string(k);
        out +=
            "  " + use + " [label=\"" + escapeLabel(constantLabel(operand)) + "\"" + kConstantStyle + "];\n";
        out += "  " + use + " -> " + id + ";\n";
        continue;
      }
      auto it = source.find(operand);
      if (it == source.end()) continue;
      std::string edge = "  " + it->second + " -> " + id;
      // Name the value on edges from multi-result nodes.
      if (operand->producer && operand->producer->results.size() > 1)
        edge += " [label=\"" + escapeLabel(std::string("%") + text::formatName(operand->name)) + "\"]";
      out += edge + ";\n";
    }
    for (const Value* r : node.results) source[r] = id;
  }
  for (size_t i = 0; i < graph.outputs.size(); ++i) {
    std::string id = std::string("out") + std::to_string(i);
    const Value* v = graph.outputs[i];
    if (!v) continue;
    out += "  " + id + " [shape=ellipse, label=\"" +
           escapeLabel("return %" + text::formatName(v->name) + "\n" + text::formatType(v->type)) + "\"];\n";
    if (v->producer && v->producer->op == OpKind::Const) {  // a constant output: its own note
      out += "  " + id + "_c [label=\"" + escapeLabel(constantLabel(v)) + "\"" + kConstantStyle + "];\n";
      out += "  " + id + "_c -> " + id + ";\n";
      continue;
    }
    auto it = source.find(v);
    if (it != source.end()) out += "  " + it->second + " -> " + id + ";\n";
  }
  return out + "}\n";
}

}  // namespace nutshell::ir
