// The backend seam: a backend compiles a (planned) graph into an Executable
// that maps named input tensors to named output tensors. Everything a tool or
// the host API needs from a backend goes through this header and the registry
// (backends/BackendRegistry.h): no caller names a backend's own types.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/TargetDescription.h"
#include "nutshell/Expected.h"
#include "nutshell/Tensor.h"

namespace nutshell {

/// Options every backend takes, plus settings that only some understand.
struct BackendOptions {
  /// Threads for backends that run on the host; 0 = NUTSHELL_NUM_THREADS or all cores.
  int threads = 0;
  /// Backend-specific settings by name, e.g. {"target-cpu", "znver4"} for
  /// cpu. A backend rejects a name it does not know (a typo is an error, not
  /// a setting silently ignored).
  std::map<std::string, std::string> settings;
  /// The persistent compile cache (backends/common/CompileCache.h; its
  /// folder and bound come from the environment): false bypasses it
  /// (the tools' --no-cache).
  bool cache = true;
  /// Told what a long compile is doing: a phase ("generating code",
  /// "optimizing (LLVM)", ...) and, where it counts items, `done` of
  /// `total` (both 0 otherwise). May be empty. Called on the compiling
  /// thread; the tools draw it on a terminal (tools/Progress.h).
  std::function<void(const std::string& phase, size_t done, size_t total)> progress;
};

/// A tensor in the memory an executable computes in: host memory for the
/// CPU backend, device memory for a GPU backend. Inputs and outputs kept in
/// buffers cross to and from the host only when the caller asks (upload,
/// download), so repeated runs (a benchmark, a pipeline of models) need not
/// copy every tensor through host maps.
class DeviceBuffer {
public:
  virtual ~DeviceBuffer() = default;
  virtual ElementType type() const = 0;
  virtual const std::vector<int64_t>& shape() const = 0;
  /// Copies `tensor` (same dtype and shape) into the buffer.
  virtual Status upload(const Tensor& tensor) = 0;
  /// A host copy of the contents.
  virtual Expected<Tensor> download() const = 0;
};

/// Buffers by input or output name; the caller owns them.
using BufferMap = std::map<std::string, DeviceBuffer*>;

/// A buffer in host memory: what executables that compute on the host hand
/// out, and run on without copying.
class HostBuffer final : public DeviceBuffer {
public:
  explicit HostBuffer(Tensor tensor) : tensor_(std::move(tensor)) {}
  ElementType type() const override { return tensor_.type(); }
  const std::vector<int64_t>& shape() const override { return tensor_.shape(); }
  Status upload(const Tensor& tensor) override;
  Expected<Tensor> download() const override { return tensor_; }
  Tensor& tensor() { return tensor_; }
  const Tensor& tensor() const { return tensor_; }

private:
  Tensor tensor_;
};

/// A compiled model. run() checks input names, dtypes and shapes against the
/// graph's inputs and reports mismatches as errors.
class Executable {
public:
  virtual ~Executable() = default;
  virtual Expected<TensorMap> run(const TensorMap& inputs) = 0;

  /// A zero-filled buffer in this executable's memory. Default: host memory.
  virtual Expected<std::unique_ptr<DeviceBuffer>> allocateBuffer(ElementType type,
                                                                 const std::vector<int64_t>& shape);
  /// Runs on buffers this executable allocated: `inputs` as run() checks
  /// tensors, `outputs` one per graph output with the shape it will have for
  /// these inputs; results are written into them. The default downloads the
  /// inputs, calls run() and uploads the results; backends that compute in
  /// their own memory override it to copy nothing.
  virtual Status runBuffers(const BufferMap& inputs, const BufferMap& outputs);
};

/// The wall time of one compile phase ("codegen", "optimize", "jit", ...).
struct PhaseTiming {
  std::string name;
  double ms = 0;
};

/// The time of phase `name` in `phases`, 0 if there is no such phase.
inline double phaseMs(const std::vector<PhaseTiming>& phases, const std::string& name) {
  for (const PhaseTiming& phase : phases)
    if (phase.name == name) return phase.ms;
  return 0;
}

/// What compile() produced: the executable, how long each phase took, and
/// the kernels it generated (one line each: name, op, algorithm).
struct CompileResult {
  std::unique_ptr<Executable> executable;
  /// In order. Empty when compilation waits for the first run (symbolic input
  /// shapes) and for backends with nothing to compile.
  std::vector<PhaseTiming> phases;
  std::vector<std::string> kernels;
  /// The compile cache: "hit", "miss", or "off" (bypassed, or a backend
  /// without one).
  std::string cache = "off";
  /// What the caller should hear but need not fail on: an unusable cache
  /// entry that was rebuilt, a cache that could not be written.
  std::vector<std::string> warnings;

