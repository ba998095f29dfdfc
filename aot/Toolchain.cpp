#include "aot/Toolchain.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <llvm/Object/Archive.h>
#include <llvm/Object/ArchiveWriter.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

extern char** environ;

namespace fs = std::filesystem;

namespace nutshell::aot {
namespace {

constexpr const char* kMainArchive = "libnutshell_aot_main.a";
constexpr const char* kRuntimeArchive = "libnutshell_runtime.a";

bool isFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

/// The running program's own path (Linux: /proc/self/exe).
std::string selfPath() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

/// argv[0] looked up like execvp does; empty when not found.
std::string findOnPath(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (isFile(candidate) && access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

std::string quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Error llvmError(llvm::Error error, const std::string& what) {
  return makeError(what + ": " + llvm::toString(std::move(error)));
}

}  // namespace

Expected<RuntimeLibraries> findRuntimeLibraries() {
  std::vector<std::pair<fs::path, std::string>> dirs;  // (dir, rule)
  if (const char* env = std::getenv("NUTSHELL_AOT_LIB_DIR"); env && *env) dirs.push_back({env, "$NUTSHELL_AOT_LIB_DIR"});
  std::string self = selfPath();
  if (!self.empty()) dirs.push_back({fs::path(self).parent_path().parent_path() / "lib", "next to nutshell-compile"});
  std::string tried;
  for (const auto& [dir, rule] : dirs) {
    fs::path main = dir / kMainArchive, runtime = dir / kRuntimeArchive;
    if (isFile(main) && isFile(runtime)) return RuntimeLibraries{main.string(), runtime.string(), rule + ": " + dir.string()};
    tried += fmt::format("\n  {} ({})", dir.string(), rule);
  }
#if defined(NUTSHELL_AOT_BUILD_MAIN_LIB) && defined(NUTSHELL_AOT_BUILD_RUNTIME_LIB)
  if (isFile(NUTSHELL_AOT_BUILD_MAIN_LIB) && isFile(NUTSHELL_AOT_BUILD_RUNTIME_LIB))
    return RuntimeLibraries{NUTSHELL_AOT_BUILD_MAIN_LIB, NUTSHELL_AOT_BUILD_RUNTIME_LIB,
                            std::string("build tree: ") + fs::path(NUTSHELL_AOT_BUILD_MAIN_LIB).parent_path().string()};
  tried += fmt::format("\n  {} and {} (the build tree)", NUTSHELL_AOT_BUILD_MAIN_LIB, NUTSHELL_AOT_BUILD_RUNTIME_LIB);
#endif
  return makeError(fmt::format("cannot find nutshell's AOT runtime ({} and {}); looked in:{}\n"
                               "build the targets nutshell_aot_main and nutshell_runtime, install them into the lib "
                               "folder next to nutshell-compile's bin folder, or set NUTSHELL_AOT_LIB_DIR",
                               kMainArchive, kRuntimeArchive, tried));
}

Expected<std::vector<std::string>> findCompiler(const char* environmentVariable, const std::string& fallback) {
  std::vector<std::string> words;
  const char* env = std::getenv(environmentVariable);
  bool fromEnv = env && *env;
  std::istringstream in(fromEnv ? env : fallback);
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return makeError(fmt::format("${} is blank", environmentVariable));
  if (findOnPath(words[0]).empty())
    return makeError(fromEnv ? fmt::format("${} names '{}', which is not an executable on PATH", environmentVariable,
                                           words[0])
                             : fmt::format("no C/C++ compiler driver '{}' on PATH; linking needs one (install gcc/g++ "
                                           "or clang, or name one with ${}=...)",
                                           fallback, environmentVariable));
  return words;
}

std::string commandLine(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    if (!s.empty()) s += ' ';
    s += quote(a);
  }
  return s;
}

Expected<CommandResult> runCommand(const std::vector<std::string>& argv) {
  if (argv.empty()) return makeError("runCommand: empty command");
  int pipeFds[2];
  if (pipe(pipeFds) != 0) return makeError(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, pipeFds[0]);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipeFds[1]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipeFds[1]);
  if (spawned != 0) {
    close(pipeFds[0]);
    return makeError(fmt::format("cannot run '{}': {}", argv[0], std::strerror(spawned)));
  }
  CommandResult result;
  char buffer[4096];
  for (ssize_t n; (n = read(pipeFds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    result.output.append(buffer, static_cast<size_t>(n));
  }
  close(pipeFds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return makeError(fmt::format("waiting for '{}': {}", argv[0], std::strerror(errno)));
  result.exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

Status linkExecutable(const std::vector<std::string>& objects, const std::vector<std::string>& libraries,
                      const std::string& output, bool verbose) {
  NUTSHELL_ASSIGN(std::vector<std::string> driver, findCompiler("CXX", "c++"));
  std::vector<std::string> command = driver;
  command.insert(command.end(), {"-o", output});
  command.insert(command.end(), objects.begin(), objects.end());
  command.insert(command.end(), libraries.begin(), libraries.end());
  command.insert(command.end(), {"-pthread", "-lm"});
#ifdef NUTSHELL_AOT_EXTRA_LINK_FLAGS
  for (std::istringstream flags(NUTSHELL_AOT_EXTRA_LINK_FLAGS); !flags.eof();) {
    std::string flag;
    if (flags >> flag) command.push_back(flag);
  }
#endif
  // Static libstdc++/libgcc keep the executable's dependencies to libc and
  // libm; toolchains without the static archives link the shared ones.
  std::vector<std::string> portable = command;
  portable.insert(portable.end(), {"-static-libstdc++", "-static-libgcc"});
  std::string failures;
  for (const auto* attempt : {&portable, &command}) {
    if (verbose) std::fprintf(stderr, "nutshell-compile: link: %s\n", commandLine(*attempt).c_str());
    NUTSHELL_ASSIGN(CommandResult result, runCommand(*attempt));
    if (result.exitStatus == 0) return Status::success();
    failures += fmt::format("\n$ {}\n{}", commandLine(*attempt), result.output);
  }
  return makeError(fmt::format("linking '{}' failed:{}", output, failures));
}

Status writeStaticLibrary(const std::string& output, const std::string& name,
                          const std::vector<std::string>& objects, const std::vector<std::string>& archives) {
  std::vector<llvm::NewArchiveMember> members;
  std::vector<std::string> memberNames;
  for (size_t i = 0; i < objects.size(); ++i)
    memberNames.push_back(objects.size() == 1 ? name + ".o" : fmt::format("{}.{}.o", name, i));
  for (size_t i = 0; i < objects.size(); ++i)
    members.emplace_back(llvm::MemoryBufferRef(objects[i], memberNames[i]));
  // The source archives must stay open while their members are written.
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  std::vector<std::unique_ptr<llvm::object::Archive>> opened;
  for (const std::string& path : archives) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buffer) return makeError(fmt::format("cannot read '{}': {}", path, buffer.getError().message()));
    auto archive = llvm::object::Archive::create((*buffer)->getMemBufferRef());
    if (!archive) return llvmError(archive.takeError(), fmt::format("'{}' is not an archive", path));
    llvm::Error error = llvm::Error::success();
    for (const llvm::object::Archive::Child& child : (*archive)->children(error)) {
      auto member = llvm::NewArchiveMember::getOldMember(child, /*Deterministic=*/true);
      if (!member) return llvmError(member.takeError(), fmt::format("reading a member of '{}'", path));
      members.push_back(std::move(*member));
    }
    if (error) return llvmError(std::move(error), fmt::format("reading '{}'", path));
    buffers.push_back(std::move(*buffer));
    opened.push_back(std::move(*archive));
  }
  if (llvm::Error error = llvm::writeArchive(output, members, llvm::SymtabWritingMode::NormalSymtab,
                                             llvm::object::Archive::K_GNU, /*Deterministic=*/true, /*Thin=*/false))
    return llvmError(std::move(error), fmt::format("cannot write '{}'", output));
  return Status::success();
}

}  // namespace nutshell::aot
