// Graph -> llvm::Module: pointers to where plan-memory placed each value
// (common::assignBuffers: inputs, outputs, constants as globals, arena
// offsets), one kernel per node, and the entry points. See ModuleBuilder.h
// for the ABI.
#include "backends/cpu/ModuleBuilder.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/ReplaceConstant.h>
#include <llvm/IR/StructuralHash.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/FunctionComparator.h>

#include "backends/common/BufferAssignment.h"
#include "backends/common/ExecutableShell.h"
#include "backends/cpu/HostConstants.h"
#include "backends/cpu/KernelEmitter.h"
#include "ir/Verifier.h"

namespace nutshell::cpu {
namespace {

using common::BufferLocation;

int64_t byteSize(const ir::Value* v) {
  return v->type.numElements() * static_cast<int64_t>(ir::elementSize(v->type.dtype));
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char ch : name) out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') ? ch : '_';
  return out.empty() ? "v" : out;
}

std::string signatureText(const ir::Graph& graph) {
  std::string text = "(";
  for (size_t i = 0; i < graph.inputs.size(); ++i)
    text += fmt::format("{}%{}: {}", i ? ", " : "", graph.inputs[i]->name, graph.inputs[i]->type.str());
  text += ") -> (";
  for (size_t i = 0; i < graph.outputs.size(); ++i)
    text += fmt::format("{}%{}: {}", i ? ", " : "", graph.outputs[i]->name, graph.outputs[i]->type.str());
  return text + ")";
}

class Builder {
public:
  Builder(const ir::Graph& graph, const TargetInfo& target, const ModuleOptions& options)
      : graph_(graph), target_(target), options_(options) {}

  Expected<BuiltModule> build();

private:
  Status checkGraph();
  llvm::Value* bufferPointer(const ir::Value* value);
  llvm::Function* declareKernel(const std::string& name);
  void setTargetAttributes(llvm::Function* f);
  Status emitNode(const ir::Node& node, size_t index);
  void emitCopy(const ir::Value* from, llvm::Value* destination);
  void emitMetadataFunctions();
  void emitArgumentChecks(llvm::IRBuilder<>& b);
  std::vector<llvm::GlobalVariable*> hostConstantsToArgs(llvm::Function* kernel, size_t firstSlot);
  llvm::Function* canonicalKernel(llvm::Function* kernel);

  const ir::Graph& graph_;
  const TargetInfo& target_;
  const ModuleOptions& options_;
  std::unique_ptr<llvm::LLVMContext> context_;
  std::unique_ptr<llvm::Module> module_;
  ModuleInfo info_;

  /// plan-memory's placement, read (common::assignBuffers).
  common::BufferAssignment buffers_;

