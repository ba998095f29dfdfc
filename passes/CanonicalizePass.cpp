// canonicalize: rewrite the graph into the normal forms later passes match,
// repeating sweeps in topological order until one changes nothing (so the
// pass is idempotent):
//  - no-ops go: identity, cast to the same dtype, single-operand concat,
//    all-zero pad, full-range slice, identity transpose, a layout op whose
//    result type equals its operand's, x+0, x-0, x*1, x/1 with constant
//    all-zero / all-one operands that do not broadcast x;
//  - gemm -> dense when B is a constant and trans_a = 0: the weights become
//    alpha * op(B) as [K,N] at compile time, beta*C becomes the bias when C
//    is constant and broadcasts along rows only; matmul of a rank-2 x by a
//    constant [K,N] is a dense too;
//  - batch_norm folds into the conv2d / fused_conv2d (no activation, pool or
//    dest) that produces its input when that result has no other use;
//  - a constant-mode, zero-valued pad of the spatial dims only folds into
//    the pads of the conv2d / fused_conv2d it feeds (its only use);
//  - reshape / flatten / squeeze / unsqueeze of such an op becomes one
//    reshape of the original operand, with the result shape as attribute
//    (a symbolic dim becomes -1; results with two symbols are left alone),
//    or nothing when the chain ends at the type it started from.
// Weights and nodes a rewrite retires are erased when nothing else uses them.
#include <cmath>
#include <unordered_set>

#include "ir/OpViews.h"
#include "passes/PassOptions.h"
#include "passes/PassRegistry.h"
#include "passes/RewriteUtils.h"

namespace nutshell::passes {

namespace {

constexpr int kMaxSweeps = 8;

bool isLayoutOp(ir::OpKind op) {
  return op == ir::OpKind::Reshape || op == ir::OpKind::Flatten || op == ir::OpKind::Squeeze ||
         op == ir::OpKind::Unsqueeze;
}

/// Dims that name one size each: static or a named symbol (not `?`).
bool wellDefined(const ir::TensorType& type) {
  for (const ir::Dim& d : type.dims)
    if (!d.isStatic() && (d.symbol.empty() || d.symbol == "?")) return false;
  return true;
}

bool allEqual(const ir::TensorData& data, double value) {
  for (int64_t i = 0; i < data.numElements(); ++i)
    if (data.at(i) != value) return false;
  return true;
}

class Canonicalizer {
public:
  explicit Canonicalizer(ir::Graph& graph) : graph_(graph) {}

  /// One sweep; true when something changed.
  bool sweep() {
    bool changed = false;
    std::vector<ir::Node*> order;
    for (const auto& node : graph_.nodes()) order.push_back(node.get());
    for (ir::Node* node : order) {
      if (erased_.count(node)) continue;
      changed = rewrite(node) || changed;
    }
    eraseDeadProducers(graph_, std::move(retired_));
    retired_.clear();
    erased_.clear();
    return changed;
  }

private:
  // The rewrites by op; an op without one has `default` (a new op needs
  // nothing here unless it has a canonical form).
  bool rewrite(ir::Node* node) {
    if (dropNoOp(node)) return true;
    switch (node->op) {
      case ir::OpKind::Gemm: return gemmToDense(node);
      case ir::OpKind::MatMul: return matmulToDense(node);
      case ir::OpKind::BatchNorm: return foldBatchNorm(node);
      case ir::OpKind::Conv2d:
      case ir::OpKind::FusedConv2d: return foldPad(node);
      case ir::OpKind::Reshape:
      case ir::OpKind::Flatten:
      case ir::OpKind::Squeeze:
      case ir::OpKind::Unsqueeze: return collapseLayoutChain(node);
      default: return false;
    }
  }

  /// Replace `node` by its operand `x` when the node computes x itself.
  bool dropNoOp(ir::Node* node) {
    if (node->results.size() != 1 || node->operands.empty()) return false;
    ir::Value* x = node->operands[0];
    ir::Value* y = node->result();
    if (!x || !(x->type == y->type) || !wellDefined(y->type) || !isNoOp(*node)) return false;
    if (!canReplace(graph_, y, x)) return false;
    for (size_t i = 1; i < node->operands.size(); ++i) retired_.push_back(node->operands[i]);
    erased_.insert(node);
    replaceNode(graph_, node, {x});
    return true;
  }

