// What every compiled model does around its kernels, whatever the backend:
// check the inputs it is given against the graph's (names, dtypes, shapes,
// with one message for each mistake), check the output buffers a caller
// provides, and keep one compiled variant per set of input shapes for graphs
// whose inputs have symbolic dims. The host API uses the same pieces, so a
// user sees the same errors from every layer.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/Backend.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"

namespace nutshell::common {

/// One graph input or output as run() checks it.
struct TensorSpec {
  std::string name;
  ElementType type = ElementType::F32;
  std::vector<int64_t> shape;  // -1 for a symbolic dim
  std::string typeText;        // the IR type, "f32[N,3,224,224]"

  /// "'x' f32[N,3,224,224]"
  std::string str() const { return "'" + name + "' " + typeText; }
};

/// The host element type of an IR element type (one for one), and back.
ElementType elementTypeOf(ir::DType dtype);
ir::DType dtypeOf(ElementType type);
/// A host tensor as an IR constant payload of the same type (a value bound
/// at compile time: --bind, CompileOptions::bindings, the ONNX test runner).
ir::TensorDataPtr tensorData(const Tensor& tensor);
std::vector<TensorSpec> inputSpecs(const ir::Graph& graph);
/// The outputs of compiled code (static shapes).
std::vector<TensorSpec> outputSpecs(const std::vector<TensorSignature>& outputs);

/// What a caller passed for one input: a tensor's or a buffer's dtype and shape.
struct Provided {
  ElementType type = ElementType::F32;
  std::vector<int64_t> shape;
};
using ProvidedMap = std::map<std::string, Provided>;

ProvidedMap provided(const TensorMap& tensors);
/// Errors on a null buffer.
Expected<ProvidedMap> provided(const BufferMap& buffers);

/// Every input given exactly once, no unknown names, dtypes and static dims
/// as declared. The errors:
///   'image' is not an input of the model (inputs: 'x' f32[1,1,28,28])
///   missing input 'x' f32[1,1,28,28] (inputs: 'x' f32[1,1,28,28])
///   input 'x' has shape [1,28,28], expected 'x' f32[1,1,28,28]
///   input 'x' has dtype i64, expected 'x' f32[1,1,28,28]
Status checkInputs(const std::vector<TensorSpec>& specs, const ProvidedMap& inputs);
inline Status checkInputs(const std::vector<TensorSpec>& specs, const TensorMap& inputs) {
  return checkInputs(specs, provided(inputs));
}

/// One buffer per output, of its dtype and shape, none of them an input's
/// buffer or another output's (kernels would read what they overwrite).
Status checkOutputBuffers(const std::vector<TensorSpec>& specs, const BufferMap& outputs,
                          const BufferMap& inputs);

/// The inputs' shapes by name (after checkInputs), for binding symbolic dims.
std::map<std::string, std::vector<int64_t>> inputShapes(const std::vector<TensorSpec>& specs,
                                                        const ProvidedMap& inputs);

/// "[1,3,224,224];[1];": the variant cache's key.
std::string shapeKey(const std::vector<TensorSpec>& specs, const ProvidedMap& inputs);
inline std::string shapeKey(const std::vector<TensorSpec>& specs, const TensorMap& inputs) {
  return shapeKey(specs, provided(inputs));
}
/// The key of the declared shapes (for a graph whose inputs are all static).
std::string shapeKey(const std::vector<TensorSpec>& specs);

/// Compiled variants by key, made on first use. Safe to call from several
/// threads; a variant is compiled once.
template <class Variant>
class VariantCache {
public:
  using Make = std::function<Expected<std::unique_ptr<Variant>>()>;

  Expected<Variant*> get(const std::string& key, const Make& make) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = variants_.find(key);
    if (it != variants_.end()) return it->second.get();
    NUTSHELL_ASSIGN(std::unique_ptr<Variant> made, make());
    Variant* raw = made.get();
    variants_.emplace(key, std::move(made));
    return raw;
  }

  void put(const std::string& key, std::unique_ptr<Variant> variant) {
    std::lock_guard<std::mutex> lock(mutex_);
    variants_[key] = std::move(variant);
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return variants_.size();
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Variant>> variants_;
};

}  // namespace nutshell::common
