// The one map from a backend's command-line name to a nutshell::Backend,
// shared by nutshell-run and the ONNX conformance runner so that both accept
// the same --backend=NAME values.
//
// Adding a backend: include its header under its NUTSHELL_HAVE_*_BACKEND
// macro (defined by the CMake block of each program that links it), add a row
// to backendNames() and a branch to createBackendByName().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/Backend.h"
#include "backends/reference/ReferenceInterpreter.h"
#include "nutshell/Expected.h"

#ifdef NUTSHELL_HAVE_CPU_BACKEND
#include "backends/cpu/CpuBackend.h"
#endif

namespace nutshell::tools {

/// Backends compiled into this program, in the order --help lists them.
inline std::vector<std::string> backendNames() {
  std::vector<std::string> names;
#ifdef NUTSHELL_HAVE_CPU_BACKEND
  names.push_back("cpu");
#endif
  names.push_back("reference");
  return names;
}

/// The backend used when --backend is not given: the fastest one built.
inline std::string defaultBackendName() { return backendNames().front(); }

inline Expected<std::unique_ptr<Backend>> createBackendByName(const std::string& name) {
  if (name == "reference") return reference::createReferenceBackend();
#ifdef NUTSHELL_HAVE_CPU_BACKEND
  if (name == "cpu") return cpu::createCpuBackend();
#endif
  std::string known;
  for (const std::string& n : backendNames()) known += (known.empty() ? "" : ", ") + n;
  return makeError("unknown backend '" + name + "' (this build has: " + known + ")");
}

}  // namespace nutshell::tools
