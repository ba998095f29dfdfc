#include "backends/cuda/CudaBackend.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>

#include <unistd.h>

#include "backends/common/BufferAssignment.h"
#include "backends/common/CompileCache.h"
#include "backends/common/ExecutableShell.h"
#include "backends/cuda/EmulatedDriver.h"
#include "backends/cuda/EmulatorShim.h"
#include "backends/cuda/ModelRenderer.h"
#include "backends/cuda/NvrtcCompiler.h"
#include "ir/ShapeInference.h"
#include "runtime/CudaDriver.h"

namespace nutshell::cuda {

int debugLevel() {
  static const int level = [] {
    const char* env = std::getenv("NUTSHELL_DEBUG");
    return env ? std::atoi(env) : 0;
  }();
  return level;
}

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// What compile() was asked for, parsed once.
struct CudaSettings {
  std::string arch = "sm_90";
  int device = 0;
  bool emulated = false;
  bool fastCompile = false;
  bool graphs = true;
};

const std::vector<std::string> kSettings = {"gpu-arch", "device", "fast-compile", "graphs"};

Expected<CudaSettings> parseSettings(const BackendOptions& options) {
  NUTSHELL_TRY(checkBackendSettings("cuda", options, kSettings));
  CudaSettings s;
  auto get = [&](const std::string& key) -> const std::string* {
    auto it = options.settings.find(key);
    return it == options.settings.end() ? nullptr : &it->second;
  };
  const char* envDevice = std::getenv("NUTSHELL_CUDA_DEVICE");
  std::string device = get("device") ? *get("device") : (envDevice && *envDevice ? envDevice : "0");
  if (device == "emulated") {
    s.emulated = true;
  } else {
    char* end = nullptr;
    long ordinal = std::strtol(device.c_str(), &end, 10);
    if (device.empty() || *end || ordinal < 0)
      return makeError("cuda backend: device '" + device + "' is not a device number or 'emulated'");
    s.device = int(ordinal);
  }
  if (const std::string* arch = get("gpu-arch")) s.arch = *arch;
  if (const std::string* fast = get("fast-compile")) s.fastCompile = *fast == "1" || *fast == "on";
  if (const std::string* graphs = get("graphs")) s.graphs = !(*graphs == "0" || *graphs == "off");
  return s;
}

std::string hexKey(const std::string& text) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%016llx%016llx",
                static_cast<unsigned long long>(common::checksum64(text)),
                static_cast<unsigned long long>(common::checksum64("nutshell-cuda:" + text)));
  return buffer;
}

/// One compiled variant on the device: module, buffers, launch arguments.
class DeviceModel {
public:
  ~DeviceModel() {
    if (!driver) return;
    const DriverTable& api = driver->api();
    if (graph) api.graphExecDestroy(graph);
    for (CUdeviceptr p : allocations) api.memFree(p);
    if (stream) api.streamDestroy(stream);
    if (module) api.moduleUnload(module);
    if (context) api.devicePrimaryCtxRelease(device);
  }

  std::shared_ptr<CudaDriver> driver;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  CUmodule module = nullptr;
  RenderedModel model;
  std::vector<CUfunction> functions;  // per launch
  std::vector<CUdeviceptr> allocations;
  std::vector<CUdeviceptr> constants, inputs, outputs;
  CUdeviceptr arena = 0;
  /// Per launch: the parameter values and pointers to them (cuLaunchKernel's form).
  std::vector<std::vector<CUdeviceptr>> argValues;
  std::vector<std::vector<void*>> argPointers;
  bool useGraphs = true;
  CUgraphExec graph = nullptr;
  int runs = 0;
  std::mutex mutex;

  Expected<CUdeviceptr> allocate(size_t bytes, const std::string& what) {
    CUdeviceptr p = 0;
    NUTSHELL_TRY(
        driver->check(driver->api().memAlloc(&p, std::max<size_t>(bytes, 4)), "cuMemAlloc of " + what));
    allocations.push_back(p);
    return p;
  }

  CUdeviceptr pointerOf(const KernelArg& arg) const {
    switch (arg.kind) {
      case KernelArg::Input: return inputs[size_t(arg.index)];
      case KernelArg::Output: return outputs[size_t(arg.index)];
      case KernelArg::Constant: return constants[size_t(arg.index)];
      case KernelArg::Arena: break;
    }
    return arena + CUdeviceptr(arg.offset);
  }