  // The run function being built.
  llvm::Function* run_ = nullptr;
  llvm::IRBuilder<>* rb_ = nullptr;
  llvm::Value* inputsArg_ = nullptr;
  llvm::Value* outputsArg_ = nullptr;
  llvm::Value* workspaceArg_ = nullptr;
  std::shared_ptr<HostConstants> hostConstants_;
  /// Kernels kept so far, by structural hash, for canonicalKernel.
  std::unordered_map<uint64_t, std::vector<llvm::Function*>> kernelsByHash_;
  llvm::GlobalNumberState globalNumbers_;
  /// First private unnamed_addr table seen with each initializer.
  std::unordered_map<llvm::Constant*, llvm::GlobalVariable*> tables_;
  std::unordered_map<const ir::Value*, llvm::Value*> pointerCache_;
  llvm::Function* parallelFor_ = nullptr;
};

Status Builder::checkGraph() {
  auto checkValue = [&](const ir::Value* v) -> Status {
    if (!v->type.isStatic())
      return makeError(fmt::format("cpu backend: value '%{}' has type {} with symbolic dims; bind the input shapes first "
                                   "(--input-shape or compile options)",
                                   v->name, v->type.str()));
    return Status::success();
  };
  for (const ir::Value* v : graph_.inputs) NUTSHELL_TRY(checkValue(v));
  for (const auto& node : graph_.nodes()) {
    for (const ir::Value* v : node->results) NUTSHELL_TRY(checkValue(v));
    if (node->op == ir::OpKind::Const && (!node->constant || node->constant->elided))
      return makeError(fmt::format("cpu backend: constant '%{}' has no values (elided); cannot generate code",
                                   node->name()));
  }
  return Status::success();
}

llvm::Value* Builder::bufferPointer(const ir::Value* value) {
  auto cached = pointerCache_.find(value);
  if (cached != pointerCache_.end()) return cached->second;
  const BufferLocation& buffer = buffers_.at(value);
  llvm::IRBuilder<>& b = *rb_;
  llvm::Value* pointer = nullptr;
  switch (buffer.kind) {
    case BufferLocation::Input:
      pointer = b.CreateLoad(b.getPtrTy(), b.CreateConstInBoundsGEP1_64(b.getPtrTy(), inputsArg_, buffer.index),
                             "in." + sanitize(value->name));
      break;
    case BufferLocation::Output:
      pointer = b.CreateLoad(b.getPtrTy(), b.CreateConstInBoundsGEP1_64(b.getPtrTy(), outputsArg_, buffer.index),
                             "out." + sanitize(value->name));
      break;
    case BufferLocation::Arena:
      pointer = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), workspaceArg_, buffer.offset, sanitize(value->name));
      break;
    case BufferLocation::Constant: {
      const ir::TensorData& data = *value->producer->constant;
      if (data.type.dtype != ir::DType::F32 && data.type.dtype != ir::DType::I64) {
        // The payload holds f32 or i64 values: lay them out in the real type.
        Tensor held = ir::isFloatType(data.type.dtype) ? Tensor::f32(data.type.shape(), data.f32)
                                                       : Tensor::i64(data.type.shape(), data.i64);
        Tensor bytes = held.convertedTo(common::elementTypeOf(data.type.dtype));
        pointer = makeConstantBytesGlobal(*module_, hostConstants_.get(), bytes.data(), bytes.byteSize(),
                                          options_.prefix + ".const." + sanitize(value->name));
        break;
      }
      bool isF32 = data.type.dtype == ir::DType::F32;
      llvm::GlobalVariable* global = makeConstantGlobal(
          *module_, hostConstants_.get(), isF32 ? static_cast<const void*>(data.f32.data()) : data.i64.data(),
          isF32 ? data.f32.size() : data.i64.size(), isF32, options_.prefix + ".const." + sanitize(value->name));
      pointer = global;
      break;
    }
  }
  pointerCache_[value] = pointer;
  return pointer;
}

void Builder::setTargetAttributes(llvm::Function* f) {
  f->addFnAttr("target-cpu", target_.cpuName);
  if (!target_.features.empty()) f->addFnAttr("target-features", target_.features);
  // Keep explicit 512-bit vectors whole even where the CPU's tuning prefers
  // 256-bit auto-vectorization (Zen 4, Ice Lake).
  int bits = target_.vectorWidth * 32;
  f->addFnAttr("min-legal-vector-width", std::to_string(bits));
  f->addFnAttr("prefer-vector-width", std::to_string(bits));
  f->addFnAttr(llvm::Attribute::NoUnwind);
}

llvm::Function* Builder::declareKernel(const std::string& name) {
  llvm::LLVMContext& ctx = *context_;
  auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                       {llvm::PointerType::get(ctx, 0), llvm::Type::getInt64Ty(ctx), llvm::Type::getInt64Ty(ctx)},
                                       false);
  llvm::Function* f = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage, name, *module_);
  setTargetAttributes(f);
  f->addParamAttr(0, llvm::Attribute::NoAlias);
  f->addParamAttr(0, llvm::Attribute::NoCapture);
  f->addParamAttr(0, llvm::Attribute::ReadOnly);
  return f;
}

void Builder::emitCopy(const ir::Value* from, llvm::Value* destination) {
  llvm::Value* source = bufferPointer(from);
  if (source == destination) return;
  rb_->CreateMemMove(destination, llvm::MaybeAlign(4), source, llvm::MaybeAlign(4), byteSize(from));
}