  /// The time of phase `name`, 0 if the backend has no such phase.
  double phaseMs(const std::string& name) const { return nutshell::phaseMs(phases, name); }
};

/// A graph input or output as compiled code sees it.
struct TensorSignature {
  std::string name;
  ir::DType dtype = ir::DType::F32;
  std::vector<int64_t> shape;
};

/// The C entry points of ahead-of-time code (docs/aot.md):
///   int32_t <prefix>_run(void* const* inputs, void* const* outputs, void* workspace);
///   int64_t <prefix>_workspace_bytes(void); ..._num_inputs(void); ..._num_outputs(void);
///   const char* <prefix>_signature(void);
///   const nutshell_model_info* <prefix>_info(void);  // names, dtypes, shapes (runtime/aot/AotModel.h)
/// run() answers one of these (the header's NUTSHELL_STATUS_* values).
enum RunStatus : int32_t {
  kRunOk = 0,
  kRunNullPointer = 1,  // the inputs or outputs array, a tensor with elements, or a needed workspace is NULL
  kRunMisaligned =
      2,  // a tensor not aligned to its element size, or the workspace not to kWorkspaceAlignment
};
constexpr uint64_t kWorkspaceAlignment = 64;

/// What a run status means, for messages.
const char* runStatusText(int32_t status);

struct EntrySignature {
  std::string prefix;
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
  int64_t workspaceBytes = 0;
  /// "(%x: f32[1,1,28,28]) -> (%y: f32[1,10])"
  std::string signature;
};

/// What emit() writes.
enum class EmitFormat {
  Object,    // relocatable object file bytes
  Assembly,  // assembly text
  IrText,    // the backend's own IR after optimization (LLVM IR for cpu)
};

struct EmitRequest {
  /// Symbol prefix of the entry points (a C identifier).
  std::string prefix = "nutshell";
  EmitFormat format = EmitFormat::Object;
  /// Also define the descriptor a standalone executable's prebuilt main reads
  /// (runtime/aot/AotModel.h).
  bool standaloneDescriptor = false;
  /// The caller links what it gets (into an executable or a static library),
  /// so an Object request may be answered with several objects compiled at
  /// once on threads (EmitResult::objects).
  bool severalObjects = false;
};

/// Ahead-of-time code for one graph.
struct EmitResult {
  std::string code;
  /// Instead of `code` (then empty), where the request allowed several
  /// objects: the parts, all to be linked.
  std::vector<std::string> objects;
  EntrySignature entry;
  /// The machine the code is for, as an executable prints and checks it.
  std::string target;
  /// In order ("codegen", "optimize", "emit"), or ("cache") on a hit.
  std::vector<PhaseTiming> phases;
  std::vector<std::string> kernels;
  /// As CompileResult's.
  std::string cache = "off";
  std::vector<std::string> warnings;

  double phaseMs(const std::string& name) const { return nutshell::phaseMs(phases, name); }
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Expected<CompileResult> compile(const ir::Graph& graph, const BackendOptions& options) = 0;
  /// The machine compile() targets with these options, for the cost model
  /// (passes::PassContext::target): cores, caches, peak. The default is the
  /// reference machine's description.
  virtual Expected<TargetDescription> targetDescription(const BackendOptions& options) const {
    (void)options;
    return TargetDescription{};
  }
  /// Ahead-of-time code implementing EntrySignature's ABI, for
  /// nutshell-compile; the graph must have static shapes. A backend that only
  /// runs in process says so.
  virtual Expected<EmitResult> emit(const ir::Graph& graph, const BackendOptions& options,
                                    const EmitRequest& request) {
    (void)graph, (void)options, (void)request;
    return makeError("backend '" + name() + "' does not compile ahead of time");
  }
};

/// Error unless every key of `options.settings` is in `known`; for backends'
/// compile().
inline Status checkBackendSettings(const std::string& backend, const BackendOptions& options,
                                   const std::vector<std::string>& known) {
  for (const auto& [key, value] : options.settings) {
    bool ok = false;
    for (const std::string& k : known) ok = ok || k == key;
    if (ok) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    return makeError("backend '" + backend + "' has no setting '" + key + "'" +
                     (list.empty() ? std::string(" (it takes none)") : " (it takes: " + list + ")"));
  }
  return Status::success();
}

}  // namespace nutshell