  Status launchAll() {
    const DriverTable& api = driver->api();
    for (size_t i = 0; i < model.plan.launches.size(); ++i) {
      const KernelLaunch& l = model.plan.launches[i];
      NUTSHELL_TRY(driver->check(
          api.launchKernel(functions[i], l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2],
                           l.sharedBytes, stream, argPointers[i].data(), nullptr),
          "cuLaunchKernel of " + l.kernel));
    }
    return Status::success();
  }

  /// Inputs in, the plan (a graph replay from the second run on), outputs out.
  Status run(const std::vector<const void*>& hostInputs, const std::vector<void*>& hostOutputs) {
    std::lock_guard<std::mutex> lock(mutex);
    const DriverTable& api = driver->api();
    NUTSHELL_TRY(driver->check(api.ctxSetCurrent(context), "cuCtxSetCurrent"));
    for (size_t i = 0; i < hostInputs.size(); ++i)
      NUTSHELL_TRY(driver->check(api.memcpyHtoD(inputs[i], hostInputs[i], byteSize(model.inputs[i])),
                                 "cuMemcpyHtoD of input '" + model.inputs[i].name + "'"));
    if (useGraphs && runs >= 1 && !graph) NUTSHELL_TRY(capture());
    if (graph)
      NUTSHELL_TRY(driver->check(api.graphLaunch(graph, stream), "cuGraphLaunch"));
    else
      NUTSHELL_TRY(launchAll());
    NUTSHELL_TRY(driver->check(api.streamSynchronize(stream), "running the model (cuStreamSynchronize)"));
    for (const OutputCopy& copy : model.plan.outputCopies)
      NUTSHELL_TRY(driver->check(
          api.memcpyDtoD(outputs[size_t(copy.output)], pointerOf(copy.from), size_t(copy.bytes)),
          "cuMemcpyDtoD of an output"));
    for (size_t i = 0; i < hostOutputs.size(); ++i)
      NUTSHELL_TRY(driver->check(api.memcpyDtoH(hostOutputs[i], outputs[i], byteSize(model.outputs[i])),
                                 "cuMemcpyDtoH of output '" + model.outputs[i].name + "'"));
    ++runs;
    return Status::success();
  }

  static size_t byteSize(const TensorSignature& t) {
    size_t n = ir::elementSize(t.dtype);
    for (int64_t d : t.shape) n *= size_t(d);
    return n;
  }

private:
  /// Records the launches into a CUDA graph (relaxed capture mode: only
  /// this stream's kernels are in it; copies stay outside).
  Status capture() {
    const DriverTable& api = driver->api();
    constexpr int kCaptureModeRelaxed = 2;
    NUTSHELL_TRY(driver->check(api.streamBeginCapture(stream, kCaptureModeRelaxed), "cuStreamBeginCapture"));
    Status launched = launchAll();
    CUgraph captured = nullptr;
    Status ended = driver->check(api.streamEndCapture(stream, &captured), "cuStreamEndCapture");
    NUTSHELL_TRY(launched);
    NUTSHELL_TRY(ended);
    Status made = driver->check(api.graphInstantiateWithFlags(&graph, captured, 0), "cuGraphInstantiate");
    api.graphDestroy(captured);
    return made;
  }
};

struct CompileReport {
  std::vector<PhaseTiming> phases;
  std::vector<std::string> kernels;
  std::string cache = "off";
  std::vector<std::string> warnings;
};

