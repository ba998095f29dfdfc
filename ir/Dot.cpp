// Graphviz view of a graph: one box per node (op, result names and types,
// explicit attributes), ellipses for graph inputs and outputs, one edge per
// operand use.
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

/// Long attribute values (the cost model's `why`) are cut to keep boxes small.
std::string shortened(std::string s) {
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

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
      if (it != node.attrs.end()) label += "\n" + it->first + "=" + shortened(formatAttrValue(it->second));
    }
    std::string style = node.op == OpKind::Const ? ", shape=note, style=filled, fillcolor=\"#eeeeee\"" : "";
    out += "  " + id + " [label=\"" + escapeLabel(label) + "\"" + style + "];\n";
    for (const Value* operand : node.operands) {
      if (!operand) continue;
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
    auto it = source.find(v);
    if (it != source.end()) out += "  " + it->second + " -> " + id + ";\n";
  }
  return out + "}\n";
}

}  // namespace nutshell::ir
