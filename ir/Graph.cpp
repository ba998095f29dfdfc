#include "ir/Graph.h"

#include <algorithm>
#include <unordered_map>

namespace nutshell::ir {

std::string Node::describe() const {
  std::string label = results.empty() || !results[0] ? std::string("?") : name();
  return "node '%" + label + "' (" + std::string(opName(op)) + ")";
}

const AttrValue& Node::attr(const std::string& attrName) const {
  auto it = attrs.find(attrName);
  if (it != attrs.end()) return it->second;
  return defaultAttr(op, attrName);
}
int64_t Node::getInt(const std::string& n) const { return std::get<int64_t>(attr(n)); }
double Node::getFloat(const std::string& n) const { return std::get<double>(attr(n)); }
const std::string& Node::getString(const std::string& n) const { return std::get<std::string>(attr(n)); }
const std::vector<int64_t>& Node::getInts(const std::string& n) const {
  return std::get<std::vector<int64_t>>(attr(n));
}
const std::vector<double>& Node::getFloats(const std::string& n) const {
  return std::get<std::vector<double>>(attr(n));
}
const std::vector<std::string>& Node::getStrings(const std::string& n) const {
  return std::get<std::vector<std::string>>(attr(n));
}

std::string Graph::uniqueName(const std::string& base) {
  std::string stem = base.empty() ? "t" : base;
  if (!base.empty() && !usedNames_.count(stem)) {
    usedNames_.insert(stem);
    return stem;
  }
  int& counter = nameCounters_[stem];
  while (true) {
    std::string candidate = base.empty() ? std::to_string(counter) : stem + "_" + std::to_string(counter);
    ++counter;
    if (!usedNames_.count(candidate)) {
      usedNames_.insert(candidate);
      return candidate;
    }
  }
}

void Graph::reindexNames() {
  usedNames_.clear();
  for (const auto& v : values_) usedNames_.insert(v->name);
}

Value* Graph::addInput(const std::string& valueName, TensorType type) {
  auto value = std::make_unique<Value>();
  value->type = std::move(type);
  value->name = uniqueName(valueName);
  inputs.push_back(value.get());
  values_.push_back(std::move(value));
  return inputs.back();
}

Node* Graph::makeNode(OpKind op, std::vector<Value*> operands, std::vector<TensorType> resultTypes,
                      AttrMap attrs, std::vector<std::string> resultNames) {
  auto node = std::make_unique<Node>();
  node->op = op;
  node->operands = std::move(operands);
  node->attrs = std::move(attrs);
  for (size_t i = 0; i < resultTypes.size(); ++i) {
    auto value = std::make_unique<Value>();
    value->type = std::move(resultTypes[i]);
    value->name = uniqueName(i < resultNames.size() ? resultNames[i] : "");
    value->producer = node.get();
    value->resultIndex = int(i);
    node->results.push_back(value.get());
    values_.push_back(std::move(value));
  }
  Node* raw = node.release();
  return raw;
}

Node* Graph::addNode(OpKind op, std::vector<Value*> operands, std::vector<TensorType> resultTypes,
                     AttrMap attrs, std::vector<std::string> resultNames) {
  Node* node = makeNode(op, std::move(operands), std::move(resultTypes), std::move(attrs), std::move(resultNames));
  nodes_.emplace_back(node);
  return node;
}

Node* Graph::insertNodeBefore(Node* position, OpKind op, std::vector<Value*> operands,
                              std::vector<TensorType> resultTypes, AttrMap attrs,
                              std::vector<std::string> resultNames) {
  Node* node = makeNode(op, std::move(operands), std::move(resultTypes), std::move(attrs), std::move(resultNames));
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == position; });
  nodes_.emplace(it, node);
  return node;
}

Value* Graph::addConstant(TensorDataPtr data, const std::string& valueName) {
  TensorType type = data->type;
  Node* node = addNode(OpKind::Const, {}, {type}, {}, {valueName});
  node->constant = std::move(data);
  return node->result();
}

