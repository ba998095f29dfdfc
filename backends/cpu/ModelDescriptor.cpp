#include "backends/cpu/ModelDescriptor.h"

#include <fmt/format.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/GlobalAlias.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

namespace nutshell::cpu {
namespace {

// Must match runtime/aot/AotModel.h field for field (NUTSHELL_AOT_ABI_VERSION).
constexpr int32_t kAbiVersion = 2;
constexpr int32_t kF32 = 0;
constexpr int32_t kI64 = 1;
constexpr const char* kSymbol = "nutshell_aot_model";

class DescriptorBuilder {
public:
  DescriptorBuilder(llvm::Module& module, const std::string& prefix)
      : module_(module), ctx_(module.getContext()), prefix_(prefix) {
    ptr_ = llvm::PointerType::get(ctx_, 0);
    i32_ = llvm::Type::getInt32Ty(ctx_);
    i64_ = llvm::Type::getInt64Ty(ctx_);
    // struct NutshellAotTensor { const char* name; int32_t dtype; int32_t rank; const int64_t* shape; }
    tensorType_ = llvm::StructType::create(ctx_, {ptr_, i32_, i32_, ptr_}, "NutshellAotTensor");
    // struct NutshellAotModel { int32_t abi_version, num_inputs, num_outputs; const char* name, *signature,
    //   *target; const NutshellAotTensor* inputs, *outputs; int64_t workspace_bytes; void (*run)(...); }
    modelType_ = llvm::StructType::create(ctx_, {i32_, i32_, i32_, ptr_, ptr_, ptr_, ptr_, ptr_, i64_, ptr_},
                                          "NutshellAotModel");
  }

  /// A private constant global named PREFIX.aot.NAME.
  llvm::GlobalVariable* privateConstant(llvm::Constant* init, const std::string& name) {
    const std::string fullName = prefix_ + ".aot." + name;
    auto* global = new llvm::GlobalVariable(module_, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                            init, fullName);
    global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return global;
  }

  llvm::Constant* string(const std::string& text, const std::string& name) {
    return privateConstant(llvm::ConstantDataArray::getString(ctx_, text, /*AddNull=*/true), name);
  }

  llvm::Constant* tensors(const std::vector<TensorSignature>& list, const std::string& kind) {
    std::vector<llvm::Constant*> elements;
    for (size_t i = 0; i < list.size(); ++i) {
      const TensorSignature& t = list[i];
      std::vector<uint64_t> dims(t.shape.begin(), t.shape.end());
      llvm::Constant* shapeInit = llvm::ConstantDataArray::get(ctx_, llvm::ArrayRef<uint64_t>(dims));
      llvm::GlobalVariable* shape = privateConstant(shapeInit, fmt::format("{}{}.shape", kind, i));
      shape->setAlignment(llvm::Align(8));
      elements.push_back(llvm::ConstantStruct::get(
          tensorType_, {string(t.name, fmt::format("{}{}.name", kind, i)),
                        llvm::ConstantInt::get(i32_, t.dtype == ir::DType::F32 ? kF32 : kI64),
                        llvm::ConstantInt::get(i32_, t.shape.size()), shape}));
    }
    if (elements.empty()) return llvm::ConstantPointerNull::get(ptr_);
    auto* arrayType = llvm::ArrayType::get(tensorType_, elements.size());
    return privateConstant(llvm::ConstantArray::get(arrayType, elements), kind + "s");
  }

  Status build(const EntrySignature& info, const std::string& target, bool standalone) {
    // The C header's dtype codes and the AOT tensor reader know f32 and i64.
    for (const auto* list : {&info.inputs, &info.outputs})
      for (const TensorSignature& t : *list)
        if (t.dtype != ir::DType::F32 && t.dtype != ir::DType::I64)
          return makeError(
              fmt::format("aot: '{}' is {}; compiled executables and libraries take f32 and i64 "
                          "inputs and outputs (cast at the model's edge, or use the JIT)",
                          t.name, ir::dtypeName(t.dtype)));
    llvm::Function* run = module_.getFunction(info.prefix + "_run");
    if (!run) return makeError(fmt::format("aot: the module defines no '{}_run' entry", info.prefix));
    const std::string symbol = info.prefix + "_model_info";
    for (const std::string& name : {symbol, info.prefix + "_info", std::string(kSymbol)})
      if (module_.getNamedValue(name))
        return makeError(fmt::format("aot: the module already defines '{}'", name));
    llvm::Constant* fields[] = {
        llvm::ConstantInt::get(i32_, kAbiVersion),
        llvm::ConstantInt::get(i32_, info.inputs.size()),
        llvm::ConstantInt::get(i32_, info.outputs.size()),
        string(info.prefix, "name"),
        string(info.signature, "signature"),
        string(target, "target"),
        tensors(info.inputs, "input"),
        tensors(info.outputs, "output"),
        llvm::ConstantInt::get(i64_, info.workspaceBytes),
        run,
    };
    auto* descriptor = new llvm::GlobalVariable(module_, modelType_, true, llvm::GlobalValue::ExternalLinkage,
                                                llvm::ConstantStruct::get(modelType_, fields), symbol);
    // <prefix>_info() for C programs (the header declares it; a function
    // rather than the data symbol so it also serves dlsym and other
    // languages' foreign-function interfaces).
    auto* info_fn =
        llvm::Function::Create(llvm::FunctionType::get(ptr_, false), llvm::GlobalValue::ExternalLinkage,
                               info.prefix + "_info", module_);
    info_fn->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<>(llvm::BasicBlock::Create(ctx_, "entry", info_fn)).CreateRet(descriptor);
    // The prebuilt main of an executable knows no prefix: it reads the
    // descriptor under a fixed name.
    if (standalone)
      llvm::GlobalAlias::create(modelType_, 0, llvm::GlobalValue::ExternalLinkage, kSymbol, descriptor,
                                &module_);
    return Status::success();
  }

private:
  llvm::Module& module_;
  llvm::LLVMContext& ctx_;
  std::string prefix_;
  llvm::PointerType* ptr_;
  llvm::Type* i32_;
  llvm::Type* i64_;
  llvm::StructType* tensorType_;
  llvm::StructType* modelType_;
};

}  // namespace

Status addModelDescriptor(llvm::Module& module, const EntrySignature& info, const std::string& target,
                          bool standalone) {
  DescriptorBuilder builder(module, info.prefix);
  return builder.build(info, target, standalone);
}

}  // namespace nutshell::cpu
