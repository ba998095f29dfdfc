#include "backends/cpu/JitCache.h"

#include <dlfcn.h>
#include <llvm/Support/BLAKE3.h>
#include <llvm/Support/Error.h>
#include <sys/stat.h>

#include "backends/common/CompileCache.h"
#include "ir/Printer.h"

namespace nutshell::cpu {
namespace {

/// Bumped whenever an entry's layout changes.
constexpr std::string_view kFormat = "nutshell-cpu-jit 2";  // 2: a list of objects

/// The file this code was loaded from (the tool, or the program that links
/// the host API), as size, inode and modification time: a rebuild changes it.
std::string buildIdentity() {
  Dl_info info{};
  if (!::dladdr(reinterpret_cast<void*>(&jitCacheKey), &info) || !info.dli_fname) return "unknown build";
  struct stat st {};
  if (::stat(info.dli_fname, &st) != 0) return std::string("unreadable ") + info.dli_fname;
  return std::string(info.dli_fname) + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_ino) +
         " " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

void addString(llvm::BLAKE3& hash, std::string_view s) {
  uint64_t size = s.size();
  hash.update(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(&size), sizeof size));
  hash.update(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

void writeSignature(common::CacheWriter& w, const TensorSignature& t) {
  w.str(t.name);
  w.u64(uint64_t(t.dtype));
  w.u64(t.shape.size());
  for (int64_t d : t.shape) w.u64(uint64_t(d));
}

TensorSignature readSignature(common::CacheReader& r) {
  TensorSignature t;
  t.name = std::string(r.str());
  uint64_t dtype = r.u64();
  t.dtype = dtype <= uint64_t(ir::DType::F64) ? ir::DType(dtype) : ir::DType::F32;
  uint64_t rank = r.u64();
  for (uint64_t d = 0; d < rank && !r.failed(); ++d) t.shape.push_back(int64_t(r.u64()));
  return t;
}

}  // namespace

std::string jitCacheKey(const ir::Graph& planned, const TargetInfo& target, const std::string& perturbValue,
                        std::string_view purpose) {
  static const std::string identity = buildIdentity();
  llvm::BLAKE3 hash;
  addString(hash, kFormat);
  addString(hash, purpose);
  addString(hash, identity);
  addString(hash, target.triple);
  addString(hash, target.cpuName);
  addString(hash, target.features);
  addString(hash, perturbValue);
  ir::PrintOptions text;
  text.elideConstants = true;  // their bytes follow, unformatted
  addString(hash, ir::printGraph(planned, text));
  for (const auto& node : planned.nodes()) {
    if (node->op != ir::OpKind::Const || !node->constant) continue;
    const ir::TensorData& data = *node->constant;
    if (ir::isFloatType(data.type.dtype))
      addString(hash, std::string_view(reinterpret_cast<const char*>(data.f32.data()), data.f32.size() * 4));
    else
      addString(hash, std::string_view(reinterpret_cast<const char*>(data.i64.data()), data.i64.size() * 8));
  }
  std::array<uint8_t, 32> digest = hash.final();
  static const char* kHex = "0123456789abcdef";
  std::string key;
  for (uint8_t b : digest) {
    key += kHex[b >> 4];
    key += kHex[b & 15];
  }
  return key;
}

std::string serializeCachedModule(const ModuleInfo& info, const HostConstants* constants,
                                  const std::vector<std::string>& objects) {
  common::CacheWriter w;
  w.str(kFormat);
  w.str(info.prefix);
  w.str(info.signature);
  w.u64(uint64_t(info.workspaceBytes));
  w.u64(info.inputs.size());
  for (const TensorSignature& t : info.inputs) writeSignature(w, t);
  w.u64(info.outputs.size());
  for (const TensorSignature& t : info.outputs) writeSignature(w, t);
  w.u64(info.kernels.size());
  for (const std::string& k : info.kernels) w.str(k);
  w.u64(constants ? constants->entries().size() : 0);
  if (constants)
    for (const HostConstants::Entry& e : constants->entries()) {
      w.str(e.symbol);
      w.str(std::string_view(static_cast<const char*>(e.data), e.bytes));
    }
  w.u64(objects.size());
  for (const std::string& object : objects) w.str(object);
  return std::move(w.bytes());
}

Expected<CachedModule> deserializeCachedModule(std::string_view payload) {
  common::CacheReader r(payload);
  if (r.str() != kFormat) return makeError("it was written by another entry format");
  CachedModule m;
  m.info.prefix = std::string(r.str());
  m.info.signature = std::string(r.str());
  m.info.workspaceBytes = int64_t(r.u64());
  // Counts are bounded by what is left to read: a damaged count cannot ask
  // for a huge allocation.
  for (uint64_t i = 0, n = r.u64(); i < n && !r.failed(); ++i) m.info.inputs.push_back(readSignature(r));
  for (uint64_t i = 0, n = r.u64(); i < n && !r.failed(); ++i) m.info.outputs.push_back(readSignature(r));
  for (uint64_t i = 0, n = r.u64(); i < n && !r.failed(); ++i) m.info.kernels.emplace_back(r.str());
  uint64_t constants = r.u64();
  if (constants > 0) m.hostConstants = std::make_shared<HostConstants>();
  for (uint64_t i = 0; i < constants && !r.failed(); ++i) {
    std::string symbol(r.str());
    std::string_view bytes = r.str();
    if (r.failed()) break;
    if (!m.hostConstants->restore(symbol, bytes.data(), bytes.size()))
      return makeError("out of memory restoring its constants");
  }
  for (uint64_t i = 0, n = r.u64(); i < n && !r.failed(); ++i) m.objects.emplace_back(r.str());
  if (r.failed() || !r.atEnd()) return makeError("it is malformed");
  if (m.info.workspaceBytes < 0) return makeError("it is malformed (negative workspace)");
  return m;
}

}  // namespace nutshell::cpu
