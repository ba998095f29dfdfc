// The one registry of backends: every tool, the host API and the test
// harnesses find a backend here by its name (--backend=NAME).
//
// Adding a backend: its library, a row in BackendRegistry.cpp under the
// definition its CMake target carries (NUTSHELL_HAVE_<NAME>_BACKEND), and a
// link from nutshell_backends to it in backends/CMakeLists.txt.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/Backend.h"
#include "nutshell/Expected.h"

namespace nutshell {

/// Backends built into this nutshell, fastest first (the order --help lists).
std::vector<std::string> backendNames();

/// The backend used when none is named: the fastest one built.
std::string defaultBackendName();

/// The backend called `name`, or an error listing the ones built.
Expected<std::unique_ptr<Backend>> createBackend(const std::string& name);

}  // namespace nutshell
