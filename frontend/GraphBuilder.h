// GraphBuilder: the C++ model-building API. Code that builds a network reads
// like the network:
//
//   GraphBuilder b("lenet5");
//   auto x = b.input("x", {"N", 1, 28, 28});
//   auto h = b.tanh(b.conv2d(x, 6, {5, 5}, {.pads = {2, 2, 2, 2}}));
//   h = b.avgPool2d(h, {2, 2}, {2, 2});
//   ...
//   b.output(y, "y");
//   Expected<std::unique_ptr<ir::Graph>> g = b.finish();
//
// Every op computes its result types with the IR's shape rules as it is
// added, so a shape mistake is reported at the line that made it. Errors are
// sticky: the first one is recorded (naming the op and the operand types),
// every later call is a no-op that returns a poisoned (null) Handle, and
// finish() returns that first error. Nothing throws or aborts on bad input.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell {

/// Deterministic random numbers for weights: std::mt19937 plus our own
/// mapping to floats, so a seed gives the same weights with every standard
/// library (std::uniform_real_distribution is implementation-defined).
class WeightRng {
public:
  explicit WeightRng(uint64_t seed = 0) : engine_(static_cast<std::mt19937::result_type>(seed ^ (seed >> 32))) {}
  /// Uniform in [lo, hi).
  float uniform(float lo, float hi);

private:
  std::mt19937 engine_;
};

/// He (Kaiming) uniform bound sqrt(6 / fanIn): keeps ReLU activations' scale.
float heUniformScale(int64_t fanIn);
/// Glorot (Xavier) uniform bound sqrt(6 / (fanIn + fanOut)): for tanh/sigmoid.
float glorotUniformScale(int64_t fanIn, int64_t fanOut);

/// An f32 tensor of `shape` with values uniform in [-scale, scale).
ir::TensorDataPtr randomWeights(const std::vector<int64_t>& shape, float scale, WeightRng& rng);

// Options of the builder's ops (outside GraphBuilder so that they can be
// default arguments of its member functions).

/// conv2d attributes; empty lists keep the op's defaults (strides and
/// dilations 1, no padding). pads are [top, left, bottom, right].
struct Conv2dOptions {
  std::vector<int64_t> strides = {};
  std::vector<int64_t> pads = {};
  std::vector<int64_t> dilations = {};
  int64_t groups = 1;
};

/// Pooling attributes besides kernel and strides; empty lists keep defaults.
struct PoolOptions {
  std::vector<int64_t> pads = {};
  std::vector<int64_t> dilations = {};  // max_pool2d only
  bool ceilMode = false;
  bool countIncludePad = false;  // avg_pool2d only
};

struct LstmOptions {
  int64_t hiddenSize = 0;
  std::string direction = "forward";  // forward|reverse|bidirectional
  double clip = 0.0;                  // 0: no clipping
  bool inputForget = false;
};

/// Builds one ir::Graph op by op; see the file comment for error handling.
class GraphBuilder {
public:
  /// A value of the graph being built. Cheap to copy. A Handle is poisoned
  /// (null) when the call that made it failed, or any earlier call did.
  class Handle {
  public:
    Handle() = default;
    explicit Handle(ir::Value* value) : value_(value) {}
    explicit operator bool() const { return value_ != nullptr; }
    ir::Value* value() const { return value_; }
    /// The value's type; only for valid handles.
    const ir::TensorType& type() const { return value_->type; }

  private:
    ir::Value* value_ = nullptr;
  };

  /// One dimension of an input shape: a size (3) or a symbol ("N").
  struct Dim {
    ir::Dim dim;
    template <std::integral T>
    Dim(T size) : dim(static_cast<int64_t>(size)) {}
    Dim(const char* symbol) : dim(ir::Dim::symbolic(symbol)) {}
    Dim(std::string symbol) : dim(ir::Dim::symbolic(std::move(symbol))) {}
  };

  /// The three lstm results: all hidden states Y[T,D,B,H], last hidden
  /// state Y_h[D,B,H], last cell state Y_c[D,B,H].
  struct LstmResults {
    Handle y, yH, yC;
  };

  /// `seed` drives the builder's own WeightRng (the convenience overloads
  /// that make random weights use it).
  explicit GraphBuilder(std::string graphName, uint64_t seed = 0);
  ~GraphBuilder();
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // ---- state -------------------------------------------------------------
  bool ok() const { return !failed_; }
  /// The first error's message ("" while ok()).
  const std::string& errorMessage() const { return error_; }
  WeightRng& rng() { return rng_; }
  /// Give `h`'s value the name `name` (made unique if taken); returns h.
  Handle name(Handle h, const std::string& newName);

  // ---- graph inputs, constants, outputs -----------------------------------
  Handle input(const std::string& name, const std::vector<Dim>& dims, ir::DType dtype = ir::DType::F32);
  Handle constant(ir::TensorDataPtr data, const std::string& name = "");
  Handle constant(const std::vector<int64_t>& shape, std::vector<float> values, const std::string& name = "");
  /// A constant uniform in [-scale, scale) from the builder's WeightRng.
  Handle randomWeights(const std::vector<int64_t>& shape, float scale, const std::string& name = "");
  /// Mark `h` as a graph output, optionally renaming its value.
  void output(Handle h, const std::string& name = "");

  /// Verify the graph and hand it over, or return the first error. The
  /// builder is spent afterwards: later calls fail.
  Expected<std::unique_ptr<ir::Graph>> finish();