Status Builder::emitNode(const ir::Node& node, size_t index) {
  if (node.op == ir::OpKind::Const || node.op == ir::OpKind::Empty) return Status::success();
  bool empty = true;
  for (const ir::Value* r : node.results) empty = empty && r->type.numElements() == 0;
  if (empty) return Status::success();

  llvm::IRBuilder<>& b = *rb_;
  // Pure copies between identical buffers need no kernel.
  bool isCopy = node.op == ir::OpKind::Identity || node.op == ir::OpKind::Reshape || node.op == ir::OpKind::Flatten ||
                node.op == ir::OpKind::Squeeze || node.op == ir::OpKind::Unsqueeze;
  if (isCopy && buffers_.sameBuffer(node.operands[0], node.result())) return Status::success();

  std::string name = fmt::format("{}_k{}_{}", options_.prefix, index, sanitize(node.name()));
  llvm::Function* kernel = declareKernel(name);
  KernelBuilder kb(*module_, target_, node, kernel);
  kb.hostConstants = hostConstants_.get();
  NUTSHELL_ASSIGN(KernelInfo kernelInfo, emitKernel(kb));
  kb.b.CreateRetVoid();
  if (kernelInfo.numTasks <= 0) {
    kernel->eraseFromParent();
    return Status::success();
  }
  std::string line = fmt::format("{}: %{} = {} {} tasks={}{}{}", name, node.name(), ir::opName(node.op),
                                 node.result()->type.str(), kernelInfo.numTasks,
                                 kernelInfo.summary.empty() ? "" : " | ", kernelInfo.summary);
  for (const std::string& note : kb.notes()) line += " | " + note;
  info_.kernels.push_back(line);

  // Fill the args array with the slots the kernel reads, then the host
  // constants it was rewritten to take from args.
  size_t numSlots = node.operands.size() + node.results.size();
  std::vector<llvm::GlobalVariable*> extra;
  if (hostConstants_) extra = hostConstantsToArgs(kernel, numSlots);
  llvm::Function* canonical = canonicalKernel(kernel);
  if (canonical != kernel) info_.kernels.back() += fmt::format(" | same code as {}", canonical->getName().str());
  kernel = canonical;
  llvm::AllocaInst* args;
  {
    llvm::IRBuilder<> entryBuilder(&run_->getEntryBlock(), run_->getEntryBlock().begin());
    args = entryBuilder.CreateAlloca(b.getPtrTy(), b.getInt64(numSlots + extra.size()), "args." + sanitize(node.name()));
  }
  for (size_t s = 0; s < numSlots; ++s) {
    if (!kb.usedSlots()[s]) continue;
    const ir::Value* value = s < node.operands.size() ? node.operands[s] : node.results[s - node.operands.size()];
    b.CreateStore(bufferPointer(value), b.CreateConstInBoundsGEP1_64(b.getPtrTy(), args, s));
  }
  for (size_t j = 0; j < extra.size(); ++j)
    b.CreateStore(extra[j], b.CreateConstInBoundsGEP1_64(b.getPtrTy(), args, numSlots + j));
  // Small kernels run on the caller's thread: waking the pool costs more.
  constexpr double kParallelWork = 30000.0;
  if (kernelInfo.numTasks == 1 || kernelInfo.work < kParallelWork)
    b.CreateCall(kernel, {args, b.getInt64(0), b.getInt64(kernelInfo.numTasks)});
  else
    b.CreateCall(parallelFor_, {kernel, args, b.getInt64(kernelInfo.numTasks)});
  for (const ir::Value* r : node.results)
    if (!options_.perturbValue.empty() && r->name == options_.perturbValue &&
        r->type.dtype == ir::DType::F32 && r->type.numElements() > 0) {
      llvm::Value* first = bufferPointer(r);
      b.CreateStore(
          b.CreateFAdd(b.CreateLoad(b.getFloatTy(), first), llvm::ConstantFP::get(b.getFloatTy(), 1.0)),
          first);
    }
  return Status::success();
}

