#include "backends/cpu/CpuBackend.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <unistd.h>

#include "backends/common/BufferAssignment.h"
#include "backends/common/CompileCache.h"
#include "backends/common/ExecutableShell.h"
#include "backends/cpu/HostConstants.h"
#include "backends/cpu/Jit.h"
#include "backends/cpu/JitCache.h"
#include "backends/cpu/ModelDescriptor.h"
#include "backends/cpu/ModuleBuilder.h"
#include "backends/cpu/ObjectEmitter.h"
#include "backends/cpu/ParallelCodegen.h"
#include "ir/ShapeInference.h"
#include "nutshell/MemoryLimit.h"
#include "runtime/ThreadPool.h"

namespace nutshell::cpu {

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

using RunFn = int32_t (*)(void* const*, void* const*, void*);

/// What the eager compile reports through CompileResult.
struct CompileReport {
  std::vector<PhaseTiming> phases;
  std::vector<std::string> kernels;
  std::string cache = "off";  // "hit", "miss" or "off"
  std::vector<std::string> warnings;
};

/// One JIT-compiled module: its entry and its workspace.
struct CompiledModule {
  /// Weights the code reads in place (declared before `jit`: outlives it).
  std::shared_ptr<HostConstants> hostConstants;
  std::unique_ptr<Jit> jit;
  RunFn run = nullptr;
  ModuleInfo info;
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, FreeDeleter> workspace;
  std::mutex mutex;  // one run at a time per workspace
};

constexpr std::string_view kCacheKind = "cpu-jit";

/// Object code, its constants and its signature made runnable: linked into
/// a JIT, constants defined at their host addresses, workspace allocated.
Expected<std::unique_ptr<CompiledModule>> link(const TargetInfo& target, ModuleInfo info,
                                               std::shared_ptr<HostConstants> constants,
                                               const std::vector<std::string>& objects) {
  NUTSHELL_TRY(checkAllocation(uint64_t(std::max<int64_t>(info.workspaceBytes, 64)),
                               "the cpu backend's workspace (intermediate values)"));
  auto compiled = std::make_unique<CompiledModule>();
  NUTSHELL_ASSIGN(compiled->jit, Jit::create(target));
  if (constants) {
    std::vector<std::pair<std::string, const void*>> symbols;
    for (const HostConstants::Entry& entry : constants->entries())
      symbols.emplace_back(entry.symbol, entry.data);
    NUTSHELL_TRY(compiled->jit->defineSymbols(symbols));
    compiled->hostConstants = std::move(constants);
  }
  for (const std::string& object : objects) NUTSHELL_TRY(compiled->jit->addObject(object));
  NUTSHELL_ASSIGN(void* entry, compiled->jit->lookup(info.prefix + "_run"));
  compiled->run = reinterpret_cast<RunFn>(entry);
  compiled->info = std::move(info);
  size_t bytes = static_cast<size_t>(std::max<int64_t>(compiled->info.workspaceBytes, 64));
  compiled->workspace.reset(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
  if (!compiled->workspace)
    return makeError(fmt::format("cpu backend: cannot allocate a {}-byte workspace", bytes));
  return compiled;
}

/// The module of `graph` from the compile cache, or null on a miss (an
/// unusable entry is a warning in `report` and a miss).
Expected<std::unique_ptr<CompiledModule>> fromCache(const common::CompileCache& cache, const std::string& key,
                                                    const TargetInfo& target, CompileReport& report) {
  common::CacheLookup found = cache.load(kCacheKind, key);
  if (!found.warning.empty()) report.warnings.push_back(found.warning);
  if (!found.payload) return std::unique_ptr<CompiledModule>();
  Expected<CachedModule> cached = deserializeCachedModule(*found.payload);
  if (!cached) {
    report.warnings.push_back(
        fmt::format("compile cache: the entry '{}' is unusable ({}); the model is compiled again",
                    cache.entryPath(kCacheKind, key), cached.message()));
    return std::unique_ptr<CompiledModule>();
  }
  return link(target, std::move(cached->info), std::move(cached->hostConstants), cached->objects);
}

using ProgressFn = std::function<void(const std::string&, size_t, size_t)>;

Expected<std::unique_ptr<CompiledModule>> compileModule(const ir::Graph& graph, const TargetInfo& target,
                                                        const std::string& perturbValue,
                                                        const common::CompileCache& cache,
                                                        CompileReport* report,
                                                        const ProgressFn& progress = {}) {
  auto tell = [&](const std::string& phase, size_t done = 0, size_t total = 0) {
    if (progress) progress(phase, done, total);
  };
  CompileReport ignored;
  CompileReport& out = report ? *report : ignored;
  int debug = debugLevel();
  auto start = Clock::now();
  std::unique_ptr<ir::Graph> planned;
  NUTSHELL_ASSIGN(const ir::Graph* withPlan, common::withMemoryPlan(graph, planned));
  std::string key;
  if (cache.enabled()) {
    key = jitCacheKey(*withPlan, target, perturbValue);
    NUTSHELL_ASSIGN(std::unique_ptr<CompiledModule> hit, fromCache(cache, key, target, out));
    if (hit) {
      out.cache = "hit";
      out.phases = {{"cache", msSince(start)}};
      out.kernels = hit->info.kernels;
      if (debug >= 1)
        std::fprintf(stderr, "[cpu] compile cache hit: %s (%.1f ms)\n",
                     cache.entryPath(kCacheKind, key).c_str(), msSince(start));
      return hit;
    }
    out.cache = "miss";
  }
  double lookupMs = msSince(start);

  start = Clock::now();
  ModuleOptions moduleOptions;
  moduleOptions.externalConstants = true;
  moduleOptions.perturbValue = perturbValue;
  if (progress)
    moduleOptions.onNodeEmitted = [&](size_t done, size_t total) {
      tell("generating code: node", done, total);
    };
  NUTSHELL_ASSIGN(BuiltModule built, buildModule(*withPlan, target, moduleOptions));
  double codegenMs = msSince(start);
  // Before LLVM spends seconds on a model that cannot run here.
  NUTSHELL_TRY(checkAllocation(uint64_t(std::max<int64_t>(built.info.workspaceBytes, 64)),
                               "the cpu backend's workspace (intermediate values)"));
  if (debug >= 1)
    std::fprintf(stderr, "[cpu] codegen: %zu kernels, workspace %lld bytes, %zu constant bytes in host memory, target %s (%.1f ms)\n",
                 built.info.kernels.size(), static_cast<long long>(built.info.workspaceBytes),
                 built.hostConstants ? built.hostConstants->totalBytes() : size_t(0), describeTarget(target).c_str(), codegenMs);
  if (debug >= 2)
    for (const std::string& line : built.info.kernels) std::fprintf(stderr, "[cpu]   %s\n", line.c_str());
  if (debug >= 3) std::fprintf(stderr, "[cpu] LLVM IR before optimization:\n%s\n", moduleText(*built.module).c_str());

  // O3 and machine code, on several threads (ParallelCodegen.h): objects
  // linked into the JIT, the same bytes the cache keeps, so a hit runs
  // exactly what a miss ran. The IR dump wants the one optimized module.
  start = Clock::now();
  unsigned parts = debug >= 4 ? 1 : defaultCompileThreads();
  tell("optimizing and generating machine code (LLVM O3, " + std::to_string(built.info.kernels.size()) +
       " kernels, " + std::to_string(parts) + " thread" + (parts == 1 ? "" : "s") + ")");
  NUTSHELL_ASSIGN(std::vector<std::string> objects, compileToObjects(*built.module, target, parts));
  double optimizeMs = msSince(start);
  if (debug >= 1)
    std::fprintf(stderr, "[cpu] LLVM O3 and machine code: %.1f ms (%zu objects)\n", optimizeMs,
                 objects.size());
  if (debug >= 4) std::fprintf(stderr, "[cpu] LLVM IR after optimization:\n%s\n", moduleText(*built.module).c_str());

  start = Clock::now();
  if (cache.enabled()) {
    Status stored =
        cache.store(kCacheKind, key, serializeCachedModule(built.info, built.hostConstants.get(), objects));
    if (!stored) out.warnings.push_back(stored.message() + " (the compile is not cached)");
  }
  NUTSHELL_ASSIGN(auto compiled,
                  link(target, std::move(built.info), std::move(built.hostConstants), objects));
  double jitMs = msSince(start);
  if (debug >= 1) std::fprintf(stderr, "[cpu] JIT: %.1f ms\n", jitMs);
  out.phases = {{"codegen", codegenMs}, {"optimize", optimizeMs}, {"jit", jitMs}};
  if (cache.enabled()) out.phases.insert(out.phases.begin(), {"cache", lookupMs});
  out.kernels = compiled->info.kernels;
  return compiled;
}

class CpuExecutable final : public Executable {
public:
  CpuExecutable(std::unique_ptr<ir::Graph> graph, TargetInfo target, int threads, std::string perturbValue,
                common::CompileCache cache)
      : graph_(std::move(graph)),
        target_(std::move(target)),
        threads_(threads),
        perturbValue_(std::move(perturbValue)),
        cache_(std::move(cache)) {}

  Status compileEagerly(CompileReport* report, const ProgressFn& progress) {
    for (const ir::Value* input : graph_->inputs)
      if (!input->type.isStatic()) return Status::success();  // compiled per shape on first run
    NUTSHELL_ASSIGN(auto compiled, compileModule(*graph_, target_, perturbValue_, cache_, report, progress));
    variants_.put(common::shapeKey(specs_), std::move(compiled));
    return Status::success();
  }

  Expected<TensorMap> run(const TensorMap& inputs) override {
    common::ProvidedMap given = common::provided(inputs);
    NUTSHELL_TRY(common::checkInputs(specs_, given));
    NUTSHELL_ASSIGN(CompiledModule * compiled, variantFor(given));
    std::vector<void*> inputPointers;
    for (const ir::Value* input : graph_->inputs) inputPointers.push_back(const_cast<void*>(inputs.at(input->name).data()));
    std::vector<Tensor> outputs;
    std::vector<void*> outputPointers;
    for (const TensorSignature& out : compiled->info.outputs) {
      NUTSHELL_ASSIGN(Tensor t, Tensor::allocate(common::elementTypeOf(out.dtype), out.shape,
                                                 "output '" + out.name + "'"));
      outputs.push_back(std::move(t));
    }
    for (Tensor& t : outputs) outputPointers.push_back(t.data());
    NUTSHELL_TRY(execute(*compiled, inputPointers, outputPointers));
    TensorMap result;
    for (size_t j = 0; j < outputs.size(); ++j) result.emplace(compiled->info.outputs[j].name, std::move(outputs[j]));
    return result;
  }

  /// Host buffers are the memory the kernels compute in: no copies.
  Status runBuffers(const BufferMap& inputs, const BufferMap& outputs) override {
    NUTSHELL_ASSIGN(common::ProvidedMap given, common::provided(inputs));
    NUTSHELL_TRY(common::checkInputs(specs_, given));
    NUTSHELL_ASSIGN(CompiledModule * compiled, variantFor(given));
    NUTSHELL_TRY(common::checkOutputBuffers(common::outputSpecs(compiled->info.outputs), outputs, inputs));
    auto hostPointer = [](const std::string& name, DeviceBuffer* buffer) -> Expected<void*> {
      auto* host = dynamic_cast<HostBuffer*>(buffer);
      if (!host)
        return makeError(
            fmt::format("the buffer for '{}' is not host memory; allocate it with this executable's "
                        "allocateBuffer",
                        name));
      return host->tensor().data();
    };
    std::vector<void*> inputPointers, outputPointers;
    for (const ir::Value* input : graph_->inputs) {
      NUTSHELL_ASSIGN(void* pointer, hostPointer(input->name, inputs.at(input->name)));
      inputPointers.push_back(pointer);
    }
    for (const TensorSignature& out : compiled->info.outputs) {
      NUTSHELL_ASSIGN(void* pointer, hostPointer(out.name, outputs.at(out.name)));
      outputPointers.push_back(pointer);
    }
    return execute(*compiled, inputPointers, outputPointers);
  }

private:
  Status execute(CompiledModule& compiled, const std::vector<void*>& inputs,
                 const std::vector<void*>& outputs) {
    std::lock_guard<std::mutex> lock(compiled.mutex);
    // threads 0: whatever the calling thread asked for (setNumThreads),
    // else NUTSHELL_NUM_THREADS or all cores.
    ScopedNumThreads threads(threads_ > 0 ? threads_ : numThreads());
    int32_t status = compiled.run(inputs.data(), outputs.data(), compiled.workspace.get());
    if (status != kRunOk)
      return makeError(
          fmt::format("cpu backend: the compiled model refused its arguments: {}", runStatusText(status)));
    return Status::success();
  }

  /// The module for these inputs' shapes: the one compiled eagerly, or one
  /// per shape set compiled on first use (symbolic input dims).
  Expected<CompiledModule*> variantFor(const common::ProvidedMap& inputs) {
    std::string key = common::shapeKey(specs_, inputs);
    return variants_.get(key, [&]() -> Expected<std::unique_ptr<CompiledModule>> {
      std::unique_ptr<ir::Graph> bound = graph_->clone();
      NUTSHELL_TRY(ir::bindInputShapes(*bound, common::inputShapes(specs_, inputs)));
      return compileModule(*bound, target_, perturbValue_, cache_, nullptr);
    });
  }

  std::unique_ptr<ir::Graph> graph_;
  std::vector<common::TensorSpec> specs_ = common::inputSpecs(*graph_);
  TargetInfo target_;
  int threads_;
  std::string perturbValue_;  // settings["debug-perturb"]
  common::CompileCache cache_;
  common::VariantCache<CompiledModule> variants_;
};

class CpuBackend final : public Backend {
  /// target-cpu: an LLVM CPU name; debug-perturb: a value whose first element
  /// is made wrong (ModuleOptions::perturbValue), to test --bisect.
  inline static const std::vector<std::string> kSettings = {"target-cpu", "debug-perturb"};

  /// The CPU to generate code for: settings["target-cpu"], else the host's.
  static Expected<TargetInfo> targetFor(const BackendOptions& options) {
    auto targetCpu = options.settings.find("target-cpu");
    return detectTarget(targetCpu == options.settings.end() ? "" : targetCpu->second);
  }

public:
  std::string name() const override { return "cpu"; }
  Expected<CompileResult> compile(const ir::Graph& graph, const BackendOptions& options) override {
    NUTSHELL_TRY(checkBackendSettings(name(), options, kSettings));
    NUTSHELL_ASSIGN(TargetInfo target, targetFor(options));
    auto perturb = options.settings.find("debug-perturb");
    common::CacheSettings cacheSettings = common::CacheSettings::fromEnvironment();
    cacheSettings.enabled = cacheSettings.enabled && options.cache;
    auto executable =
        std::make_unique<CpuExecutable>(graph.clone(), std::move(target), options.threads,
                                        perturb == options.settings.end() ? "" : perturb->second,
                                        common::CompileCache(std::move(cacheSettings)));
    CompileReport report;
    NUTSHELL_TRY(executable->compileEagerly(&report, options.progress));
    CompileResult result;
    result.executable = std::move(executable);
    result.phases = std::move(report.phases);
    result.kernels = std::move(report.kernels);
    result.cache = report.cache;
    result.warnings = std::move(report.warnings);
    return result;
  }

  /// AOT: the same module the JIT would run (weights embedded instead of
  /// read from host memory), optimized, as object code, assembly or LLVM IR.
  Expected<EmitResult> emit(const ir::Graph& graph, const BackendOptions& options,
                            const EmitRequest& request) override {
    NUTSHELL_TRY(checkBackendSettings(name(), options, kSettings));
    NUTSHELL_ASSIGN(TargetInfo target, targetFor(options));
    EmitResult result;
    result.target = describeTarget(target);
    auto start = Clock::now();
    std::unique_ptr<ir::Graph> planned;
    NUTSHELL_ASSIGN(const ir::Graph* withPlan, common::withMemoryPlan(graph, planned));
    ModuleOptions moduleOptions;
    moduleOptions.prefix = request.prefix;
    auto perturb = options.settings.find("debug-perturb");
    if (perturb != options.settings.end()) moduleOptions.perturbValue = perturb->second;

    // The compile cache keeps the emitted bytes, per format, prefix and kind.
    common::CacheSettings cacheSettings = common::CacheSettings::fromEnvironment();
    cacheSettings.enabled = cacheSettings.enabled && options.cache;
    common::CompileCache cache(std::move(cacheSettings));
    std::string key;
    constexpr std::string_view kAotKind = "cpu-aot";
    if (cache.enabled()) {
      bool split = request.format == EmitFormat::Object && request.severalObjects;
      std::string purpose = fmt::format("aot format={} prefix={} standalone={} parts={}", int(request.format),
                                        request.prefix, int(request.standaloneDescriptor), int(split));
      key = jitCacheKey(*withPlan, target, moduleOptions.perturbValue, purpose);
      common::CacheLookup found = cache.load(kAotKind, key);
      if (!found.warning.empty()) result.warnings.push_back(found.warning);
      if (found.payload) {
        Expected<CachedModule> cached = deserializeCachedModule(*found.payload);
        if (cached && !cached->hostConstants && !cached->objects.empty()) {
          result.cache = "hit";
          result.entry = cached->info;
          result.kernels = std::move(cached->info.kernels);
          if (cached->objects.size() == 1)
            result.code = std::move(cached->objects[0]);
          else
            result.objects = std::move(cached->objects);
          result.phases.push_back({"cache", msSince(start)});
          return result;
        }
        result.warnings.push_back(fmt::format(
            "compile cache: the entry '{}' is unusable ({}); compiled again", cache.entryPath(kAotKind, key),
            cached ? "it holds host constants" : cached.message()));
      }
      result.cache = "miss";
    }

    auto tell = [&](const std::string& phase, size_t done = 0, size_t total = 0) {
      if (options.progress) options.progress(phase, done, total);
    };
    if (options.progress)
      moduleOptions.onNodeEmitted = [&](size_t done, size_t total) {
        tell("generating code: node", done, total);
      };
    NUTSHELL_ASSIGN(BuiltModule built, buildModule(*withPlan, target, moduleOptions));
    NUTSHELL_TRY(addModelDescriptor(*built.module, built.info, result.target, request.standaloneDescriptor));
    result.phases.push_back({"codegen", msSince(start)});
    result.entry = built.info;
    result.kernels = built.info.kernels;

    start = Clock::now();
    bool split = request.format == EmitFormat::Object && request.severalObjects;
    if (split) {
      // O3 and machine code together, on threads (ParallelCodegen.h).
      unsigned parts = defaultCompileThreads();
      tell("optimizing and generating machine code (LLVM O3, " + std::to_string(built.info.kernels.size()) +
           " kernels, " + std::to_string(parts) + " thread" + (parts == 1 ? "" : "s") + ")");
      NUTSHELL_ASSIGN(result.objects, compileToObjects(*built.module, target, parts));
      if (result.objects.size() == 1) {
        result.code = std::move(result.objects[0]);
        result.objects.clear();
      }
      result.phases.push_back({"optimize", msSince(start)});
      result.phases.push_back({"emit", 0.0});
      if (cache.enabled()) {
        Status stored = cache.store(
            kAotKind, key,
            serializeCachedModule(built.info, nullptr,
                                  result.objects.empty() ? std::vector{result.code} : result.objects));
        if (!stored) result.warnings.push_back(stored.message() + " (the compile is not cached)");
      }
      return result;
    }
    tell("optimizing (LLVM O3, " + std::to_string(built.info.kernels.size()) + " kernels)");
    NUTSHELL_TRY(optimizeModule(*built.module, target));
    result.phases.push_back({"optimize", msSince(start)});
    start = Clock::now();
    tell("generating machine code");
    if (request.format == EmitFormat::IrText) {
      result.code = moduleText(*built.module);
    } else {
      MachineCodeKind kind =
          request.format == EmitFormat::Assembly ? MachineCodeKind::Assembly : MachineCodeKind::Object;
      NUTSHELL_ASSIGN(result.code, emitMachineCode(*built.module, target, kind));
    }
    result.phases.push_back({"emit", msSince(start)});
    if (cache.enabled()) {
      Status stored = cache.store(kAotKind, key, serializeCachedModule(built.info, nullptr, {result.code}));
      if (!stored) result.warnings.push_back(stored.message() + " (the compile is not cached)");
    }
    return result;
  }

  /// The host: the threads the executable will use and the caches sysconf
  /// reports. The peak stays the measured reference figure (an FMA peak
  /// cannot be read off the machine without timing it).
  Expected<TargetDescription> targetDescription(const BackendOptions& options) const override {
    NUTSHELL_TRY(checkBackendSettings(name(), options, kSettings));
    TargetDescription target;
    target.cores = options.threads > 0 ? options.threads : defaultNumThreads();
    auto cache = [](int name, int64_t fallback) {
      long bytes = sysconf(name);
      return bytes > 0 ? int64_t(bytes) : fallback;
    };
    target.l1Bytes = cache(_SC_LEVEL1_DCACHE_SIZE, target.l1Bytes);
    target.l2Bytes = cache(_SC_LEVEL2_CACHE_SIZE, target.l2Bytes);
    target.l3Bytes = cache(_SC_LEVEL3_CACHE_SIZE, target.l3Bytes);
    return target;
  }
};

}  // namespace

std::unique_ptr<Backend> createCpuBackend() { return std::make_unique<CpuBackend>(); }

}  // namespace nutshell::cpu
