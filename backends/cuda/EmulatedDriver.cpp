#include "backends/cuda/EmulatedDriver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/cuda/EmulatorShim.h"

#ifndef NUTSHELL_HOST_CXX
#define NUTSHELL_HOST_CXX "c++"
#endif

namespace nutshell::cuda {

namespace {

using LaunchFn = void (*)(const unsigned* grid, const unsigned* block, void** args);

struct EmuFunction {
  LaunchFn launch = nullptr;
  int arity = 0;
};

/// A loaded module: the shared object and the functions handed out from it
/// (freed with it).
struct EmuModule {
  void* handle = nullptr;
  std::vector<std::unique_ptr<EmuFunction>> functions;
};

struct RecordedLaunch {
  EmuFunction* function;
  unsigned grid[3], block[3];
  std::vector<void*> args;  // the parameter values (all pointers), copied at launch as CUDA does
};

struct EmuStream {
  bool capturing = false;
  std::vector<RecordedLaunch> recorded;
};

struct EmuGraph {
  std::vector<RecordedLaunch> launches;
};

constexpr CUresult kInvalidValue = 1, kNotFound = 500, kInvalidImage = 200, kOutOfMemory = 2;

CUresult emuInit(unsigned) {
  return kCudaSuccess;
}
CUresult emuDeviceGetCount(int* count) {
  *count = 1;
  return kCudaSuccess;
}
CUresult emuDeviceGet(CUdevice* device, int ordinal) {
  if (ordinal != 0) return kInvalidValue;
  *device = 0;
  return kCudaSuccess;
}
CUresult emuDeviceGetName(char* name, int length, CUdevice) {
  std::snprintf(name, size_t(length), "%s", "nutshell emulated GPU (kernels on the host CPU)");
  return kCudaSuccess;
}
CUresult emuDeviceGetAttribute(int* value, int attribute, CUdevice) {
  *value = attribute == kAttrComputeCapabilityMajor ? 9 : attribute == kAttrComputeCapabilityMinor ? 0 : 1;
  return kCudaSuccess;
}
int contextToken;
CUresult emuPrimaryCtxRetain(CUcontext* context, CUdevice) {
  *context = reinterpret_cast<CUcontext>(&contextToken);
  return kCudaSuccess;
}
CUresult emuPrimaryCtxRelease(CUdevice) {
  return kCudaSuccess;
}
CUresult emuCtxSetCurrent(CUcontext) {
  return kCudaSuccess;
}
CUresult emuModuleLoadData(CUmodule* module, const void* image) {
  void* handle = dlopen(static_cast<const char*>(image), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return kInvalidImage;
  *module = reinterpret_cast<CUmodule>(new EmuModule{handle, {}});
  return kCudaSuccess;
}
CUresult emuModuleUnload(CUmodule module) {
  auto* m = reinterpret_cast<EmuModule*>(module);
  dlclose(m->handle);
  delete m;
  return kCudaSuccess;
}
CUresult emuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
  auto* m = reinterpret_cast<EmuModule*>(module);
  auto launch = reinterpret_cast<LaunchFn>(dlsym(m->handle, (std::string(name) + "__launch").c_str()));
  auto arity = static_cast<const int*>(dlsym(m->handle, (std::string(name) + "__arity").c_str()));
  if (!launch || !arity) return kNotFound;
  m->functions.push_back(std::make_unique<EmuFunction>(EmuFunction{launch, *arity}));
  *function = reinterpret_cast<CUfunction>(m->functions.back().get());
  return kCudaSuccess;
}
CUresult emuMemAlloc(CUdeviceptr* pointer, size_t bytes) {
  void* p = std::aligned_alloc(256, (std::max<size_t>(bytes, 1) + 255) / 256 * 256);
  if (!p) return kOutOfMemory;
  *pointer = reinterpret_cast<CUdeviceptr>(p);
  return kCudaSuccess;
}
CUresult emuMemFree(CUdeviceptr pointer) {
  std::free(reinterpret_cast<void*>(pointer));
  return kCudaSuccess;
}
CUresult emuMemcpyHtoD(CUdeviceptr dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
  return kCudaSuccess;
}
CUresult emuMemcpyDtoH(void* dst, CUdeviceptr src, size_t bytes) {
  if (bytes) std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
  return kCudaSuccess;
}
CUresult emuMemcpyDtoD(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  if (bytes) std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
  return kCudaSuccess;
}
CUresult emuMemsetD8(CUdeviceptr dst, unsigned char value, size_t bytes) {
  std::memset(reinterpret_cast<void*>(dst), value, bytes);
  return kCudaSuccess;
}
CUresult emuLaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                         unsigned bz, unsigned, CUstream stream, void** params, void**) {
  auto* fn = reinterpret_cast<EmuFunction*>(function);
  if (!fn || gx == 0 || gy == 0 || gz == 0 || bx * by * bz == 0 || bx * by * bz > 1024) return kInvalidValue;
  RecordedLaunch launch{fn, {gx, gy, gz}, {bx, by, bz}, {}};
  for (int i = 0; i < fn->arity; ++i) launch.args.push_back(*static_cast<void**>(params[i]));
  auto* s = reinterpret_cast<EmuStream*>(stream);
  if (s && s->capturing) {
    s->recorded.push_back(std::move(launch));
    return kCudaSuccess;
  }
  // The launcher reads args[i] as a pointer to the i-th parameter value.
  std::vector<void*> slots;
  for (void*& value : launch.args) slots.push_back(&value);
  fn->launch(launch.grid, launch.block, slots.data());
  return kCudaSuccess;
}
CUresult emuStreamCreate(CUstream* stream, unsigned) {
  *stream = reinterpret_cast<CUstream>(new EmuStream);
  return kCudaSuccess;
}
CUresult emuStreamDestroy(CUstream stream) {
  delete reinterpret_cast<EmuStream*>(stream);
  return kCudaSuccess;
}
CUresult emuStreamSynchronize(CUstream) {
  return kCudaSuccess;
}
CUresult emuStreamBeginCapture(CUstream stream, int) {
  auto* s = reinterpret_cast<EmuStream*>(stream);
  if (!s || s->capturing) return kInvalidValue;
  s->capturing = true;
  s->recorded.clear();
  return kCudaSuccess;
}
CUresult emuStreamEndCapture(CUstream stream, CUgraph* graph) {
  auto* s = reinterpret_cast<EmuStream*>(stream);
  if (!s || !s->capturing) return kInvalidValue;
  s->capturing = false;
  *graph = reinterpret_cast<CUgraph>(new EmuGraph{std::move(s->recorded)});
  return kCudaSuccess;
}
CUresult emuGraphInstantiate(CUgraphExec* exec, CUgraph graph, unsigned long long) {
  *exec = reinterpret_cast<CUgraphExec>(new EmuGraph(*reinterpret_cast<EmuGraph*>(graph)));
  return kCudaSuccess;
}
CUresult emuGraphLaunch(CUgraphExec exec, CUstream) {
  for (RecordedLaunch& launch : reinterpret_cast<EmuGraph*>(exec)->launches) {
    std::vector<void*> slots;
    for (void*& value : launch.args) slots.push_back(&value);
    launch.function->launch(launch.grid, launch.block, slots.data());
  }
  return kCudaSuccess;
}
CUresult emuGraphExecDestroy(CUgraphExec exec) {
  delete reinterpret_cast<EmuGraph*>(exec);
  return kCudaSuccess;
}
CUresult emuGraphDestroy(CUgraph graph) {
  delete reinterpret_cast<EmuGraph*>(graph);
  return kCudaSuccess;
}
CUresult emuGetErrorName(CUresult error, const char** name) {
  switch (error) {
    case kCudaSuccess: *name = "CUDA_SUCCESS"; break;
    case kInvalidValue: *name = "CUDA_ERROR_INVALID_VALUE"; break;
    case kOutOfMemory: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case kInvalidImage: *name = "CUDA_ERROR_INVALID_IMAGE"; break;
    case kNotFound: *name = "CUDA_ERROR_NOT_FOUND"; break;
    default: *name = "CUDA_ERROR_UNKNOWN"; break;
  }
  return kCudaSuccess;
}
CUresult emuGetErrorString(CUresult error, const char** text) {
  *text = error == kInvalidImage ? "the emulated driver could not dlopen the module" : "emulated driver";
  return kCudaSuccess;
}

DriverTable emulatedTable() {
  DriverTable t;
  t.init = emuInit;
  t.deviceGetCount = emuDeviceGetCount;
  t.deviceGet = emuDeviceGet;
  t.deviceGetName = emuDeviceGetName;
  t.deviceGetAttribute = emuDeviceGetAttribute;
  t.devicePrimaryCtxRetain = emuPrimaryCtxRetain;
  t.devicePrimaryCtxRelease = emuPrimaryCtxRelease;
  t.ctxSetCurrent = emuCtxSetCurrent;
  t.moduleLoadData = emuModuleLoadData;
  t.moduleUnload = emuModuleUnload;
  t.moduleGetFunction = emuModuleGetFunction;
  t.memAlloc = emuMemAlloc;
  t.memFree = emuMemFree;
  t.memcpyHtoD = emuMemcpyHtoD;
  t.memcpyDtoH = emuMemcpyDtoH;
  t.memcpyDtoD = emuMemcpyDtoD;
  t.memsetD8 = emuMemsetD8;
  t.launchKernel = emuLaunchKernel;
  t.streamCreate = emuStreamCreate;
  t.streamDestroy = emuStreamDestroy;
  t.streamSynchronize = emuStreamSynchronize;
  t.streamBeginCapture = emuStreamBeginCapture;
  t.streamEndCapture = emuStreamEndCapture;
  t.graphInstantiateWithFlags = emuGraphInstantiate;
  t.graphLaunch = emuGraphLaunch;
  t.graphExecDestroy = emuGraphExecDestroy;
  t.graphDestroy = emuGraphDestroy;
  t.getErrorName = emuGetErrorName;
  t.getErrorString = emuGetErrorString;
  return t;
}

std::string hostCompiler() {
  const char* env = std::getenv("NUTSHELL_EMULATOR_CXX");
  return env && *env ? env : NUTSHELL_HOST_CXX;
}

constexpr const char* kEmulatorFlags =
    "-std=c++17 -O1 -fPIC -shared -w -DNUTSHELL_CUDA_EMULATOR -include shim.h -x c++";

}  // namespace

