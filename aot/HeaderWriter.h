// The C header nutshell-compile writes next to an --emit=obj|lib output: the
// entry points of ModuleBuilder.h's ABI and their status codes, the table of
// inputs and outputs (<prefix>_info), the runtime's thread-count setter, and
// every input's and output's name, type and shape as macros. Valid C99 and
// C++ (extern "C"). docs/aot.md shows a program using it.
#pragma once

#include <string>

#include "backends/Backend.h"

namespace nutshell::aot {

struct HeaderOptions {
  /// Shown in the header's comment: the model file and the code's target.
  std::string modelFile;
  std::string target;
  /// How the header is named in its own comment (e.g. "trafficsign.h").
  std::string headerName;
  /// What to link, shown in the comment: "libtrafficsign.a" or
  /// "trafficsign.o /path/to/libnutshell_runtime.a".
  std::string linkInputs;
};

/// The header text. Macros are prefixed with the upper-cased symbol prefix:
/// PREFIX_NUM_INPUTS, PREFIX_INPUT_0_NAME / _TYPE / _RANK / _SHAPE /
/// _ELEMENTS / _BYTES (likewise OUTPUT_j), PREFIX_WORKSPACE_BYTES.
std::string writeCHeader(const EntrySignature& info, const HeaderOptions& options);

}  // namespace nutshell::aot