Value* Graph::insertConstantBefore(Node* position, TensorDataPtr data, const std::string& valueName) {
  TensorType type = data->type;
  Node* node = insertNodeBefore(position, OpKind::Const, {}, {type}, {}, {valueName});
  node->constant = std::move(data);
  return node->result();
}

void Graph::replaceAllUsesWith(Value* from, Value* to) {
  for (const auto& node : nodes_)
    for (Value*& operand : node->operands)
      if (operand == from) operand = to;
  for (Value*& output : outputs)
    if (output == from) output = to;
}

void Graph::eraseNode(Node* node) {
  for (Value* result : node->results) {
    usedNames_.erase(result->name);
    values_.erase(std::remove_if(values_.begin(), values_.end(), [&](const auto& v) { return v.get() == result; }),
                  values_.end());
  }
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == node; }),
               nodes_.end());
}

std::vector<Node*> Graph::users(const Value* value) const {
  std::vector<Node*> result;
  for (const auto& node : nodes_)
    for (Value* operand : node->operands)
      if (operand == value) result.push_back(node.get());
  return result;
}

size_t Graph::useCount(const Value* value) const {
  size_t count = 0;
  for (const auto& node : nodes_)
    for (Value* operand : node->operands)
      if (operand == value) ++count;
  for (Value* output : outputs)
    if (output == value) ++count;
  return count;
}

bool Graph::isOutput(const Value* value) const {
  return std::find(outputs.begin(), outputs.end(), value) != outputs.end();
}

Status Graph::sortTopologically() {
  // Kahn's algorithm, always taking the earliest ready node in the current
  // order, so an already sorted graph keeps its order exactly.
  std::unordered_map<const Node*, size_t> position;
  for (size_t i = 0; i < nodes_.size(); ++i) position[nodes_[i].get()] = i;
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<size_t>> dependents(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (Value* operand : nodes_[i]->operands) {
      if (!operand || !operand->producer) continue;
      auto it = position.find(operand->producer);
      if (it == position.end()) continue;
      ++pending[i];
      dependents[it->second].push_back(i);
    }
  }
  std::vector<size_t> ready;  // kept as a min-heap of positions
  auto cmp = std::greater<size_t>();
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (pending[i] == 0) ready.push_back(i);
  std::make_heap(ready.begin(), ready.end(), cmp);
  std::vector<size_t> order;
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end(), cmp);
    size_t i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (size_t d : dependents[i])
      if (--pending[d] == 0) {
        ready.push_back(d);
        std::push_heap(ready.begin(), ready.end(), cmp);
      }
  }
  if (order.size() != nodes_.size()) {
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (pending[i] > 0)
        return makeError("graph has a cycle through node '" + nodes_[i]->name() + "' (" +
                         std::string(opName(nodes_[i]->op)) + ")");
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes_.size());
  for (size_t i : order) sorted.push_back(std::move(nodes_[i]));
  nodes_ = std::move(sorted);
  return Status::success();
}

std::unique_ptr<Graph> Graph::clone() const {
  auto copy = std::make_unique<Graph>();
  copy->name = name;
  copy->arenaBytes = arenaBytes;
  std::unordered_map<const Value*, Value*> map;
  for (Value* input : inputs) map[input] = copy->addInput(input->name, input->type);
  for (const auto& node : nodes_) {
    std::vector<Value*> operands;
    for (Value* operand : node->operands) operands.push_back(operand ? map.at(operand) : nullptr);
    std::vector<TensorType> types;
    std::vector<std::string> names;
    for (Value* result : node->results) {
      types.push_back(result->type);
      names.push_back(result->name);
    }
    Node* n = copy->addNode(node->op, std::move(operands), std::move(types), node->attrs, std::move(names));
    n->constant = node->constant;
    for (size_t i = 0; i < node->results.size(); ++i) n->results[i]->arenaOffset = node->results[i]->arenaOffset;
    for (size_t i = 0; i < node->results.size(); ++i) map[node->results[i]] = n->results[i];
  }
  for (Value* output : outputs) copy->outputs.push_back(map.at(output));
  return copy;
}

}  // namespace nutshell::ir
