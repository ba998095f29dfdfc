#include "backends/cuda/NvrtcCompiler.h"

#include <cstdlib>
#include <mutex>
#include <vector>

#include <dlfcn.h>

namespace nutshell::cuda {

namespace {

// nvrtc.h's entry points, declared here so that building needs no toolkit.
using nvrtcProgram = struct _nvrtcProgram*;
using nvrtcResult = int;

struct NvrtcTable {
  const char* (*getErrorString)(nvrtcResult) = nullptr;
  nvrtcResult (*version)(int*, int*) = nullptr;
  nvrtcResult (*getNumSupportedArchs)(int*) = nullptr;
  nvrtcResult (*getSupportedArchs)(int*) = nullptr;
  nvrtcResult (*createProgram)(nvrtcProgram*, const char*, const char*, int, const char* const*,
                               const char* const*) = nullptr;
  nvrtcResult (*destroyProgram)(nvrtcProgram*) = nullptr;
  nvrtcResult (*compileProgram)(nvrtcProgram, int, const char* const*) = nullptr;
  nvrtcResult (*getPTXSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*getPTX)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*getCUBINSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*getCUBIN)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*getProgramLogSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*getProgramLog)(nvrtcProgram, char*) = nullptr;
};

/// The library, opened once per process.
Expected<const NvrtcTable*> nvrtc() {
  static std::once_flag once;
  static NvrtcTable table;
  static std::string failure;
  std::call_once(once, [] {
    const char* env = std::getenv("NUTSHELL_LIBNVRTC");
    std::string path = env && *env ? env : "libnvrtc.so.13";
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      failure = "the cuda backend needs NVRTC from the CUDA 13 toolkit: " + path + " not found (" +
                (why ? why : "dlopen failed") +
                "); install the toolkit, put its lib directory on LD_LIBRARY_PATH, or name the "
                "library with NUTSHELL_LIBNVRTC";
      return;
    }
    auto resolve = [&](const char* name, auto& slot) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(dlsym(handle, name));
      if (!slot && failure.empty()) failure = "NVRTC at " + path + " lacks " + name;
    };
    resolve("nvrtcGetErrorString", table.getErrorString);
    resolve("nvrtcVersion", table.version);
    resolve("nvrtcGetNumSupportedArchs", table.getNumSupportedArchs);
    resolve("nvrtcGetSupportedArchs", table.getSupportedArchs);
    resolve("nvrtcCreateProgram", table.createProgram);
    resolve("nvrtcDestroyProgram", table.destroyProgram);
    resolve("nvrtcCompileProgram", table.compileProgram);
    resolve("nvrtcGetPTXSize", table.getPTXSize);
    resolve("nvrtcGetPTX", table.getPTX);
    resolve("nvrtcGetCUBINSize", table.getCUBINSize);
    resolve("nvrtcGetCUBIN", table.getCUBIN);
    resolve("nvrtcGetProgramLogSize", table.getProgramLogSize);
    resolve("nvrtcGetProgramLog", table.getProgramLog);
  });
  if (!failure.empty()) return makeError(failure);
  return &table;
}

std::vector<std::string> optionList(const NvrtcOptions& options, bool forPtx) {
  std::string number = options.arch.substr(3);
  std::vector<std::string> list = {
      forPtx ? "--gpu-architecture=compute_" + number : "--gpu-architecture=" + options.arch, "--std=c++17",
      "-default-device"};
  if (options.fastCompile) list.push_back("--Ofast-compile=max");
  return list;
}

/// One NVRTC program: compiled, its log, its cubin or PTX.
Expected<std::string> compileOnce(const NvrtcTable& api, const std::string& source, const std::string& name,
                                  const NvrtcOptions& options, bool forPtx, std::string& log) {
  nvrtcProgram program = nullptr;
  nvrtcResult created = api.createProgram(&program, source.c_str(), name.c_str(), 0, nullptr, nullptr);
  if (created != 0)
    return makeError(std::string("NVRTC: cannot create a program: ") + api.getErrorString(created));
  struct Destroy {
    const NvrtcTable& api;
    nvrtcProgram& program;
    ~Destroy() { api.destroyProgram(&program); }
  } destroy{api, program};
  std::vector<std::string> list = optionList(options, forPtx);
  std::vector<const char*> argv;
  for (const std::string& option : list) argv.push_back(option.c_str());
  nvrtcResult compiled = api.compileProgram(program, int(argv.size()), argv.data());
  size_t logSize = 0;
  api.getProgramLogSize(program, &logSize);
  log.assign(logSize, '\0');
  if (logSize) api.getProgramLog(program, log.data());
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  if (compiled != 0)
    return makeError("NVRTC could not compile " + name + " (" + api.getErrorString(compiled) + "):\n" + log);
  size_t size = 0;
  std::string out;
  if (forPtx) {
    api.getPTXSize(program, &size);
    out.assign(size, '\0');
    api.getPTX(program, out.data());
  } else {
    api.getCUBINSize(program, &size);
    out.assign(size, '\0');
    api.getCUBIN(program, out.data());
  }
  return out;
}

}  // namespace

std::string nvrtcOptionText(const NvrtcOptions& options) {
  std::string text;
  for (const std::string& option : optionList(options, false)) text += (text.empty() ? "" : " ") + option;
  return text + (options.ptx ? " +ptx" : "");
}

Expected<std::string> normalizeGpuArch(const std::string& arch) {
  std::string digits = arch.rfind("sm_", 0) == 0 ? arch.substr(3) : arch;
  bool numeric = !digits.empty() && digits.size() <= 3;
  for (char c : digits) numeric = numeric && c >= '0' && c <= '9';
  if (!numeric) return makeError("--gpu-arch: '" + arch + "' is not an architecture like sm_90");
  NUTSHELL_ASSIGN(const NvrtcTable* api, nvrtc());
  int count = 0;
  api->getNumSupportedArchs(&count);
  std::vector<int> archs(size_t(count > 0 ? count : 0));
  if (count > 0) api->getSupportedArchs(archs.data());
  std::string known;
  for (int a : archs) {
    if (std::to_string(a) == digits) return "sm_" + digits;
    known += (known.empty() ? "sm_" : ", sm_") + std::to_string(a);
  }
  return makeError("--gpu-arch: this NVRTC does not support sm_" + digits + " (it supports " + known + ")");
}

Expected<std::string> nvrtcVersion() {
  NUTSHELL_ASSIGN(const NvrtcTable* api, nvrtc());
  int major = 0, minor = 0;
  api->version(&major, &minor);
  return std::to_string(major) + "." + std::to_string(minor);
}

Expected<NvrtcOutput> compileWithNvrtc(const std::string& source, const std::string& name,
                                       const NvrtcOptions& options) {
  NUTSHELL_ASSIGN(const NvrtcTable* api, nvrtc());
  NvrtcOutput out;
  NUTSHELL_ASSIGN(out.cubin, compileOnce(*api, source, name, options, false, out.log));
  if (options.ptx) {
    std::string ptxLog;
    NUTSHELL_ASSIGN(out.ptx, compileOnce(*api, source, name, options, true, ptxLog));
  }
  return out;
}

}  // namespace nutshell::cuda
