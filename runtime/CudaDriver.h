// The CUDA driver API, opened at run time: dlopen("libcuda.so.1") (or the
// library NUTSHELL_LIBCUDA names) and every entry point resolved through
// cuGetProcAddress at one pinned API version, so the signatures we call are
// the ones we declare here whatever the installed driver's newest are
// (CUDA 13 changed several; the versioned `_v2` names are the driver's
// business, not ours). Nothing links -lcuda or cudart: a program built with
// this runs its CPU paths on a machine without a driver, and asking for the
// GPU there is an error value ("no GPU: ...") rather than a loader failure.
//
// The same function table is filled by the emulated driver
// (backends/cuda/EmulatedDriver.h), which runs kernels compiled for the host:
// everything above the table is then exercised without a GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "nutshell/Expected.h"

namespace nutshell::cuda {

// The driver's types, as opaque as cuda.h makes them (no toolkit header is
// needed to build this).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = uint64_t;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using CUgraph = struct CUgraph_st*;
using CUgraphExec = struct CUgraphExec_st*;

inline constexpr CUresult kCudaSuccess = 0;
inline constexpr CUresult kCudaErrorNoDevice = 100;
inline constexpr CUresult kCudaErrorStubLibrary = 34;
/// The API version every entry point is resolved at (CUDA 12.0: the oldest
/// driver with cuGetProcAddress_v2; newer drivers keep serving it).
inline constexpr int kPinnedApiVersion = 12000;
/// cuDeviceGetAttribute: compute capability, SMs.
inline constexpr int kAttrComputeCapabilityMajor = 75;
inline constexpr int kAttrComputeCapabilityMinor = 76;
inline constexpr int kAttrMultiprocessorCount = 16;

/// The entry points nutshell uses, under the names of the driver API
/// without the `cu` prefix.
struct DriverTable {
  CUresult (*init)(unsigned flags) = nullptr;
  CUresult (*deviceGetCount)(int* count) = nullptr;
  CUresult (*deviceGet)(CUdevice* device, int ordinal) = nullptr;
  CUresult (*deviceGetName)(char* name, int length, CUdevice device) = nullptr;
  CUresult (*deviceGetAttribute)(int* value, int attribute, CUdevice device) = nullptr;
  CUresult (*devicePrimaryCtxRetain)(CUcontext* context, CUdevice device) = nullptr;
  CUresult (*devicePrimaryCtxRelease)(CUdevice device) = nullptr;
  CUresult (*ctxSetCurrent)(CUcontext context) = nullptr;
  CUresult (*moduleLoadData)(CUmodule* module, const void* image) = nullptr;
  CUresult (*moduleUnload)(CUmodule module) = nullptr;
  CUresult (*moduleGetFunction)(CUfunction* function, CUmodule module, const char* name) = nullptr;
  CUresult (*memAlloc)(CUdeviceptr* pointer, size_t bytes) = nullptr;
  CUresult (*memFree)(CUdeviceptr pointer) = nullptr;
  CUresult (*memcpyHtoD)(CUdeviceptr dst, const void* src, size_t bytes) = nullptr;
  CUresult (*memcpyDtoH)(void* dst, CUdeviceptr src, size_t bytes) = nullptr;
  CUresult (*memcpyDtoD)(CUdeviceptr dst, CUdeviceptr src, size_t bytes) = nullptr;
  CUresult (*memsetD8)(CUdeviceptr dst, unsigned char value, size_t bytes) = nullptr;
  CUresult (*launchKernel)(CUfunction function, unsigned gridX, unsigned gridY, unsigned gridZ,
                           unsigned blockX, unsigned blockY, unsigned blockZ, unsigned sharedBytes,
                           CUstream stream, void** params, void** extra) = nullptr;
  CUresult (*streamCreate)(CUstream* stream, unsigned flags) = nullptr;
  CUresult (*streamDestroy)(CUstream stream) = nullptr;
  CUresult (*streamSynchronize)(CUstream stream) = nullptr;
  CUresult (*streamBeginCapture)(CUstream stream, int mode) = nullptr;
  CUresult (*streamEndCapture)(CUstream stream, CUgraph* graph) = nullptr;
  CUresult (*graphInstantiateWithFlags)(CUgraphExec* exec, CUgraph graph, unsigned long long flags) = nullptr;
  CUresult (*graphLaunch)(CUgraphExec exec, CUstream stream) = nullptr;
  CUresult (*graphExecDestroy)(CUgraphExec exec) = nullptr;
  CUresult (*graphDestroy)(CUgraph graph) = nullptr;
  CUresult (*getErrorName)(CUresult error, const char** name) = nullptr;
  CUresult (*getErrorString)(CUresult error, const char** text) = nullptr;
};

/// An initialized driver: its table and what it is ("libcuda.so.1",
/// "emulated"). Shared by every executable of the process.
class CudaDriver {
public:
  /// The real driver: NUTSHELL_LIBCUDA, else "libcuda.so.1", opened, resolved
  /// and cuInit-ed once per library path. The errors:
  ///   no GPU: libcuda.so.1 not found (...)
  ///   no GPU: <path> is the CUDA toolkit's stub library (CUDA_ERROR_STUB_LIBRARY) ...
  ///   no GPU: the driver found no CUDA device (CUDA_ERROR_NO_DEVICE)
  static Expected<std::shared_ptr<CudaDriver>> load();
  /// The driver at `path` (what load() does with the name it picked).
  static Expected<std::shared_ptr<CudaDriver>> loadFrom(const std::string& path);
  /// A driver behind a table filled by other code (the emulated driver);
  /// its init is called here.
  static Expected<std::shared_ptr<CudaDriver>> fromTable(const DriverTable& table, std::string description);

  const DriverTable& api() const { return table_; }
  const std::string& description() const { return description_; }
  bool emulated() const { return emulated_; }

  /// Success, or an error "cuda: WHAT failed: CUDA_ERROR_X (text)".
  Status check(CUresult result, const std::string& what) const;

private:
  CudaDriver(const DriverTable& table, std::string description, bool emulated)
      : table_(table), description_(std::move(description)), emulated_(emulated) {}
  DriverTable table_;
  std::string description_;
  bool emulated_ = false;
};

}  // namespace nutshell::cuda
