#include "backends/BackendRegistry.h"

#include "backends/reference/ReferenceInterpreter.h"
#ifdef NUTSHELL_HAVE_CPU_BACKEND
#include "backends/cpu/CpuBackend.h"
#endif
#ifdef NUTSHELL_HAVE_CUDA_BACKEND
#include "backends/cuda/CudaBackend.h"
#endif

namespace nutshell {

namespace {

struct BackendEntry {
  const char* name;
  std::unique_ptr<Backend> (*create)();
};

/// Fastest first, except cuda: it is listed last so that the default (the
/// first) is never a backend that needs a GPU the machine may not have.
const std::vector<BackendEntry>& registry() {
  static const std::vector<BackendEntry> entries = {
#ifdef NUTSHELL_HAVE_CPU_BACKEND
      {"cpu", &cpu::createCpuBackend},
#endif
      {"reference", &reference::createReferenceBackend},
#ifdef NUTSHELL_HAVE_CUDA_BACKEND
      {"cuda", &cuda::createCudaBackend},
#endif
  };
  return entries;
}

}  // namespace

std::vector<std::string> backendNames() {
  std::vector<std::string> names;
  for (const BackendEntry& entry : registry()) names.push_back(entry.name);
  return names;
}

std::string defaultBackendName() {
  return registry().front().name;
}

Expected<std::unique_ptr<Backend>> createBackend(const std::string& name) {
  for (const BackendEntry& entry : registry())
    if (name == entry.name) return entry.create();
  std::string known;
  for (const std::string& n : backendNames()) known += (known.empty() ? "" : ", ") + n;
  return makeError("unknown backend '" + name + "' (this build has: " + known + ")");
}

}  // namespace nutshell
