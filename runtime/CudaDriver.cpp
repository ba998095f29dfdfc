#include "runtime/CudaDriver.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include <dlfcn.h>

namespace nutshell::cuda {

namespace {

using GetProcAddress = CUresult (*)(const char* symbol, void** pfn, int version, uint64_t flags,
                                    int* symbolStatus);

/// Each table slot and the driver API name it is resolved from.
template <class Visit>
void forEachEntry(DriverTable& t, Visit&& visit) {
  visit("cuInit", t.init);
  visit("cuDeviceGetCount", t.deviceGetCount);
  visit("cuDeviceGet", t.deviceGet);
  visit("cuDeviceGetName", t.deviceGetName);
  visit("cuDeviceGetAttribute", t.deviceGetAttribute);
  visit("cuDevicePrimaryCtxRetain", t.devicePrimaryCtxRetain);
  visit("cuDevicePrimaryCtxRelease", t.devicePrimaryCtxRelease);
  visit("cuCtxSetCurrent", t.ctxSetCurrent);
  visit("cuModuleLoadData", t.moduleLoadData);
  visit("cuModuleUnload", t.moduleUnload);
  visit("cuModuleGetFunction", t.moduleGetFunction);
  visit("cuMemAlloc", t.memAlloc);
  visit("cuMemFree", t.memFree);
  visit("cuMemcpyHtoD", t.memcpyHtoD);
  visit("cuMemcpyDtoH", t.memcpyDtoH);
  visit("cuMemcpyDtoD", t.memcpyDtoD);
  visit("cuMemsetD8", t.memsetD8);
  visit("cuLaunchKernel", t.launchKernel);
  visit("cuStreamCreate", t.streamCreate);
  visit("cuStreamDestroy", t.streamDestroy);
  visit("cuStreamSynchronize", t.streamSynchronize);
  visit("cuStreamBeginCapture", t.streamBeginCapture);
  visit("cuStreamEndCapture", t.streamEndCapture);
  visit("cuGraphInstantiateWithFlags", t.graphInstantiateWithFlags);
  visit("cuGraphLaunch", t.graphLaunch);
  visit("cuGraphExecDestroy", t.graphExecDestroy);
  visit("cuGraphDestroy", t.graphDestroy);
  visit("cuGetErrorName", t.getErrorName);
  visit("cuGetErrorString", t.getErrorString);
}

/// Opens, initializes and resolves the library at `path`; the handle is
/// never closed (the driver stays loaded for the process, as it must while
/// any context lives).
Expected<std::shared_ptr<CudaDriver>> openDriver(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return makeError("no GPU: " + path + " not found (" + (why ? why : "dlopen failed") +
                     "); the CPU backends still work, and NUTSHELL_LIBCUDA names another driver library");
  }
  auto init = reinterpret_cast<CUresult (*)(unsigned)>(dlsym(handle, "cuInit"));
  auto getProc = reinterpret_cast<GetProcAddress>(dlsym(handle, "cuGetProcAddress_v2"));
  if (!init || !getProc)
    return makeError("no GPU: " + path +
                     " is not a CUDA 12 or newer driver (it lacks cuInit or cuGetProcAddress_v2)");
  CUresult initialized = init(0);
  if (initialized == kCudaErrorStubLibrary)
    return makeError("no GPU: " + path +
                     " is the CUDA toolkit's stub library (CUDA_ERROR_STUB_LIBRARY), not a driver; "
                     "install the NVIDIA driver or point NUTSHELL_LIBCUDA at its libcuda.so.1");
  if (initialized == kCudaErrorNoDevice)
    return makeError("no GPU: the driver " + path + " found no CUDA device (CUDA_ERROR_NO_DEVICE)");
  if (initialized != kCudaSuccess)
    return makeError("no GPU: cuInit failed in " + path + " with CUresult " + std::to_string(initialized));

  DriverTable table;
  std::string missing;
  forEachEntry(table, [&](const char* name, auto& slot) {
    void* pfn = nullptr;
    int status = 0;
    if (getProc(name, &pfn, kPinnedApiVersion, 0, &status) != kCudaSuccess || !pfn)
      missing += std::string(missing.empty() ? "" : ", ") + name;
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(pfn);
  });
  if (!missing.empty())
    return makeError("no GPU: the driver " + path + " lacks entry points at API version " +
                     std::to_string(kPinnedApiVersion) + ": " + missing);
  return CudaDriver::fromTable(table, path);
}

}  // namespace

Expected<std::shared_ptr<CudaDriver>> CudaDriver::load() {
  const char* env = std::getenv("NUTSHELL_LIBCUDA");
  return loadFrom(env && *env ? env : "libcuda.so.1");
}

Expected<std::shared_ptr<CudaDriver>> CudaDriver::loadFrom(const std::string& path) {
  // Once per path: cuInit and symbol lookup are not free, and a failure is
  // as permanent as a success for the life of the process.
  static std::mutex mutex;
  static std::map<std::string, Expected<std::shared_ptr<CudaDriver>>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(path);
  if (it == loaded.end()) it = loaded.emplace(path, openDriver(path)).first;
  if (!it->second) return makeError(it->second.message());
  return *it->second;
}

Expected<std::shared_ptr<CudaDriver>> CudaDriver::fromTable(const DriverTable& table,
                                                            std::string description) {
  bool emulated = description == "emulated";
  auto driver = std::shared_ptr<CudaDriver>(new CudaDriver(table, std::move(description), emulated));
  if (!table.init) return makeError("cuda: the driver table has no cuInit");
  NUTSHELL_TRY(driver->check(table.init(0), "cuInit"));
  return driver;
}

Status CudaDriver::check(CUresult result, const std::string& what) const {
  if (result == kCudaSuccess) return Status::success();
  const char* name = nullptr;
  const char* text = nullptr;
  if (table_.getErrorName) table_.getErrorName(result, &name);
  if (table_.getErrorString) table_.getErrorString(result, &text);
  std::string message = "cuda: " + what + " failed: " + (name ? name : "CUresult " + std::to_string(result));
  if (text) message += std::string(" (") + text + ")";
  return makeError(message);
}

}  // namespace nutshell::cuda
