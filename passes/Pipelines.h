// Named pipelines (-O0, -O2), written out in passes/Pipelines.cpp.
#pragma once

#include <string>

#include "nutshell/Expected.h"

namespace nutshell::passes {

/// The pipeline string for optimisation level 0 or 2. Steps whose pass is
/// not registered in this build are left out.
Expected<std::string> pipelineForLevel(int level);

}  // namespace nutshell::passes