  /// Precondition: the result type equals operand 0's type.
  bool isNoOp(const ir::Node& node) const {
    switch (node.op) {
      case ir::OpKind::Identity:
      case ir::OpKind::Cast:
        return true;
      case ir::OpKind::Reshape:
      case ir::OpKind::Flatten:
      case ir::OpKind::Squeeze:
      case ir::OpKind::Unsqueeze:
        return true;  // same type: the same elements in the same order
      case ir::OpKind::Concat:
        return node.operands.size() == 1;
      case ir::OpKind::Pad:
        return allZero(node.getInts("pads"));
      case ir::OpKind::Transpose: {
        const auto& perm = node.getInts("perm");
        if (perm.empty()) return node.operands[0]->type.rank() <= 1;
        for (size_t i = 0; i < perm.size(); ++i)
          if (perm[i] != int64_t(i)) return false;
        return true;
      }
      case ir::OpKind::Slice: {
        // Same type with positive steps means every element, in order.
        for (int64_t step : node.getInts("steps"))
          if (step != 1) return false;
        return true;
      }
      case ir::OpKind::Clip:
        return std::isinf(node.getFloat("min")) && node.getFloat("min") < 0 && std::isinf(node.getFloat("max")) &&
               node.getFloat("max") > 0;
      case ir::OpKind::Add:
      case ir::OpKind::Sub:
      case ir::OpKind::Mul:
      case ir::OpKind::Div: {
        const ir::TensorData* c = constantPayload(node.operands[1]);
        if (!c) return false;
        bool additive = node.op == ir::OpKind::Add || node.op == ir::OpKind::Sub;
        return allEqual(*c, additive ? 0.0 : 1.0);
      }
      default: return false;
    }
  }

  static bool allZero(const std::vector<int64_t>& v) {
    for (int64_t x : v)
      if (x != 0) return false;
    return true;
  }

  // ---- gemm -> dense ------------------------------------------------------------
  bool gemmToDense(ir::Node* node) {
    if (node->getInt("trans_a") != 0 || node->operands[0]->type.rank() != 2) return false;
    ir::Value* b = node->operands[1];
    if (!b->producer || b->producer->op != ir::OpKind::Const || b->type.rank() != 2 || !b->type.isStatic() ||
        b->type.dtype != ir::DType::F32)
      return false;
    double alpha = node->getFloat("alpha"), beta = node->getFloat("beta");
    bool transB = node->getInt("trans_b") != 0;
    std::vector<int64_t> bShape = b->type.shape();
    int64_t k = transB ? bShape[1] : bShape[0], n = transB ? bShape[0] : bShape[1];

    // Bias: beta * C when C is constant and the same for every row; C used
    // as is when it already is [N] and beta = 1 (works for elided values).
    ir::Value* c = node->operands.size() == 3 && beta != 0.0 ? node->operands[2] : nullptr;
    const ir::TensorData* cData = nullptr;
    bool cAsIs = false;
    if (c) {
      const ir::TensorType& ct = c->type;
      bool rowBroadcast = ct.isStatic() && ct.numElements() >= 1 &&
                          (ct.rank() == 0 || (ct.rank() == 1 && (ct.dims[0].size == n || ct.dims[0].size == 1)) ||
                           (ct.rank() == 2 && ct.dims[0].size == 1 && (ct.dims[1].size == n || ct.dims[1].size == 1)));
      if (!rowBroadcast || ct.dtype != ir::DType::F32 || !c->producer || c->producer->op != ir::OpKind::Const) return false;
      cAsIs = ct.rank() == 1 && ct.dims[0].size == n && beta == 1.0;
      cData = constantPayload(c);
      if (!cAsIs && !cData) return false;
    }
    // Weights: B itself when no change is needed (works for elided values),
    // else alpha * op(B) computed now.
    bool wAsIs = !transB && alpha == 1.0;
    const ir::TensorData* bData = constantPayload(b);
    if (!wAsIs && !bData) return false;

    ir::Value* weights = b;
    if (!wAsIs) {
      std::vector<float> w(size_t(k * n));
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j)
          w[size_t(i * n + j)] =
              float(alpha * double(transB ? bData->f32[size_t(j * k + i)] : bData->f32[size_t(i * n + j)]));
      weights = graph_.insertConstantBefore(node, ir::makeF32({k, n}, std::move(w)), b->name + "_kn");
    }
    ir::Value* bias = nullptr;
    if (c && cAsIs) {
      bias = c;
    } else if (c) {
      std::vector<float> values(static_cast<size_t>(n));
      for (int64_t j = 0; j < n; ++j)
        values[size_t(j)] = float(beta * double(cData->f32[size_t(cData->numElements() == 1 ? 0 : j)]));
      bias = graph_.insertConstantBefore(node, ir::makeF32({n}, std::move(values)), c->name + "_bias");
    }
    for (size_t i = 1; i < node->operands.size(); ++i) retired_.push_back(node->operands[i]);
    node->op = ir::OpKind::Dense;
    node->attrs.clear();
    node->operands = {node->operands[0], weights};
    if (bias) node->operands.push_back(bias);
    return true;
  }