/// The module image: a cubin from NVRTC, or the emulator's shared object,
/// from the compile cache when it has it.
Expected<std::string> moduleImage(const RenderedModel& model, const CudaSettings& settings,
                                  const common::CompileCache& cache, CompileReport& report) {
  auto start = Clock::now();
  std::string kind = settings.emulated ? "cuda-emulator" : "cuda-cubin";
  std::string key;
  if (cache.enabled()) {
    std::string compiler;
    if (settings.emulated) {
      // The shim is part of what the shared object is made of.
      compiler = emulatorCompileCommand() + "\n" + emulatorShimSource();
    } else {
      NUTSHELL_ASSIGN(std::string version, nvrtcVersion());
      NvrtcOptions options{settings.arch, settings.fastCompile, false};
      compiler = "nvrtc " + version + " " + nvrtcOptionText(options);
    }
    key = hexKey(compiler + "\n" + settings.arch + "\n" + model.source);
    common::CacheLookup found = cache.load(kind, key);
    if (!found.warning.empty()) report.warnings.push_back(found.warning);
    if (found.payload) {
      report.cache = "hit";
      report.phases.push_back({"cache", msSince(start)});
      if (debugLevel() >= 1)
        std::fprintf(stderr, "[cuda] compile cache hit: %s\n", cache.entryPath(kind, key).c_str());
      return std::move(*found.payload);
    }
    report.cache = "miss";
    report.phases.push_back({"cache", msSince(start)});
  }
  start = Clock::now();
  std::string image;
  if (settings.emulated) {
    NUTSHELL_ASSIGN(image, compileForEmulator(model.source));
  } else {
    NUTSHELL_ASSIGN(NvrtcOutput out,
                    compileWithNvrtc(model.source, "model.cu", {settings.arch, settings.fastCompile, false}));
    if (!out.log.empty()) report.warnings.push_back("NVRTC: " + out.log);
    image = std::move(out.cubin);
  }
  double compileMs = msSince(start);
  report.phases.push_back({settings.emulated ? "host-compile" : "nvrtc", compileMs});
  if (debugLevel() >= 1)
    std::fprintf(stderr, "[cuda] %s: %.1f ms, %zu bytes\n",
                 settings.emulated ? "host compile (emulator)" : "NVRTC", compileMs, image.size());
  if (cache.enabled()) {
    Status stored = cache.store(kind, key, image);
    if (!stored) report.warnings.push_back(stored.message() + " (the compile is not cached)");
  }
  return image;
}

