// What turns the model's object file into the deliverable: the system's C/C++
// compiler driver (to link executables), the prebuilt runtime archives the
// executables link, and the static-library writer.
//
// Runtime archives (libnutshell_aot_main.a, libnutshell_runtime.a) are looked
// for, in order, in
//   1. $NUTSHELL_AOT_LIB_DIR,
//   2. DIR/../lib where DIR holds the running nutshell-compile (the install
//      layout PREFIX/bin + PREFIX/lib, which is also the build tree's
//      build/bin + build/lib),
//   3. the paths of the build that produced nutshell-compile (compiled in).
#pragma once

#include <string>
#include <vector>

#include "nutshell/Expected.h"

namespace nutshell::aot {

struct RuntimeLibraries {
  std::string aotMain;  // libnutshell_aot_main.a: main() of AOT executables
  std::string runtime;  // libnutshell_runtime.a: thread pool, tensor files
  std::string where;    // which rule found them, for --verbose
};

/// Finds both archives (see the search order above); the error lists every
/// place tried.
Expected<RuntimeLibraries> findRuntimeLibraries();

/// The compiler driver named by the environment variable (CC or CXX; it may
/// carry arguments, e.g. "ccache gcc") or else `fallback` ("cc", "c++"),
/// looked up on PATH. Errors say which command is missing and how to name one.
Expected<std::vector<std::string>> findCompiler(const char* environmentVariable, const std::string& fallback);

/// Output of a finished command (stdout and stderr together).
struct CommandResult {
  int exitStatus = 0;
  std::string output;
};

/// Runs argv[0] (looked up on PATH) with the arguments, without a shell.
Expected<CommandResult> runCommand(const std::vector<std::string>& argv);

/// `a b 'c d'` for messages.
std::string commandLine(const std::vector<std::string>& argv);

/// Links an executable: `CXX -o output objects... libraries... -lpthread -lm`,
/// with libstdc++ and libgcc linked statically when the toolchain has them
/// (falling back to the shared ones), so the program needs only libc.
Status linkExecutable(const std::vector<std::string>& objects, const std::vector<std::string>& libraries,
                      const std::string& output, bool verbose);

/// Writes a static library (GNU ar format, with a symbol table) holding the
/// model's `objects` (members NAME.o, or NAME.0.o, NAME.1.o ... when the model
/// was compiled in parts) plus every member of each of the `archives`, so one
/// library carries the model and the runtime it calls.
Status writeStaticLibrary(const std::string& output, const std::string& name,
                          const std::vector<std::string>& objects, const std::vector<std::string>& archives);

}  // namespace nutshell::aot
