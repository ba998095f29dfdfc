#include "backends/cpu/HostConstants.h"

#include <cstdint>
#include <cstring>
#include <new>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/Module.h>

namespace nutshell::cpu {

void* HostConstants::copy(const void* data, size_t bytes) {
  size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  void* copy = std::aligned_alloc(64, rounded);
  if (!copy) return nullptr;
  std::memcpy(copy, data, bytes);
  buffers_.emplace_back(copy);
  totalBytes_ += bytes;
  return copy;
}

bool HostConstants::restore(const std::string& symbol, const void* data, size_t bytes) {
  void* payload = copy(data, bytes);
  if (!payload) return false;
  entries_.push_back({symbol, payload, bytes});
  return true;
}

llvm::GlobalVariable* HostConstants::declare(llvm::Module& module, llvm::ArrayType* type, const void* data,
                                             size_t bytes, const std::string& name) {
  void* payload = copy(data, bytes);
  if (!payload) throw std::bad_alloc();
  // Not dso_local: the JIT reaches the host buffer through the GOT, so it may
  // lie anywhere in the address space.
  auto* global = new llvm::GlobalVariable(module, type, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
                                          /*Initializer=*/nullptr, name);
  global->setAlignment(llvm::Align(64));
  entries_.push_back({global->getName().str(), payload, bytes});
  return global;
}

llvm::GlobalVariable* makeConstantGlobal(llvm::Module& module, HostConstants* host, const void* data, size_t count,
                                         bool isF32, const std::string& name) {
  llvm::LLVMContext& ctx = module.getContext();
  size_t bytes = count * (isF32 ? sizeof(float) : sizeof(int64_t));
  llvm::Type* element = isF32 ? llvm::Type::getFloatTy(ctx) : llvm::Type::getInt64Ty(ctx);
  if (host && bytes >= HostConstants::kMinBytes)
    return host->declare(module, llvm::ArrayType::get(element, count), data, bytes, name);
  llvm::Constant* init =
      isF32 ? llvm::ConstantDataArray::get(ctx, llvm::ArrayRef<float>(static_cast<const float*>(data), count))
            : llvm::ConstantDataArray::get(ctx, llvm::ArrayRef<uint64_t>(static_cast<const uint64_t*>(data), count));
  auto* global =
      new llvm::GlobalVariable(module, init->getType(), /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage, init, name);
  global->setAlignment(llvm::Align(64));
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return global;
}

llvm::GlobalVariable* makeConstantBytesGlobal(llvm::Module& module, HostConstants* host, const void* data,
                                              size_t bytes, const std::string& name) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::Type* byte = llvm::Type::getInt8Ty(ctx);
  if (host && bytes >= HostConstants::kMinBytes)
    return host->declare(module, llvm::ArrayType::get(byte, bytes), data, bytes, name);
  llvm::Constant* init =
      llvm::ConstantDataArray::get(ctx, llvm::ArrayRef<uint8_t>(static_cast<const uint8_t*>(data), bytes));
  auto* global = new llvm::GlobalVariable(module, init->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::PrivateLinkage, init, name);
  global->setAlignment(llvm::Align(64));
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return global;
}

}  // namespace nutshell::cpu