// JIT: a kernel that reads host constants (external globals) gets their
// addresses from args slots firstSlot, firstSlot+1, ... (in order of first
// use) instead, so that kernels differing only in their weights are
// structurally identical and canonicalKernel keeps one of them: fewer
// functions for O3 and the code generator.
std::vector<llvm::GlobalVariable*> Builder::hostConstantsToArgs(llvm::Function* kernel, size_t firstSlot) {
  auto isHost = [](const llvm::Value* v) {
    const auto* g = llvm::dyn_cast<llvm::GlobalVariable>(v);
    return g && g->isDeclaration() && g->isConstant();
  };
  std::vector<llvm::Constant*> used;
  for (llvm::GlobalVariable& global : module_->globals())
    if (isHost(&global)) used.push_back(&global);
  if (used.empty()) return {};
  // Constant expressions (e.g. a GEP into a global) become instructions so
  // that every use is an instruction operand inside the kernel.
  llvm::convertUsersOfConstantsToInstructions(used, kernel);

  std::vector<llvm::GlobalVariable*> order;
  std::unordered_map<llvm::GlobalVariable*, llvm::Value*> replacement;
  // Insert after the entry block's allocas: before every use.
  llvm::BasicBlock& entry = kernel->getEntryBlock();
  auto at = entry.begin();
  while (llvm::isa<llvm::AllocaInst>(*at)) ++at;
  llvm::IRBuilder<> b(&entry, at);
  llvm::LLVMContext& ctx = *context_;
  llvm::Value* args = kernel->getArg(0);
  for (llvm::BasicBlock& block : *kernel)
    for (llvm::Instruction& inst : block)
      for (llvm::Use& use : inst.operands()) {
        auto* global = llvm::dyn_cast<llvm::GlobalVariable>(use.get());
        if (!global || !isHost(global)) continue;
        llvm::Value*& pointer = replacement[global];
        if (!pointer) {
          auto* load = b.CreateLoad(b.getPtrTy(), b.CreateConstInBoundsGEP1_64(b.getPtrTy(), args, firstSlot + order.size()),
                                    "host" + std::to_string(order.size()));
          // What the global told O3: aligned, dereferenceable, unchanging.
          auto i64 = [&](uint64_t v) { return llvm::ConstantAsMetadata::get(b.getInt64(v)); };
          uint64_t bytes = module_->getDataLayout().getTypeAllocSize(global->getValueType());
          load->setMetadata(llvm::LLVMContext::MD_align, llvm::MDNode::get(ctx, {i64(64)}));
          load->setMetadata(llvm::LLVMContext::MD_dereferenceable, llvm::MDNode::get(ctx, {i64(bytes)}));
          load->setMetadata(llvm::LLVMContext::MD_nonnull, llvm::MDNode::get(ctx, {}));
          load->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(ctx, {}));
          pointer = load;
          order.push_back(global);
        }
        use.set(pointer);
      }
  return order;
}

// A kernel structurally identical to one emitted before (same op, shapes and
// attributes; weights come from args) is dropped in favour of that one.
llvm::Function* Builder::canonicalKernel(llvm::Function* kernel) {
  // Identical private tables (index tables, small weights) of different
  // kernels become one global first, as LLVM's ConstantMerge would later.
  auto isTable = [](const llvm::Value* v) {
    const auto* g = llvm::dyn_cast<llvm::GlobalVariable>(v);
    return g && g->isConstant() && g->hasInitializer() && g->hasGlobalUnnamedAddr() && g->hasPrivateLinkage();
  };
  std::vector<llvm::Constant*> tables;
  for (llvm::GlobalVariable& global : module_->globals())
    if (isTable(&global)) tables.push_back(&global);
  if (!tables.empty()) llvm::convertUsersOfConstantsToInstructions(tables, kernel);
  std::vector<llvm::GlobalVariable*> replaced;
  for (llvm::BasicBlock& block : *kernel)
    for (llvm::Instruction& inst : block)
      for (llvm::Use& use : inst.operands()) {
        if (!isTable(use.get())) continue;
        auto* global = llvm::cast<llvm::GlobalVariable>(use.get());
        auto [it, inserted] = tables_.try_emplace(global->getInitializer(), global);
        if (inserted || it->second == global || it->second->getAlign() != global->getAlign()) continue;
        use.set(it->second);
        replaced.push_back(global);
      }
  std::sort(replaced.begin(), replaced.end());
  replaced.erase(std::unique(replaced.begin(), replaced.end()), replaced.end());
  for (llvm::GlobalVariable* global : replaced)
    if (global->use_empty()) global->eraseFromParent();

  uint64_t hash = llvm::StructuralHash(*kernel);
  std::vector<llvm::Function*>& candidates = kernelsByHash_[hash];
  for (llvm::Function* other : candidates)
    if (llvm::FunctionComparator(kernel, other, &globalNumbers_).compare() == 0) {
      kernel->eraseFromParent();
      return other;
    }
  candidates.push_back(kernel);
  return kernel;
}