  /// matmul(x[M,K], w[K,N]) with a constant w is dense(x, w).
  bool matmulToDense(ir::Node* node) {
    ir::Value* w = node->operands[1];
    if (node->operands[0]->type.rank() != 2 || w->type.rank() != 2 || w->type.dtype != ir::DType::F32) return false;
    if (!w->producer || w->producer->op != ir::OpKind::Const) return false;
    node->op = ir::OpKind::Dense;
    node->attrs.clear();
    return true;
  }

  // ---- batch_norm into conv ----------------------------------------------------
  bool foldBatchNorm(ir::Node* bn) {
    ir::Value* y = bn->operands[0];
    ir::Node* conv = y->producer;
    if (!conv || (conv->op != ir::OpKind::Conv2d && conv->op != ir::OpKind::FusedConv2d)) return false;
    if (graph_.useCount(y) != 1) return false;
    if (conv->op == ir::OpKind::FusedConv2d &&
        (conv->operands.size() == 4 || conv->getString("act") != "none" || ir::hasFusedPool(*conv)))
      return false;
    const ir::TensorData* w = constantPayload(conv->operands[1]);
    const ir::TensorData* b = conv->operands.size() >= 3 ? constantPayload(conv->operands[2]) : nullptr;
    if (!w || (conv->operands.size() >= 3 && !b) || w->type.rank() != 4 || w->type.dtype != ir::DType::F32) return false;
    const ir::TensorData* params[4];
    int64_t channels = w->type.shape()[0];
    for (int i = 0; i < 4; ++i) {
      params[i] = constantPayload(bn->operands[size_t(i) + 1]);
      if (!params[i] || params[i]->numElements() != channels || params[i]->type.dtype != ir::DType::F32) return false;
    }
    if (!canReplace(graph_, bn->result(), y)) return false;
    const auto& scale = params[0]->f32;
    const auto& shift = params[1]->f32;
    const auto& mean = params[2]->f32;
    const auto& var = params[3]->f32;
    double epsilon = bn->getFloat("epsilon");
    int64_t perChannel = w->numElements() / channels;
    std::vector<float> newW(w->f32.size());
    std::vector<float> newB(static_cast<size_t>(channels));
    for (int64_t k = 0; k < channels; ++k) {
      double s = double(scale[size_t(k)]) / std::sqrt(double(var[size_t(k)]) + epsilon);
      for (int64_t i = 0; i < perChannel; ++i)
        newW[size_t(k * perChannel + i)] = float(double(w->f32[size_t(k * perChannel + i)]) * s);
      double bias = b ? double(b->f32[size_t(k)]) : 0.0;
      newB[size_t(k)] = float((bias - double(mean[size_t(k)])) * s + double(shift[size_t(k)]));
    }
    for (size_t i = 1; i < conv->operands.size(); ++i) retired_.push_back(conv->operands[i]);
    for (size_t i = 1; i < bn->operands.size(); ++i) retired_.push_back(bn->operands[i]);
    ir::Value* wv = graph_.insertConstantBefore(conv, ir::makeF32(w->type.shape(), std::move(newW)),
                                                conv->operands[1]->name + "_bn");
    ir::Value* bv = graph_.insertConstantBefore(conv, ir::makeF32({channels}, std::move(newB)), bn->name() + "_bias");
    conv->operands.resize(std::max<size_t>(conv->operands.size(), 3));
    conv->operands[1] = wv;
    conv->operands[2] = bv;
    erased_.insert(bn);
    replaceNode(graph_, bn, {y});
    return true;
  }