/// Loads the image: the emulator's is a file path (the shared object is
/// written to a temporary file the driver opens).
Expected<CUmodule> loadModule(CudaDriver& driver, const std::string& image) {
  CUmodule module = nullptr;
  if (!driver.emulated()) {
    NUTSHELL_TRY(driver.check(driver.api().moduleLoadData(&module, image.data()), "cuModuleLoadData"));
    return module;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/nutshell-cuda-emu-XXXXXX.so";
  int fd = mkstemps(path.data(), 3);
  if (fd < 0) return makeError("cuda emulator: cannot write the module to " + path);
  close(fd);
  std::ofstream(path, std::ios::binary).write(image.data(), std::streamsize(image.size()));
  CUresult loaded = driver.api().moduleLoadData(&module, path.c_str());
  std::remove(path.c_str());
  NUTSHELL_TRY(driver.check(loaded, "cuModuleLoadData"));
  return module;
}

Expected<std::unique_ptr<DeviceModel>> compileVariant(const ir::Graph& graph, const CudaSettings& settings,
                                                      const common::CompileCache& cache,
                                                      CompileReport& report) {
  // The device first: without one there is nothing to compile for.
  std::shared_ptr<CudaDriver> driver;
  if (settings.emulated) {
    NUTSHELL_ASSIGN(driver, emulatedDriver());
  } else {
    NUTSHELL_ASSIGN(driver, CudaDriver::load());
  }
  if (!settings.emulated) NUTSHELL_TRY(normalizeGpuArch(settings.arch));
  auto start = Clock::now();
  std::unique_ptr<ir::Graph> planned;
  NUTSHELL_ASSIGN(const ir::Graph* withPlan, common::withMemoryPlan(graph, planned));
  NUTSHELL_ASSIGN(RenderedModel model, renderModel(*withPlan));
  report.phases.push_back({"render", msSince(start)});
  report.kernels = model.kernels;
  if (debugLevel() >= 1)
    std::fprintf(stderr, "[cuda] render: %zu kernels, %zu launches, arena %lld bytes (%.1f ms)\n",
                 model.kernels.size(), model.plan.launches.size(),
                 static_cast<long long>(model.plan.arenaBytes), msSince(start));
  if (debugLevel() >= 2)
    for (const std::string& line : model.kernels) std::fprintf(stderr, "[cuda]   %s\n", line.c_str());
  if (debugLevel() >= 4) std::fprintf(stderr, "[cuda] CUDA source:\n%s\n", model.source.c_str());
  NUTSHELL_ASSIGN(std::string image, moduleImage(model, settings, cache, report));

  start = Clock::now();
  auto dm = std::make_unique<DeviceModel>();
  dm->driver = driver;
  dm->useGraphs = settings.graphs;
  const DriverTable& api = driver->api();
  int count = 0;
  NUTSHELL_TRY(driver->check(api.deviceGetCount(&count), "cuDeviceGetCount"));
  if (settings.device >= count)
    return makeError("cuda backend: no device " + std::to_string(settings.device) + " (this machine has " +
                     std::to_string(count) + ")");
  NUTSHELL_TRY(driver->check(api.deviceGet(&dm->device, settings.device), "cuDeviceGet"));
  NUTSHELL_TRY(
      driver->check(api.devicePrimaryCtxRetain(&dm->context, dm->device), "cuDevicePrimaryCtxRetain"));
  NUTSHELL_TRY(driver->check(api.ctxSetCurrent(dm->context), "cuCtxSetCurrent"));
  NUTSHELL_TRY(driver->check(api.streamCreate(&dm->stream, 0), "cuStreamCreate"));
  NUTSHELL_ASSIGN(dm->module, loadModule(*driver, image));
  for (const KernelLaunch& launch : model.plan.launches) {
    CUfunction f = nullptr;
    NUTSHELL_TRY(driver->check(api.moduleGetFunction(&f, dm->module, launch.kernel.c_str()),
                               "cuModuleGetFunction(" + launch.kernel + ")"));
    dm->functions.push_back(f);
  }
  // Weights uploaded once; inputs, outputs and the arena allocated once per variant.
  for (const ir::TensorDataPtr& c : model.constants) {
    const void* data =
        c->type.dtype == ir::DType::F32 ? static_cast<const void*>(c->f32.data()) : c->i64.data();
    size_t bytes = size_t(c->numElements()) * ir::elementSize(c->type.dtype);
    NUTSHELL_ASSIGN(CUdeviceptr p, dm->allocate(bytes, "a constant"));
    NUTSHELL_TRY(driver->check(api.memcpyHtoD(p, data, bytes), "cuMemcpyHtoD of a constant"));
    dm->constants.push_back(p);
  }
  for (const TensorSignature& t : model.inputs) {
    NUTSHELL_ASSIGN(CUdeviceptr p, dm->allocate(DeviceModel::byteSize(t), "input '" + t.name + "'"));
    dm->inputs.push_back(p);
  }
  for (const TensorSignature& t : model.outputs) {
    NUTSHELL_ASSIGN(CUdeviceptr p, dm->allocate(DeviceModel::byteSize(t), "output '" + t.name + "'"));
    dm->outputs.push_back(p);
  }
  NUTSHELL_ASSIGN(dm->arena, dm->allocate(size_t(model.plan.arenaBytes), "the arena"));
  dm->model = std::move(model);
  for (const KernelLaunch& launch : dm->model.plan.launches) {
    std::vector<CUdeviceptr> values;
    for (const KernelArg& arg : launch.args) values.push_back(dm->pointerOf(arg));
    dm->argValues.push_back(std::move(values));
  }
  for (std::vector<CUdeviceptr>& values : dm->argValues) {
    std::vector<void*> pointers;
    for (CUdeviceptr& v : values) pointers.push_back(&v);
    dm->argPointers.push_back(std::move(pointers));
  }
  report.phases.push_back({"load", msSince(start)});
  if (debugLevel() >= 1)
    std::fprintf(stderr, "[cuda] loaded on %s (%.1f ms)\n", driver->description().c_str(), msSince(start));
  return dm;
}

class CudaExecutable final : public Executable {
public:
  CudaExecutable(std::unique_ptr<ir::Graph> graph, CudaSettings settings, common::CompileCache cache)
      : graph_(std::move(graph)), settings_(std::move(settings)), cache_(std::move(cache)) {}

  Status compileEagerly(CompileReport& report) {
    for (const ir::Value* input : graph_->inputs)
      if (!input->type.isStatic()) return Status::success();  // compiled per shape on first run
    NUTSHELL_ASSIGN(auto compiled, compileVariant(*graph_, settings_, cache_, report));
    variants_.put(common::shapeKey(specs_), std::move(compiled));
    return Status::success();
  }

  Expected<TensorMap> run(const TensorMap& inputs) override {
    common::ProvidedMap given = common::provided(inputs);
    NUTSHELL_TRY(common::checkInputs(specs_, given));
    std::string key = common::shapeKey(specs_, given);
    NUTSHELL_ASSIGN(DeviceModel * dm, variants_.get(key, [&]() -> Expected<std::unique_ptr<DeviceModel>> {
      std::unique_ptr<ir::Graph> bound = graph_->clone();
      NUTSHELL_TRY(ir::bindInputShapes(*bound, common::inputShapes(specs_, given)));
      CompileReport ignored;
      return compileVariant(*bound, settings_, cache_, ignored);
    }));
    std::vector<const void*> hostInputs;
    for (const ir::Value* input : graph_->inputs) hostInputs.push_back(inputs.at(input->name).data());
    std::vector<Tensor> outputs;
    std::vector<void*> hostOutputs;
    for (const TensorSignature& out : dm->model.outputs) {
      NUTSHELL_ASSIGN(Tensor t, Tensor::allocate(common::elementTypeOf(out.dtype), out.shape,
                                                 "output '" + out.name + "'"));
      outputs.push_back(std::move(t));
    }
    for (Tensor& t : outputs) hostOutputs.push_back(t.data());
    NUTSHELL_TRY(dm->run(hostInputs, hostOutputs));
    TensorMap result;
    for (size_t j = 0; j < outputs.size(); ++j)
      result.emplace(dm->model.outputs[j].name, std::move(outputs[j]));
    return result;
  }

private:
  std::unique_ptr<ir::Graph> graph_;
  CudaSettings settings_;
  common::CompileCache cache_;
  std::vector<common::TensorSpec> specs_ = common::inputSpecs(*graph_);
  common::VariantCache<DeviceModel> variants_;
};

class CudaBackend final : public Backend {
public:
  std::string name() const override { return "cuda"; }

  Expected<CompileResult> compile(const ir::Graph& graph, const BackendOptions& options) override {
    NUTSHELL_ASSIGN(CudaSettings settings, parseSettings(options));
    common::CacheSettings cacheSettings = common::CacheSettings::fromEnvironment();
    cacheSettings.enabled = cacheSettings.enabled && options.cache;
    auto executable = std::make_unique<CudaExecutable>(graph.clone(), settings,
                                                       common::CompileCache(std::move(cacheSettings)));
    CompileReport report;
    NUTSHELL_TRY(executable->compileEagerly(report));
    CompileResult result;
    result.executable = std::move(executable);
    result.phases = std::move(report.phases);
    result.kernels = std::move(report.kernels);
    result.cache = report.cache;
    result.warnings = std::move(report.warnings);
    return result;
  }

  /// Ahead of time: the CUDA source (EmitFormat::IrText, nutshell-compile
  /// --emit=cuda). A standalone GPU executable is later work.
  Expected<EmitResult> emit(const ir::Graph& graph, const BackendOptions& options,
                            const EmitRequest& request) override {
    NUTSHELL_ASSIGN(CudaSettings settings, parseSettings(options));
    if (request.format != EmitFormat::IrText)
      return makeError(
          "backend 'cuda' emits its CUDA source only (--emit=cuda); objects and executables are not written "
          "yet");
    auto start = Clock::now();
    std::unique_ptr<ir::Graph> planned;
    NUTSHELL_ASSIGN(const ir::Graph* withPlan, common::withMemoryPlan(graph, planned));
    NUTSHELL_ASSIGN(RenderedModel model, renderModel(*withPlan));
    EmitResult result;
    result.code = model.source;
    result.target = "cuda " + settings.arch;
    result.kernels = model.kernels;
    result.entry.prefix = request.prefix;
    result.entry.inputs = model.inputs;
    result.entry.outputs = model.outputs;
    result.entry.workspaceBytes = model.plan.arenaBytes;
    result.phases.push_back({"render", msSince(start)});
    return result;
  }
};

}  // namespace

std::unique_ptr<Backend> createCudaBackend() {
  return std::make_unique<CudaBackend>();
}

}  // namespace nutshell::cuda