/// The run entry refuses what would make its kernels fault or read past a
/// buffer: a missing pointer (of a tensor that has elements, or the workspace
/// when the model needs one) or one that breaks the alignment the kernels
/// assume. Its status codes are the C header's NUTSHELL_STATUS_* values.
void Builder::emitArgumentChecks(llvm::IRBuilder<>& b) {
  llvm::LLVMContext& ctx = *context_;
  llvm::Type* ptr = b.getPtrTy();
  llvm::BasicBlock* nullBlock = llvm::BasicBlock::Create(ctx, "fail.null", run_);
  llvm::BasicBlock* alignBlock = llvm::BasicBlock::Create(ctx, "fail.align", run_);
  llvm::IRBuilder<>(nullBlock).CreateRet(b.getInt32(kRunNullPointer));
  llvm::IRBuilder<>(alignBlock).CreateRet(b.getInt32(kRunMisaligned));
  auto failIf = [&](llvm::Value* condition, llvm::BasicBlock* failure, const char* name) {
    llvm::BasicBlock* next = llvm::BasicBlock::Create(ctx, name, run_);
    b.CreateCondBr(condition, failure, next);
    b.SetInsertPoint(next);
  };
  auto checkPointer = [&](llvm::Value* pointer, uint64_t alignment) {
    failIf(b.CreateIsNull(pointer), nullBlock, "nonnull");
    llvm::Value* low = b.CreateAnd(b.CreatePtrToInt(pointer, b.getInt64Ty()), b.getInt64(alignment - 1));
    failIf(b.CreateICmpNE(low, b.getInt64(0)), alignBlock, "aligned");
  };
  auto checkTensors = [&](llvm::Value* array, const std::vector<TensorSignature>& tensors) {
    if (tensors.empty()) return;
    failIf(b.CreateIsNull(array), nullBlock, "tensors");
    for (size_t i = 0; i < tensors.size(); ++i) {
      int64_t elements = 1;
      for (int64_t d : tensors[i].shape) elements *= d;
      if (elements == 0) continue;  // an empty tensor's pointer is never read
      llvm::Value* pointer = b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, array, i));
      checkPointer(pointer, ir::elementSize(tensors[i].dtype));
    }
  };
  checkTensors(inputsArg_, info_.inputs);
  checkTensors(outputsArg_, info_.outputs);
  if (info_.workspaceBytes > 0) checkPointer(workspaceArg_, kWorkspaceAlignment);
}

void Builder::emitMetadataFunctions() {
  llvm::LLVMContext& ctx = *context_;
  auto constantFunction = [&](const std::string& name, int64_t value) {
    auto* f = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getInt64Ty(ctx), false),
                                     llvm::GlobalValue::ExternalLinkage, options_.prefix + name, *module_);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
    b.CreateRet(b.getInt64(static_cast<uint64_t>(value)));
  };
  constantFunction("_workspace_bytes", info_.workspaceBytes);
  constantFunction("_num_inputs", static_cast<int64_t>(graph_.inputs.size()));
  constantFunction("_num_outputs", static_cast<int64_t>(graph_.outputs.size()));
  auto* f = llvm::Function::Create(llvm::FunctionType::get(llvm::PointerType::get(ctx, 0), false),
                                   llvm::GlobalValue::ExternalLinkage, options_.prefix + "_signature", *module_);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
  b.CreateRet(b.CreateGlobalString(info_.signature, options_.prefix + ".signature"));
}