Expected<std::shared_ptr<CudaDriver>> emulatedDriver() {
  static Expected<std::shared_ptr<CudaDriver>> driver = CudaDriver::fromTable(emulatedTable(), "emulated");
  return driver;
}

std::string emulatorCompileCommand() {
  return hostCompiler() + " " + kEmulatorFlags;
}

Expected<std::string> compileForEmulator(const std::string& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / "nutshell-cuda-emu-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    return makeError("cuda emulator: cannot make a temporary directory in " + base.string());
  fs::path dir = pattern;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};
  std::ofstream(dir / "shim.h") << emulatorShimSource();
  std::ofstream(dir / "model.cu") << source;
  std::string command =
      "cd '" + dir.string() + "' && " + emulatorCompileCommand() + " model.cu -o model.so > log.txt 2>&1";
  int status = std::system(command.c_str());
  if (status != 0) {
    std::ifstream logFile(dir / "log.txt");
    std::stringstream log;
    log << logFile.rdbuf();
    return makeError("cuda emulator: the host compiler (" + hostCompiler() +
                     ") could not compile the model's CUDA source:\n" + log.str());
  }
  std::ifstream so(dir / "model.so", std::ios::binary);
  std::stringstream bytes;
  bytes << so.rdbuf();
  return bytes.str();
}

}  // namespace nutshell::cuda
