// Ahead-of-time compilation of a planned graph (after the pass pipeline) into
// a deliverable: a standalone executable, an object file or static library
// plus a C header, or LLVM IR / assembly text for inspection. The backend's
// emit() (backends/Backend.h) produces the code (for executables with the
// descriptor the prebuilt main reads); this layer writes the header, and
// links or archives. See docs/aot.md.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/Backend.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::aot {

enum class EmitKind {
  Executable,     // exe: the model + the AOT runtime main, weights embedded
  Object,         // obj: relocatable object + C header
  StaticLibrary,  // lib: archive of the object and the runtime it calls + C header
  LlvmIr,         // llvm-ir: optimized LLVM IR text
  Assembly,       // asm: assembly text
};

/// "exe", "obj", "lib", "llvm-ir", "asm"; error lists the valid names.
Expected<EmitKind> parseEmitKind(const std::string& name);
const char* emitKindName(EmitKind kind);

struct AotOptions {
  EmitKind emit = EmitKind::Executable;
  /// The file to write; "-" writes llvm-ir / asm to stdout.
  std::string output;
  /// Symbol prefix of the entry points (a C identifier); empty: derived from
  /// the output's file name (see defaultPrefix).
  std::string prefix;
  /// obj/lib: where the C header goes; empty: `output` with its extension
  /// (and a library's "lib" prefix) replaced: model.o, libmodel.a -> model.h.
  std::string headerPath;
  /// The backend that emits the code (by registry name).
  std::string backend = "cpu";
  /// LLVM CPU name (the cpu backend's "target-cpu" setting); empty: the host
  /// CPU with all its features.
  std::string targetCpu;
  /// Named in the header's comment.
  std::string modelFile;
  /// Print the target, kernels, link command and phase times to stderr.
  bool verbose = false;
  /// The persistent compile cache (docs/compile-cache.md); false: bypass it.
  bool cache = true;
  /// Told the phase under way (BackendOptions::progress); may be empty.
  std::function<void(const std::string& phase, size_t done, size_t total)> progress;
};

struct AotResult {
  std::vector<std::string> files;  // written, in order
  EntrySignature entry;
  std::vector<std::string> kernels;
  std::string target;  // describeTarget()
  double codegenMs = 0, optimizeMs = 0, emitMs = 0, linkMs = 0, cacheMs = 0;
  std::string cache = "off";          // "hit", "miss" or "off"
  std::vector<std::string> warnings;  // a damaged cache entry rebuilt, ...
};

/// The prefix used when none is given: the output file's stem (without a
/// "lib" prefix for static libraries) made into a C identifier.
std::string defaultPrefix(const std::string& output, EmitKind emit);

/// Whether `name` can prefix C symbols ([A-Za-z_][A-Za-z0-9_]*).
bool isCIdentifier(const std::string& name);

/// Whether the files `options` asks for can be written: the output's (and an
/// obj/lib header's) folder exists and is writable, and neither names a
/// folder. Cheap, so that a bad -o fails before the model compiles.
Status checkOutputPaths(const AotOptions& options);

/// Compiles `graph` (static shapes, planned or not) and writes the output(s).
/// Checks the output paths first (checkOutputPaths).
Expected<AotResult> compileAot(const ir::Graph& graph, const AotOptions& options);

}  // namespace nutshell::aot
