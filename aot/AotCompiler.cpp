#include "aot/AotCompiler.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include "aot/HeaderWriter.h"
#include "aot/Toolchain.h"
#include "backends/BackendRegistry.h"

namespace fs = std::filesystem;

namespace nutshell::aot {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Status writeFile(const std::string& path, const std::string& bytes) {
  if (path == "-") {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    std::fflush(stdout);
    return Status::success();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return makeError(fmt::format("cannot write '{}'", path));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return makeError(fmt::format("cannot write '{}' (disk full?)", path));
  return Status::success();
}

/// OUT's name with its extension (and, for libraries, the "lib" prefix)
/// replaced: model.o -> model.h, libmodel.a -> model.h.
std::string headerPathFor(const AotOptions& options) {
  if (!options.headerPath.empty()) return options.headerPath;
  fs::path out(options.output);
  std::string stem = out.stem().string();
  if (options.emit == EmitKind::StaticLibrary && stem.rfind("lib", 0) == 0 && stem.size() > 3) stem = stem.substr(3);
  return (out.parent_path() / (stem + ".h")).string();
}

/// `path` names a file that can be created or replaced: its folder exists
/// and is writable, and it is not itself a folder. `what` names the flag.
Status checkWritableFile(const std::string& path, const char* what) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return makeError(fmt::format("{} '{}' is a folder; name the file to write", what, path));
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  if (!fs::is_directory(folder, ec))
    return makeError(fmt::format("{} '{}': the folder '{}' does not exist", what, path, folder.string()));
  if (access(folder.c_str(), W_OK) != 0)
    return makeError(fmt::format("{} '{}': the folder '{}' is not writable", what, path, folder.string()));
  if (fs::exists(path, ec) && access(path.c_str(), W_OK) != 0)
    return makeError(fmt::format("{} '{}': the file exists and is not writable", what, path));
  return Status::success();
}

/// A private temporary folder, removed when the object goes away.
class TempDir {
public:
  static Expected<TempDir> create() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / "nutshell-compile-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return makeError(fmt::format("cannot create a temporary folder in '{}'", base.string()));
    TempDir dir;
    dir.path_ = pattern;
    return dir;
  }
  TempDir() = default;
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

Status writeHeader(const AotOptions& options, const EntrySignature& info, const std::string& target,
                   AotResult& result) {
  std::string path = headerPathFor(options);
  if (fs::path(path) == fs::path(options.output))
    return makeError(fmt::format("the header would overwrite the output '{}'; name it with --header", path));
  HeaderOptions header;
  header.modelFile = fs::path(options.modelFile).filename().string();
  header.target = target;
  header.headerName = fs::path(path).filename().string();
  std::string output = fs::path(options.output).filename().string();
  if (options.emit == EmitKind::StaticLibrary) {
    header.linkInputs = output;
  } else {
    auto libraries = findRuntimeLibraries();
    header.linkInputs = output + " " + (libraries ? libraries->runtime : std::string("libnutshell_runtime.a"));
  }
  NUTSHELL_TRY(writeFile(path, writeCHeader(info, header)));
  result.files.push_back(path);
  return Status::success();
}

}  // namespace

Expected<EmitKind> parseEmitKind(const std::string& name) {
  for (EmitKind kind :
       {EmitKind::Executable, EmitKind::Object, EmitKind::StaticLibrary, EmitKind::LlvmIr, EmitKind::Assembly})
    if (name == emitKindName(kind)) return kind;
  return makeError(fmt::format("unknown --emit kind '{}' (expected exe, obj, lib, llvm-ir or asm)", name));
}

const char* emitKindName(EmitKind kind) {
  switch (kind) {
    case EmitKind::Executable: return "exe";
    case EmitKind::Object: return "obj";
    case EmitKind::StaticLibrary: return "lib";
    case EmitKind::LlvmIr: return "llvm-ir";
    case EmitKind::Assembly: return "asm";
  }
  return "?";
}

bool isCIdentifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string defaultPrefix(const std::string& output, EmitKind emit) {
  std::string stem = output == "-" ? "" : fs::path(output).stem().string();
  if (emit == EmitKind::StaticLibrary && stem.rfind("lib", 0) == 0 && stem.size() > 3) stem = stem.substr(3);
  std::string prefix;
  for (char c : stem) prefix += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (prefix.empty()) return "model";
  if (std::isdigit(static_cast<unsigned char>(prefix[0]))) prefix = "m_" + prefix;
  return prefix;
}

Status checkOutputPaths(const AotOptions& options) {
  if (options.output.empty()) return makeError("no output file given (-o OUT)");
  if (options.output == "-") {
    if (options.emit != EmitKind::LlvmIr && options.emit != EmitKind::Assembly)
      return makeError(fmt::format("-o - (stdout) is for --emit=llvm-ir or asm, not --emit={}",
                                   emitKindName(options.emit)));
    return Status::success();
  }
  NUTSHELL_TRY(checkWritableFile(options.output, "-o"));
  if (options.emit == EmitKind::Object || options.emit == EmitKind::StaticLibrary)
    NUTSHELL_TRY(
        checkWritableFile(headerPathFor(options), options.headerPath.empty() ? "the header" : "--header"));
  return Status::success();
}