  // ---- pad into conv -------------------------------------------------------------
  bool foldPad(ir::Node* conv) {
    ir::Value* padded = conv->operands[0];
    ir::Node* pad = padded->producer;
    if (!pad || pad->op != ir::OpKind::Pad || graph_.useCount(padded) != 1) return false;
    if (pad->getString("mode") != "constant" || pad->getFloat("value") != 0.0) return false;
    const auto& pads = pad->getInts("pads");
    if (pads.size() != 8) return false;
    // [n, c, h, w] begins then ends: only h and w, never cropping.
    if (pads[0] || pads[1] || pads[4] || pads[5]) return false;
    for (int64_t p : pads)
      if (p < 0) return false;
    std::vector<int64_t> convPads = conv->getInts("pads");
    convPads[0] += pads[2];  // top
    convPads[1] += pads[3];  // left
    convPads[2] += pads[6];  // bottom
    convPads[3] += pads[7];  // right
    conv->setAttr("pads", convPads);
    conv->operands[0] = pad->operands[0];
    retired_.push_back(padded);
    return true;
  }

  // ---- layout chains ---------------------------------------------------------------
  bool collapseLayoutChain(ir::Node* node) {
    ir::Node* inner = node->operands[0]->producer;
    if (!inner || !isLayoutOp(inner->op) || inner->operands.size() != 1) return false;
    if (node->operands.size() != 1) return false;
    const ir::TensorType& type = node->result()->type;
    if (!wellDefined(type)) return false;
    // Back to where the chain started (squeeze of unsqueeze): no op at all.
    ir::Value* source = inner->operands[0];
    if (source->type == type && canReplace(graph_, node->result(), source)) {
      retired_.push_back(node->operands[0]);
      erased_.insert(node);
      replaceNode(graph_, node, {source});
      return true;
    }
    std::vector<int64_t> shape;
    int symbols = 0;
    for (const ir::Dim& d : type.dims) {
      shape.push_back(d.isStatic() ? d.size : -1);
      symbols += d.isStatic() ? 0 : 1;
    }
    // A static 0-size dim would read as "copy" in a reshape; -1 stands for
    // at most one unknown dim.
    for (const ir::Dim& d : type.dims)
      if (d.isStatic() && d.size == 0) return false;
    if (symbols > 1) return false;
    retired_.push_back(node->operands[0]);
    node->op = ir::OpKind::Reshape;
    node->attrs.clear();
    node->setAttr("shape", shape);
    node->operands[0] = inner->operands[0];
    return true;
  }

  ir::Graph& graph_;
  std::vector<ir::Value*> retired_;
  std::unordered_set<const ir::Node*> erased_;
};

class CanonicalizePass final : public Pass {
public:
  std::string_view name() const override { return "canonicalize"; }

  Expected<bool> run(ir::Graph& graph, PassContext& context) override {
    NUTSHELL_TRY(checkOptions(name(), context, {}));
    Canonicalizer canonicalizer(graph);
    bool changed = false;
    for (int i = 0; i < kMaxSweeps && canonicalizer.sweep(); ++i) changed = true;
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> createCanonicalizePass() { return std::make_unique<CanonicalizePass>(); }

}  // namespace nutshell::passes
