#include "frontend/GraphBuilder.h"

#include <fmt/format.h>

#include <cmath>

#include "ir/ShapeInference.h"
#include "ir/Verifier.h"

namespace nutshell {

using ir::AttrMap;
using ir::OpKind;

// ---- random weights ---------------------------------------------------------

float WeightRng::uniform(float lo, float hi) {
  // 24 random bits give every float in [0, 1) with the spacing of 2^-24,
  // identically on every platform.
  float unit = float(engine_() >> 8) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * unit;
}

float heUniformScale(int64_t fanIn) { return fanIn > 0 ? std::sqrt(6.0f / float(fanIn)) : 1.0f; }

float glorotUniformScale(int64_t fanIn, int64_t fanOut) {
  return fanIn + fanOut > 0 ? std::sqrt(6.0f / float(fanIn + fanOut)) : 1.0f;
}

ir::TensorDataPtr randomWeights(const std::vector<int64_t>& shape, float scale, WeightRng& rng) {
  for (int64_t d : shape)
    if (d < 0) return nullptr;
  ir::TensorType type = ir::TensorType::f32(shape);
  int64_t count = type.numElements();
  if (count < 0 || count > ir::kMaxElements) return nullptr;
  std::vector<float> values(static_cast<size_t>(count));
  for (float& v : values) v = rng.uniform(-scale, scale);
  return ir::makeF32(shape, std::move(values));
}

// ---- helpers ---------------------------------------------------------------

namespace {

std::string shapeText(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

/// "conv2d(%x: f32[1,3,32,32], %w: f32[6,3,5,5]) {pads=[2,2,2,2]}" for errors.
std::string describeCall(OpKind kind, const std::vector<ir::Value*>& operands, const AttrMap& attrs) {
  std::string text = fmt::format("{}(", ir::opName(kind));
  for (size_t i = 0; i < operands.size(); ++i)
    text += fmt::format("{}%{}: {}", i ? ", " : "", operands[i]->name, operands[i]->type.str());
  text += ")";
  if (!attrs.empty()) {
    text += " {";
    bool first = true;
    for (const auto& [name, value] : attrs) {
      text += fmt::format("{}{}={}", first ? "" : ", ", name, ir::formatAttrValue(value));
      first = false;
    }
    text += "}";
  }
  return text;
}

}  // namespace

// ---- state -----------------------------------------------------------------

GraphBuilder::GraphBuilder(std::string graphName, uint64_t seed)
    : graphName_(std::move(graphName)), graph_(std::make_unique<ir::Graph>()), rng_(seed) {
  graph_->name = graphName_;
}

GraphBuilder::~GraphBuilder() = default;

void GraphBuilder::fail(std::string message) {
  if (failed_) return;
  failed_ = true;
  error_ = fmt::format("graph @{}: {}", graphName_, message);
}

bool GraphBuilder::usable(std::string_view what, const std::vector<Handle>& operands) {
  if (failed_) return false;
  if (!graph_) {
    fail(fmt::format("{}: the builder was used after finish()", what));
    return false;
  }
  for (size_t i = 0; i < operands.size(); ++i) {
    if (!operands[i]) {
      fail(fmt::format("{}: operand {} is a null Handle", what, i));
      return false;
    }
    if (!values_.count(operands[i].value())) {
      fail(fmt::format("{}: operand {} was not made by this builder", what, i));
      return false;
    }
  }
  return true;
}

GraphBuilder::Handle GraphBuilder::name(Handle h, const std::string& newName) {
  if (!usable("name", {h})) return Handle();
  if (newName.empty()) {
    fail("name: empty value name");
    return Handle();
  }
  if (h.value()->name != newName) h.value()->name = graph_->uniqueName(newName);
  return h;
}

// ---- inputs, constants, outputs ----------------------------------------------

GraphBuilder::Handle GraphBuilder::input(const std::string& name, const std::vector<Dim>& dims, ir::DType dtype) {
  if (!usable("input", {})) return Handle();
  ir::TensorType type;
  type.dtype = dtype;
  for (const Dim& d : dims) {
    bool symbolic = !d.dim.symbol.empty();
    if (!symbolic && (d.dim.size < 0 || d.dim.size > ir::kMaxElements)) {
      fail(fmt::format("input '{}': dimension {} is out of range (0..2^40)", name, d.dim.size));
      return Handle();
    }
    type.dims.push_back(d.dim);
  }
  ir::Value* v = graph_->addInput(name.empty() ? "x" : name, std::move(type));
  values_.insert(v);
  return Handle(v);
}

GraphBuilder::Handle GraphBuilder::constant(ir::TensorDataPtr data, const std::string& name) {
  if (!usable("const", {})) return Handle();
  if (!data) {
    fail("const: null TensorData");
    return Handle();
  }
  const ir::TensorType& type = data->type;
  int64_t count = type.numElements();
  if (!type.isStatic() || count < 0) {
    fail(fmt::format("const: constant type {} must be static and fit in 2^40 elements", type.str()));
    return Handle();
  }
  size_t stored = data->storedCount();
  if (!data->elided && stored != size_t(count)) {
    fail(fmt::format("const: {} needs {} values, got {}", type.str(), count, stored));
    return Handle();
  }
  ir::Value* v = graph_->addConstant(std::move(data), name);
  values_.insert(v);
  return Handle(v);
}

GraphBuilder::Handle GraphBuilder::constant(const std::vector<int64_t>& shape, std::vector<float> values,
                                            const std::string& name) {
  if (!usable("const", {})) return Handle();
  for (int64_t d : shape)
    if (d < 0) {
      fail(fmt::format("const: negative dimension in shape {}", shapeText(shape)));
      return Handle();
    }
  return constant(ir::makeF32(shape, std::move(values)), name);
}

GraphBuilder::Handle GraphBuilder::randomWeights(const std::vector<int64_t>& shape, float scale,
                                                 const std::string& name) {
  if (!usable("const", {})) return Handle();
  ir::TensorDataPtr data = nutshell::randomWeights(shape, scale, rng_);
  if (!data) {
    fail(fmt::format("randomWeights: bad shape {}", shapeText(shape)));
    return Handle();
  }
  return constant(std::move(data), name);
}

GraphBuilder::Handle GraphBuilder::randomFor(std::string_view what, const std::vector<int64_t>& shape, float scale,
                                             const std::string& base) {
  ir::TensorDataPtr data = nutshell::randomWeights(shape, scale, rng_);
  if (!data) {
    fail(fmt::format("{}: bad weight shape {}", what, shapeText(shape)));
    return Handle();
  }
  return constant(std::move(data), base);
}

void GraphBuilder::output(Handle h, const std::string& name) {
  if (!usable("output", {h})) return;
  if (!name.empty()) this->name(h, name);
  graph_->outputs.push_back(h.value());
}

Expected<std::unique_ptr<ir::Graph>> GraphBuilder::finish() {
  if (!failed_ && !graph_) fail("finish() was called twice");
  if (!failed_ && graph_->outputs.empty()) fail("finish(): the graph has no outputs (call output())");
  if (failed_) return makeError(error_);
  Status verified = ir::verifyGraph(*graph_);
  if (!verified) {
    fail(fmt::format("finish(): the graph does not verify: {}", verified.message()));
    return makeError(error_);
  }
  values_.clear();
  return std::move(graph_);
}

// ---- the generic op ----------------------------------------------------------

std::vector<GraphBuilder::Handle> GraphBuilder::op(OpKind kind, const std::vector<Handle>& operands, AttrMap attrs) {
  std::string_view opname = ir::opName(kind);
  if (!usable(opname, operands)) return {};
  if (kind == OpKind::Const || kind == OpKind::Empty) {
    fail(fmt::format("{}: use constant() to make constants", opname));
    return {};
  }
  std::vector<ir::Value*> values;
  for (const Handle& h : operands) values.push_back(h.value());
  const ir::OpInfo& info = ir::opInfo(kind);
  int count = int(values.size());
  if (count < info.minOperands || (info.maxOperands >= 0 && count > info.maxOperands)) {
    fail(fmt::format("cannot build {}: {} operands, the op takes {}..{}", describeCall(kind, values, attrs), count,
                     info.minOperands, info.maxOperands < 0 ? std::string("any") : std::to_string(info.maxOperands)));
    return {};
  }

  // The node goes in with placeholder result types; the shape rule then
  // computes the real ones from the node as it will stand in the graph. On
  // failure the node is taken out again, so the graph never holds it.
  std::string call = describeCall(kind, values, attrs);
  std::vector<ir::TensorType> placeholder(size_t(info.numResults), ir::TensorType());
  ir::Node* node = graph_->addNode(kind, values, std::move(placeholder), std::move(attrs));
  Expected<std::vector<ir::TensorType>> types = ir::inferResultTypes(*node);
  if (!types || types->size() != node->results.size()) {
    std::string why = types ? "wrong number of result types" : types.message();
    graph_->eraseNode(node);
    fail(fmt::format("cannot build {}: {}", call, why));
    return {};
  }
  for (size_t i = 0; i < types->size(); ++i) node->results[i]->type = (*types)[i];
  if (Status checked = ir::verifyNode(*node); !checked) {
    graph_->eraseNode(node);
    fail(fmt::format("cannot build {}: {}", call, checked.message()));
    return {};
  }
  std::vector<Handle> results;
  for (ir::Value* r : node->results) {
    values_.insert(r);
    results.emplace_back(r);
  }
  return results;
}

GraphBuilder::Handle GraphBuilder::op1(OpKind kind, const std::vector<Handle>& operands, AttrMap attrs) {
  std::vector<Handle> results = op(kind, operands, std::move(attrs));
  return results.empty() ? Handle() : results.front();
}

GraphBuilder::Handle GraphBuilder::unary(OpKind kind, Handle x, AttrMap attrs) {
  return op1(kind, {x}, std::move(attrs));
}

// ---- convolution and pooling ---------------------------------------------------

namespace {

AttrMap convAttrs(const Conv2dOptions& options) {
  AttrMap attrs;
  if (!options.strides.empty()) attrs["strides"] = options.strides;
  if (!options.pads.empty()) attrs["pads"] = options.pads;
  if (!options.dilations.empty()) attrs["dilations"] = options.dilations;
  if (options.groups != 1) attrs["groups"] = options.groups;
  return attrs;
}

}  // namespace

GraphBuilder::Handle GraphBuilder::conv2d(Handle x, Handle w, Handle bias, const Conv2dOptions& options) {
  return op1(OpKind::Conv2d, {x, w, bias}, convAttrs(options));
}

GraphBuilder::Handle GraphBuilder::conv2d(Handle x, Handle w, const Conv2dOptions& options) {
  return op1(OpKind::Conv2d, {x, w}, convAttrs(options));
}

GraphBuilder::Handle GraphBuilder::conv2d(Handle x, int64_t outChannels, const std::vector<int64_t>& kernel,
                                          const Conv2dOptions& options) {
  if (!usable("conv2d", {x})) return Handle();
  const ir::TensorType& type = x.type();
  if (type.rank() != 4 || !type.dims[1].isStatic()) {
    fail(fmt::format("conv2d: input %{}: {} must be NCHW with a static channel count", x.value()->name, type.str()));
    return Handle();
  }
  if (kernel.size() != 2 || kernel[0] <= 0 || kernel[1] <= 0 || outChannels <= 0 || options.groups <= 0) {
    fail(fmt::format("conv2d: input %{}: {}: bad kernel {}, output channels {} or groups {}", x.value()->name,
                     type.str(), shapeText(kernel), outChannels, options.groups));
    return Handle();
  }
  int64_t perGroup = type.dims[1].size / options.groups;
  int64_t fanIn = perGroup * kernel[0] * kernel[1];
  Handle w = randomFor("conv2d", {outChannels, perGroup, kernel[0], kernel[1]}, heUniformScale(fanIn), "w");
  Handle b = randomFor("conv2d", {outChannels}, fanIn > 0 ? 1.0f / std::sqrt(float(fanIn)) : 1.0f, "b");
  return conv2d(x, w, b, options);
}

GraphBuilder::Handle GraphBuilder::pool(OpKind kind, Handle x, const std::vector<int64_t>& kernel,
                                        const std::vector<int64_t>& strides, const PoolOptions& options) {
  AttrMap attrs;
  attrs["kernel"] = kernel;
  if (!strides.empty()) attrs["strides"] = strides;
  if (!options.pads.empty()) attrs["pads"] = options.pads;
  if (options.ceilMode) attrs["ceil_mode"] = int64_t(1);
  if (kind == OpKind::MaxPool2d && !options.dilations.empty()) attrs["dilations"] = options.dilations;
  if (kind == OpKind::AvgPool2d && options.countIncludePad) attrs["count_include_pad"] = int64_t(1);
  if (!usable(ir::opName(kind), {x})) return Handle();
  if (kind == OpKind::AvgPool2d && !options.dilations.empty()) {
    fail(fmt::format("cannot build {}: avg_pool2d has no dilations", describeCall(kind, {x.value()}, attrs)));
    return Handle();
  }
  return op1(kind, {x}, std::move(attrs));
}

GraphBuilder::Handle GraphBuilder::maxPool2d(Handle x, const std::vector<int64_t>& kernel,
                                             const std::vector<int64_t>& strides, const PoolOptions& options) {
  return pool(OpKind::MaxPool2d, x, kernel, strides, options);
}

GraphBuilder::Handle GraphBuilder::avgPool2d(Handle x, const std::vector<int64_t>& kernel,
                                             const std::vector<int64_t>& strides, const PoolOptions& options) {
  return pool(OpKind::AvgPool2d, x, kernel, strides, options);
}

GraphBuilder::Handle GraphBuilder::globalAvgPool(Handle x) { return unary(OpKind::GlobalAvgPool, x); }
GraphBuilder::Handle GraphBuilder::globalMaxPool(Handle x) { return unary(OpKind::GlobalMaxPool, x); }

// ---- dense algebra -------------------------------------------------------------

GraphBuilder::Handle GraphBuilder::dense(Handle x, Handle w, Handle bias) {
  return op1(OpKind::Dense, {x, w, bias});
}

GraphBuilder::Handle GraphBuilder::dense(Handle x, Handle w) { return op1(OpKind::Dense, {x, w}); }

GraphBuilder::Handle GraphBuilder::dense(Handle x, int64_t units) {
  if (!usable("dense", {x})) return Handle();
  const ir::TensorType& type = x.type();
  if (type.rank() != 2 || !type.dims[1].isStatic() || units <= 0) {
    fail(fmt::format("dense: input %{}: {} must be [M,K] with a static K, and units ({}) positive", x.value()->name,
                     type.str(), units));
    return Handle();
  }
  int64_t k = type.dims[1].size;
  Handle w = randomFor("dense", {k, units}, heUniformScale(k), "w");
  Handle b = randomFor("dense", {units}, k > 0 ? 1.0f / std::sqrt(float(k)) : 1.0f, "b");
  return dense(x, w, b);
}

GraphBuilder::Handle GraphBuilder::matmul(Handle a, Handle b) { return op1(OpKind::MatMul, {a, b}); }

GraphBuilder::Handle GraphBuilder::maxout(Handle x, Handle w, Handle bias, int64_t pieces) {
  if (!usable("maxout", {x, w, bias})) return Handle();
  if (pieces <= 0) {
    fail(fmt::format("maxout: input %{}: {}: pieces must be positive, got {}", x.value()->name, x.type().str(),
                     pieces));
    return Handle();
  }
  Handle linear = dense(x, w, bias);
  if (!linear) return Handle();
  const ir::TensorType& type = linear.type();
  if (type.rank() != 2 || !type.dims[1].isStatic() || type.dims[1].size % pieces != 0) {
    fail(fmt::format("maxout: dense output %{}: {} must be [M, units*pieces] with pieces={}",
                     linear.value()->name, type.str(), pieces));
    return Handle();
  }
  // A symbolic batch is kept by reshape's 0 (copy the input dim).
  int64_t batch = type.dims[0].isStatic() ? type.dims[0].size : 0;
  Handle grouped = reshape(linear, {batch, type.dims[1].size / pieces, pieces});
  return reduceMax(grouped, {2}, /*keepDims=*/false);
}

GraphBuilder::Handle GraphBuilder::maxout(Handle x, int64_t units, int64_t pieces) {
  if (!usable("maxout", {x})) return Handle();
  const ir::TensorType& type = x.type();
  if (type.rank() != 2 || !type.dims[1].isStatic() || units <= 0 || pieces <= 0) {
    fail(fmt::format("maxout: input %{}: {} must be [M,K] with a static K; units ({}) and pieces ({}) positive",
                     x.value()->name, type.str(), units, pieces));
    return Handle();
  }
  int64_t k = type.dims[1].size;
  Handle w = randomFor("maxout", {k, units * pieces}, heUniformScale(k), "w");
  Handle b = randomFor("maxout", {units * pieces}, k > 0 ? 1.0f / std::sqrt(float(k)) : 1.0f, "b");
  return maxout(x, w, b, pieces);
}

// ---- elementwise ------------------------------------------------------------------

GraphBuilder::Handle GraphBuilder::add(Handle a, Handle b) { return op1(OpKind::Add, {a, b}); }
GraphBuilder::Handle GraphBuilder::sub(Handle a, Handle b) { return op1(OpKind::Sub, {a, b}); }
GraphBuilder::Handle GraphBuilder::mul(Handle a, Handle b) { return op1(OpKind::Mul, {a, b}); }
GraphBuilder::Handle GraphBuilder::div(Handle a, Handle b) { return op1(OpKind::Div, {a, b}); }
GraphBuilder::Handle GraphBuilder::relu(Handle x) { return unary(OpKind::Relu, x); }
GraphBuilder::Handle GraphBuilder::leakyRelu(Handle x, double alpha) {
  return unary(OpKind::LeakyRelu, x, {{"alpha", alpha}});
}
GraphBuilder::Handle GraphBuilder::sigmoid(Handle x) { return unary(OpKind::Sigmoid, x); }
GraphBuilder::Handle GraphBuilder::tanh(Handle x) { return unary(OpKind::Tanh, x); }
GraphBuilder::Handle GraphBuilder::clip(Handle x, double min, double max) {
  if (usable("clip", {x}) && !(min <= max)) {
    fail(fmt::format("cannot build clip(%{}: {}): min {} > max {}", x.value()->name, x.type().str(), min, max));
    return Handle();
  }
  return unary(OpKind::Clip, x, {{"min", min}, {"max", max}});
}
GraphBuilder::Handle GraphBuilder::exp(Handle x) { return unary(OpKind::Exp, x); }
GraphBuilder::Handle GraphBuilder::identity(Handle x) { return unary(OpKind::Identity, x); }

// ---- normalisation and reductions ----------------------------------------------------

GraphBuilder::Handle GraphBuilder::softmax(Handle x, int64_t axis) {
  return unary(OpKind::Softmax, x, {{"axis", axis}});
}
GraphBuilder::Handle GraphBuilder::logSoftmax(Handle x, int64_t axis) {
  return unary(OpKind::LogSoftmax, x, {{"axis", axis}});
}

GraphBuilder::Handle GraphBuilder::reduce(OpKind kind, Handle x, const std::vector<int64_t>& axes, bool keepDims) {
  AttrMap attrs;
  if (!axes.empty()) attrs["axes"] = axes;
  if (!keepDims) attrs["keepdims"] = int64_t(0);
  return unary(kind, x, std::move(attrs));
}

GraphBuilder::Handle GraphBuilder::reduceMax(Handle x, const std::vector<int64_t>& axes, bool keepDims) {
  return reduce(OpKind::ReduceMax, x, axes, keepDims);
}
GraphBuilder::Handle GraphBuilder::reduceMean(Handle x, const std::vector<int64_t>& axes, bool keepDims) {
  return reduce(OpKind::ReduceMean, x, axes, keepDims);
}
GraphBuilder::Handle GraphBuilder::reduceSum(Handle x, const std::vector<int64_t>& axes, bool keepDims) {
  return reduce(OpKind::ReduceSum, x, axes, keepDims);
}

GraphBuilder::Handle GraphBuilder::batchNorm(Handle x, Handle scale, Handle bias, Handle mean, Handle var,
                                             double epsilon) {
  return op1(OpKind::BatchNorm, {x, scale, bias, mean, var}, {{"epsilon", epsilon}});
}

GraphBuilder::Handle GraphBuilder::lrn(Handle x, int64_t size, double alpha, double beta, double bias) {
  return unary(OpKind::Lrn, x, {{"size", size}, {"alpha", alpha}, {"beta", beta}, {"bias", bias}});
}

// ---- layout and data movement -----------------------------------------------------------

GraphBuilder::Handle GraphBuilder::reshape(Handle x, const std::vector<int64_t>& shape) {
  return unary(OpKind::Reshape, x, {{"shape", shape}});
}

GraphBuilder::Handle GraphBuilder::flatten(Handle x, int64_t axis) {
  return unary(OpKind::Flatten, x, {{"axis", axis}});
}

GraphBuilder::Handle GraphBuilder::transpose(Handle x, const std::vector<int64_t>& perm) {
  AttrMap attrs;
  if (!perm.empty()) attrs["perm"] = perm;
  return unary(OpKind::Transpose, x, std::move(attrs));
}

GraphBuilder::Handle GraphBuilder::concat(const std::vector<Handle>& xs, int64_t axis) {
  return op1(OpKind::Concat, xs, {{"axis", axis}});
}

GraphBuilder::Handle GraphBuilder::slice(Handle x, const std::vector<int64_t>& starts,
                                         const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                                         const std::vector<int64_t>& steps) {
  AttrMap attrs{{"starts", starts}, {"ends", ends}};
  if (!axes.empty()) attrs["axes"] = axes;
  if (!steps.empty()) attrs["steps"] = steps;
  return unary(OpKind::Slice, x, std::move(attrs));
}

GraphBuilder::Handle GraphBuilder::pad(Handle x, const std::vector<int64_t>& pads, const std::string& mode,
                                       double value) {
  AttrMap attrs{{"pads", pads}};
  if (mode != "constant") attrs["mode"] = mode;
  if (value != 0.0) attrs["value"] = value;
  return unary(OpKind::Pad, x, std::move(attrs));
}

// ---- recurrent -------------------------------------------------------------------------

GraphBuilder::LstmResults GraphBuilder::lstm(Handle x, Handle w, Handle r, Handle b, Handle h0, Handle c0,
                                             const LstmOptions& options) {
  AttrMap attrs{{"hidden_size", options.hiddenSize}};
  if (options.direction != "forward") attrs["direction"] = options.direction;
  if (options.clip != 0.0) attrs["clip"] = options.clip;
  if (options.inputForget) attrs["input_forget"] = int64_t(1);
  std::vector<Handle> results = op(OpKind::Lstm, {x, w, r, b, h0, c0}, std::move(attrs));
  if (results.size() != 3) return {};
  return {results[0], results[1], results[2]};
}

GraphBuilder::LstmResults GraphBuilder::lstm(Handle x, int64_t hiddenSize) {
  if (!usable("lstm", {x})) return {};
  const ir::TensorType& type = x.type();
  if (type.rank() != 3 || !type.dims[1].isStatic() || !type.dims[2].isStatic() || hiddenSize <= 0) {
    fail(fmt::format("lstm: input %{}: {} must be [T,B,I] with static B and I (the initial states are "
                     "constants), and hidden_size ({}) positive",
                     x.value()->name, type.str(), hiddenSize));
    return {};
  }
  int64_t batch = type.dims[1].size, inputSize = type.dims[2].size, h = hiddenSize;
  // PyTorch's LSTM init: uniform in +-1/sqrt(H) for every parameter.
  float scale = 1.0f / std::sqrt(float(h));
  Handle w = randomFor("lstm", {1, 4 * h, inputSize}, scale, "w");
  Handle r = randomFor("lstm", {1, 4 * h, h}, scale, "r");
  Handle b = randomFor("lstm", {1, 8 * h}, scale, "b");
  if (!usable("lstm", {})) return {};
  std::vector<float> zeros(size_t(batch * h), 0.0f);
  Handle h0 = constant({1, batch, h}, zeros, "h0");
  Handle c0 = constant({1, batch, h}, std::move(zeros), "c0");
  return lstm(x, w, r, b, h0, c0, {.hiddenSize = h});
}

}  // namespace nutshell