Expected<AotResult> compileAot(const ir::Graph& graph, const AotOptions& options) {
  NUTSHELL_TRY(checkOutputPaths(options));
  std::string prefix = options.prefix.empty() ? defaultPrefix(options.output, options.emit) : options.prefix;
  if (!isCIdentifier(prefix))
    return makeError(fmt::format("--name '{}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)", prefix));
  // The runtime's own C symbols start with nutshell_; keep models out of them.
  if (prefix == "nutshell" || prefix.rfind("nutshell_", 0) == 0)
    return makeError(fmt::format("--name '{}' collides with the runtime's nutshell_* symbols; pick another prefix", prefix));

  NUTSHELL_ASSIGN(std::unique_ptr<Backend> backend, createBackend(options.backend));
  BackendOptions backendOptions;
  backendOptions.cache = options.cache;
  backendOptions.progress = options.progress;
  if (!options.targetCpu.empty()) backendOptions.settings["target-cpu"] = options.targetCpu;
  EmitRequest request;
  request.prefix = prefix;
  request.standaloneDescriptor = options.emit == EmitKind::Executable;
  // An executable or a library links whatever objects it is given: the
  // backend may compile the model in parts on threads.
  request.severalObjects = options.emit == EmitKind::Executable || options.emit == EmitKind::StaticLibrary;
  request.format = options.emit == EmitKind::LlvmIr     ? EmitFormat::IrText
                   : options.emit == EmitKind::Assembly ? EmitFormat::Assembly
                                                        : EmitFormat::Object;
  NUTSHELL_ASSIGN(EmitResult emitted, backend->emit(graph, backendOptions, request));
  AotResult result;
  result.target = emitted.target;
  result.entry = emitted.entry;
  result.kernels = emitted.kernels;
  result.codegenMs = emitted.phaseMs("codegen");
  result.optimizeMs = emitted.phaseMs("optimize");
  result.emitMs = emitted.phaseMs("emit");
  result.cacheMs = emitted.phaseMs("cache");
  result.cache = emitted.cache;
  result.warnings = emitted.warnings;
  if (options.verbose) {
    std::fprintf(stderr, "nutshell-compile: target %s\n", result.target.c_str());
    std::fprintf(stderr, "nutshell-compile: %s, %zu kernels, workspace %lld bytes\n",
                 result.entry.signature.c_str(), result.kernels.size(),
                 static_cast<long long>(result.entry.workspaceBytes));
    for (const std::string& line : result.kernels) std::fprintf(stderr, "  %s\n", line.c_str());
  }
  const std::string& code = emitted.code;
  std::vector<std::string> objects = emitted.objects;
  if (objects.empty()) objects.push_back(code);

  auto start = Clock::now();
  if (options.progress) options.progress(options.emit == EmitKind::Executable ? "linking" : "writing", 0, 0);
  switch (options.emit) {
    case EmitKind::LlvmIr:
    case EmitKind::Assembly:
      NUTSHELL_TRY(writeFile(options.output, code));
      result.files.push_back(options.output);
      break;
    case EmitKind::Object:
      NUTSHELL_TRY(writeFile(options.output, code));
      result.files.push_back(options.output);
      NUTSHELL_TRY(writeHeader(options, result.entry, result.target, result));
      break;
    case EmitKind::StaticLibrary: {
      NUTSHELL_ASSIGN(RuntimeLibraries libraries, findRuntimeLibraries());
      if (options.verbose) std::fprintf(stderr, "nutshell-compile: runtime from %s\n", libraries.where.c_str());
      std::error_code ec;
      fs::remove(options.output, ec);  // writeArchive would not replace a foreign file kind
      NUTSHELL_TRY(writeStaticLibrary(options.output, prefix, objects, {libraries.runtime}));
      result.files.push_back(options.output);
      NUTSHELL_TRY(writeHeader(options, result.entry, result.target, result));
      break;
    }
    case EmitKind::Executable: {
      NUTSHELL_ASSIGN(RuntimeLibraries libraries, findRuntimeLibraries());
      if (options.verbose) std::fprintf(stderr, "nutshell-compile: runtime from %s\n", libraries.where.c_str());
      NUTSHELL_ASSIGN(TempDir temp, TempDir::create());
      std::vector<std::string> paths;
      for (size_t i = 0; i < objects.size(); ++i) {
        paths.push_back((fs::path(temp.path()) / fmt::format("{}.{}.o", prefix, i)).string());
        NUTSHELL_TRY(writeFile(paths.back(), objects[i]));
      }
      NUTSHELL_TRY(
          linkExecutable(paths, {libraries.aotMain, libraries.runtime}, options.output, options.verbose));
      result.files.push_back(options.output);
      break;
    }
  }
  result.linkMs = msSince(start);
  return result;
}

}  // namespace nutshell::aot