Expected<BuiltModule> Builder::build() {
  NUTSHELL_TRY(checkGraph());
  context_ = std::make_unique<llvm::LLVMContext>();
  module_ = std::make_unique<llvm::Module>(options_.prefix, *context_);
  module_->setTargetTriple(target_.triple);
  NUTSHELL_ASSIGN(auto machine, createTargetMachine(target_));
  module_->setDataLayout(machine->createDataLayout());
  if (options_.externalConstants) hostConstants_ = std::make_shared<HostConstants>();

  info_.prefix = options_.prefix;
  info_.signature = signatureText(graph_);
  for (const ir::Value* v : graph_.inputs) info_.inputs.push_back({v->name, v->type.dtype, v->type.shape()});
  for (const ir::Value* v : graph_.outputs) info_.outputs.push_back({v->name, v->type.dtype, v->type.shape()});
  NUTSHELL_ASSIGN(buffers_, common::assignBuffers(graph_));
  info_.workspaceBytes = buffers_.workspaceBytes;

  llvm::LLVMContext& ctx = *context_;
  llvm::Type* ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  parallelFor_ = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr, i64}, false), llvm::GlobalValue::ExternalLinkage,
      "nutshell_parallel_for", *module_);
  run_ = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getInt32Ty(ctx), {ptr, ptr, ptr}, false),
                                llvm::GlobalValue::ExternalLinkage, options_.prefix + "_run", *module_);
  setTargetAttributes(run_);
  auto arg = run_->arg_begin();
  inputsArg_ = &*arg++;
  outputsArg_ = &*arg++;
  workspaceArg_ = &*arg;
  inputsArg_->setName("inputs");
  outputsArg_->setName("outputs");
  workspaceArg_->setName("workspace");
  llvm::IRBuilder<> runBuilder(llvm::BasicBlock::Create(ctx, "entry", run_));
  rb_ = &runBuilder;
  emitArgumentChecks(runBuilder);

  size_t index = 0;
  for (const auto& node : graph_.nodes()) {
    NUTSHELL_TRY(emitNode(*node, index++));
    if (options_.onNodeEmitted) options_.onNodeEmitted(index, graph_.nodes().size());
  }
  for (const auto& [value, j] : buffers_.outputCopies) {
    llvm::Value* destination = runBuilder.CreateLoad(
        ptr, runBuilder.CreateConstInBoundsGEP1_64(ptr, outputsArg_, j), fmt::format("out{}", j));
    emitCopy(value, destination);
  }
  runBuilder.CreateRet(runBuilder.getInt32(kRunOk));
  rb_ = nullptr;
  emitMetadataFunctions();

  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(*module_, &os))
    return makeError("cpu backend: internal error, generated LLVM IR does not verify:\n" + os.str());
  BuiltModule built;
  built.context = std::move(context_);
  built.module = std::move(module_);
  built.info = std::move(info_);
  built.hostConstants = std::move(hostConstants_);
  return built;
}

}  // namespace

Expected<BuiltModule> buildModule(const ir::Graph& graph, const TargetInfo& target, const ModuleOptions& options) {
  // Generated code indexes the arena with the graph's offsets and trusts its
  // shapes, so a graph from a file is checked here, whatever passes ran
  // (common::assignBuffers checks the memory plan).
  Status valid = ir::verifyGraph(graph);
  if (!valid) return makeError("cpu backend: the graph is invalid: " + valid.message());
  Builder builder(graph, target, options);
  return builder.build();
}

Status optimizeModule(llvm::Module& module, const TargetInfo& target) {
  NUTSHELL_ASSIGN(auto machine, createTargetMachine(target));
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder passBuilder(machine.get(), tuning);
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cgam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager passes = passBuilder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  passes.run(module, mam);
  return Status::success();
}

std::string moduleText(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  return os.str();
}

}  // namespace nutshell::cpu