  // ---- convolution and pooling (NCHW, weights OIHW) -------------------------
  Handle conv2d(Handle x, Handle w, Handle bias, const Conv2dOptions& options = {});
  Handle conv2d(Handle x, Handle w, const Conv2dOptions& options = {});
  /// Random He-uniform weights [outChannels, C/groups, kh, kw] and bias.
  Handle conv2d(Handle x, int64_t outChannels, const std::vector<int64_t>& kernel,
                const Conv2dOptions& options = {});
  /// Empty `strides` keeps the op default (1), not the kernel size.
  Handle maxPool2d(Handle x, const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides = {},
                   const PoolOptions& options = {});
  Handle avgPool2d(Handle x, const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides = {},
                   const PoolOptions& options = {});
  Handle globalAvgPool(Handle x);
  Handle globalMaxPool(Handle x);

  // ---- dense algebra --------------------------------------------------------
  /// dense(x[M,K], w[K,N] [, b[N]]) -> [M,N]; w is K-major.
  Handle dense(Handle x, Handle w, Handle bias);
  Handle dense(Handle x, Handle w);
  /// Random He-uniform weights [K, units] and bias [units].
  Handle dense(Handle x, int64_t units);
  Handle matmul(Handle a, Handle b);
  /// Maxout over `pieces` linear pieces, emitted as dense -> reshape
  /// [M, N, pieces] -> reduce_max(axis 2): the pattern the fuse pass turns
  /// into one `maxout` node. w is [K, N*pieces], b [N*pieces]; output unit j
  /// takes the max over dense columns j*pieces .. j*pieces+pieces-1.
  Handle maxout(Handle x, Handle w, Handle bias, int64_t pieces);
  /// Random weights for `units` outputs of `pieces` pieces each.
  Handle maxout(Handle x, int64_t units, int64_t pieces);

  // ---- elementwise ------------------------------------------------------------
  Handle add(Handle a, Handle b);
  Handle sub(Handle a, Handle b);
  Handle mul(Handle a, Handle b);
  Handle div(Handle a, Handle b);
  Handle relu(Handle x);
  Handle leakyRelu(Handle x, double alpha = 0.01);
  Handle sigmoid(Handle x);
  Handle tanh(Handle x);
  Handle clip(Handle x, double min, double max);
  Handle exp(Handle x);
  Handle identity(Handle x);

  // ---- normalisation and reductions -----------------------------------------
  Handle softmax(Handle x, int64_t axis = -1);
  Handle logSoftmax(Handle x, int64_t axis = -1);
  /// Empty `axes` reduces all axes.
  Handle reduceMax(Handle x, const std::vector<int64_t>& axes, bool keepDims = true);
  Handle reduceMean(Handle x, const std::vector<int64_t>& axes, bool keepDims = true);
  Handle reduceSum(Handle x, const std::vector<int64_t>& axes, bool keepDims = true);
  /// Inference-form batch normalisation; scale/bias/mean/var are [C].
  Handle batchNorm(Handle x, Handle scale, Handle bias, Handle mean, Handle var, double epsilon = 1e-5);
  Handle lrn(Handle x, int64_t size, double alpha = 1e-4, double beta = 0.75, double bias = 1.0);

  // ---- layout and data movement -----------------------------------------------
  /// 0 copies the input dim, -1 is inferred.
  Handle reshape(Handle x, const std::vector<int64_t>& shape);
  Handle flatten(Handle x, int64_t axis = 1);
  /// Empty `perm` reverses the axes.
  Handle transpose(Handle x, const std::vector<int64_t>& perm = {});
  Handle concat(const std::vector<Handle>& xs, int64_t axis);
  Handle slice(Handle x, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
               const std::vector<int64_t>& axes = {}, const std::vector<int64_t>& steps = {});
  /// `pads`: all begins, then all ends (ONNX order). mode: constant|reflect|edge.
  Handle pad(Handle x, const std::vector<int64_t>& pads, const std::string& mode = "constant", double value = 0.0);

  // ---- recurrent --------------------------------------------------------------
  /// ONNX LSTM: x[T,B,I], w[D,4H,I], r[D,4H,H], b[D,8H], h0/c0[D,B,H].
  LstmResults lstm(Handle x, Handle w, Handle r, Handle b, Handle h0, Handle c0, const LstmOptions& options);
  /// Forward LSTM with random weights and zero initial states (needs a
  /// static batch dim).
  LstmResults lstm(Handle x, int64_t hiddenSize);

  /// Escape hatch: any op of the table, with explicit attributes; returns
  /// all results (empty after an error).
  std::vector<Handle> op(ir::OpKind kind, const std::vector<Handle>& operands, ir::AttrMap attrs = {});

private:
  Handle op1(ir::OpKind kind, const std::vector<Handle>& operands, ir::AttrMap attrs = {});
  Handle unary(ir::OpKind kind, Handle x, ir::AttrMap attrs = {});
  Handle pool(ir::OpKind kind, Handle x, const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
              const PoolOptions& options);
  Handle reduce(ir::OpKind kind, Handle x, const std::vector<int64_t>& axes, bool keepDims);
  /// Records `message` as the error unless one is already recorded.
  void fail(std::string message);
  /// False (recording why) when already failed, or a handle is poisoned.
  bool usable(std::string_view what, const std::vector<Handle>& operands);
  /// A constant of static shape from the builder's rng, or a poisoned handle.
  Handle randomFor(std::string_view what, const std::vector<int64_t>& shape, float scale, const std::string& base);

  std::string graphName_;
  std::unique_ptr<ir::Graph> graph_;
  WeightRng rng_;
  bool failed_ = false;
  std::string error_;
  /// Values this builder made: a Handle from another builder is an error,
  /// not a dangling pointer in this graph.
  std::unordered_set<const ir::Value*> values_;
};

}  // namespace nutshell
