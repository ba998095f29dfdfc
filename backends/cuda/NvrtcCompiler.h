// CUDA C -> cubin (+ PTX) with NVRTC, opened at run time: dlopen of
// libnvrtc.so.13 (or NUTSHELL_LIBNVRTC), so the tools start and their CPU
// backends run where the CUDA toolkit is absent, and asking for the cuda
// backend there is an error that says what is missing. NVRTC needs no GPU
// and no driver.
#pragma once

#include <string>

#include "nutshell/Expected.h"

namespace nutshell::cuda {

struct NvrtcOptions {
  /// "sm_90": the cubin's architecture; the PTX is for compute_<same>.
  std::string arch = "sm_90";
  /// --Ofast-compile=max: ~4x faster to compile, slower code. Tests only.
  bool fastCompile = false;
  /// Also produce PTX (a second NVRTC compile for compute_XX), which newer
  /// GPUs JIT-compile; the cubin alone runs on the arch it names.
  bool ptx = false;
};

struct NvrtcOutput {
  std::string cubin;
  std::string ptx;  // empty unless NvrtcOptions::ptx
  /// NVRTC's log (warnings); empty when it had nothing to say.
  std::string log;
};

/// Compiles one translation unit. A compile error carries NVRTC's log.
Expected<NvrtcOutput> compileWithNvrtc(const std::string& source, const std::string& name,
                                       const NvrtcOptions& options);

/// "13.0": part of the compile cache key.
Expected<std::string> nvrtcVersion();

/// The options passed to NVRTC for `options` (cubin compile), for the cache
/// key and for messages.
std::string nvrtcOptionText(const NvrtcOptions& options);

/// "sm_90" from "sm_90" or "90"; an error for anything else or an arch this
/// NVRTC does not support.
Expected<std::string> normalizeGpuArch(const std::string& arch);

}  // namespace nutshell::cuda
