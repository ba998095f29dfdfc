// KernelBuilder: buffers, memory access and task helpers shared by all
// kernel emitters (math helpers are in KernelMath.cpp).
#include <fmt/format.h>
#include <llvm/IR/Intrinsics.h>

#include "backends/cpu/HostConstants.h"
#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {

std::string shapeText(const std::vector<int64_t>& shape) { return "[" + fmt::format("{}", fmt::join(shape, ",")) + "]"; }

int64_t product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size() && i < to; ++i) p *= dims[i];
  return p;
}

KernelBuilder::KernelBuilder(llvm::Module& m, const TargetInfo& t, const ir::Node& n, llvm::Function* f)
    : module(m), target(t), node(n), function(f), b(m.getContext()), loops(b), W(t.vectorWidth) {
  llvm::LLVMContext& ctx = m.getContext();
  entry_ = llvm::BasicBlock::Create(ctx, "entry", f);
  llvm::BasicBlock* body = llvm::BasicBlock::Create(ctx, "body", f);
  b.SetInsertPoint(entry_);
  b.CreateBr(body);
  b.SetInsertPoint(body);
  auto arg = f->arg_begin();
  args_ = &*arg++;
  begin_ = &*arg++;
  end_ = &*arg;
  size_t numSlots = n.operands.size() + n.results.size();
  slots_.assign(numSlots, nullptr);
  slotUsed_.assign(numSlots, false);
  // Kernels use explicit fast-math flags per instruction: only `contract`
  // (FMA formation). No reassociation: reductions keep the order the emitter
  // wrote, which is what makes results independent of the thread count and
  // close to the reference interpreter.
  llvm::FastMathFlags flags;
  flags.setAllowContract(true);
  b.setFastMathFlags(flags);
}

llvm::Value* KernelBuilder::slot(size_t index) {
  if (!slots_[index]) {
    llvm::IRBuilder<> entryBuilder(entry_->getTerminator());
    llvm::Value* address = entryBuilder.CreateConstInBoundsGEP1_64(ptrTy(), args_, index);
    llvm::LoadInst* pointer = entryBuilder.CreateLoad(ptrTy(), address, fmt::format("buf{}", index));
    // Buffers are never null while the kernel runs (tells LLVM it may hoist loads).
    pointer->setMetadata(llvm::LLVMContext::MD_nonnull, llvm::MDNode::get(module.getContext(), {}));
    slots_[index] = pointer;
    slotUsed_[index] = true;
  }
  return slots_[index];
}

llvm::Value* KernelBuilder::operand(size_t i) { return slot(i); }
llvm::Value* KernelBuilder::result(size_t i) { return slot(node.operands.size() + i); }

const ir::TensorData* KernelBuilder::constantOperand(size_t i) const {
  if (i >= node.operands.size()) return nullptr;
  const ir::Node* producer = node.operands[i]->producer;
  if (!producer || producer->op != ir::OpKind::Const || !producer->constant || producer->constant->elided) return nullptr;
  return producer->constant.get();
}

llvm::VectorType* KernelBuilder::vecTy(llvm::Type* elem) {
  return llvm::FixedVectorType::get(elem ? elem : f32Ty(), static_cast<unsigned>(W));
}

llvm::Value* KernelBuilder::elemPtr(llvm::Type* elem, llvm::Value* base, llvm::Value* index) {
  // Not inbounds: masked accesses may start before the buffer (padding).
  return b.CreateGEP(elem, base, index);
}

llvm::Value* KernelBuilder::load(llvm::Type* elem, llvm::Value* base, llvm::Value* index) {
  return b.CreateLoad(elem, elemPtr(elem, base, index));
}

void KernelBuilder::store(llvm::Value* value, llvm::Value* base, llvm::Value* index) {
  b.CreateStore(value, elemPtr(value->getType(), base, index));
}

llvm::Value* KernelBuilder::laneMask(llvm::Value* count) {
  std::vector<llvm::Constant*> lanes;
  for (int i = 0; i < W; ++i) lanes.push_back(b.getInt64(i));
  llvm::Value* laneIds = llvm::ConstantVector::get(lanes);
  return b.CreateICmpSLT(laneIds, b.CreateVectorSplat(W, count), "mask");
}

llvm::Value* KernelBuilder::loadVec(llvm::Value* base, llvm::Value* index, llvm::Value* mask, llvm::Type* elem) {
  llvm::Type* scalar = elem ? elem : f32Ty();
  llvm::VectorType* type = vecTy(scalar);
  llvm::Value* address = elemPtr(scalar, base, index);
  llvm::Align align(scalar->getPrimitiveSizeInBits() / 8);
  if (!mask) return b.CreateAlignedLoad(type, address, align);
  return b.CreateMaskedLoad(type, address, align, mask, llvm::Constant::getNullValue(type));
}

void KernelBuilder::storeVec(llvm::Value* value, llvm::Value* base, llvm::Value* index, llvm::Value* mask) {
  llvm::Type* scalar = llvm::cast<llvm::VectorType>(value->getType())->getElementType();
  llvm::Value* address = elemPtr(scalar, base, index);
  llvm::Align align(scalar->getPrimitiveSizeInBits() / 8);
  if (!mask) {
    b.CreateAlignedStore(value, address, align);
    return;
  }
  b.CreateMaskedStore(value, address, align, mask);
}

llvm::Value* KernelBuilder::loadStrided(llvm::Value* base, llvm::Value* index, int64_t stride, llvm::Value* mask,
                                        llvm::Type* elem) {
  llvm::Type* scalar = elem ? elem : f32Ty();
  if (stride == 1) return loadVec(base, index, mask, scalar);
  if (stride == 0) return b.CreateVectorSplat(W, load(scalar, base, index));
  std::vector<llvm::Constant*> lanes;
  for (int i = 0; i < W; ++i) lanes.push_back(b.getInt64(static_cast<uint64_t>(i * stride)));
  llvm::Value* offsets = b.CreateAdd(b.CreateVectorSplat(W, index), llvm::ConstantVector::get(lanes));
  llvm::Value* pointers = b.CreateGEP(scalar, base, offsets);
  llvm::VectorType* type = vecTy(scalar);
  llvm::Align align(scalar->getPrimitiveSizeInBits() / 8);
  if (!mask) mask = llvm::ConstantInt::getTrue(llvm::FixedVectorType::get(b.getInt1Ty(), W));
  return b.CreateMaskedGather(type, pointers, align, mask, llvm::Constant::getNullValue(type));
}

llvm::AllocaInst* KernelBuilder::entryAlloca(llvm::Type* type, int64_t count, const llvm::Twine& name) {
  llvm::IRBuilder<> entryBuilder(entry_, entry_->begin());
  llvm::AllocaInst* slot = entryBuilder.CreateAlloca(type, count == 1 ? nullptr : entryBuilder.getInt64(count), name);
  slot->setAlignment(llvm::Align(64));
  return slot;
}

llvm::GlobalVariable* KernelBuilder::constantGlobal(const std::vector<float>& values, const std::string& suffix) {
  return makeConstantGlobal(module, hostConstants, values.data(), values.size(), /*isF32=*/true,
                            fmt::format("{}.{}{}", function->getName().str(), suffix, globalCounter_++));
}

llvm::GlobalVariable* KernelBuilder::constantGlobalI64(const std::vector<int64_t>& values, const std::string& suffix) {
  return makeConstantGlobal(module, hostConstants, values.data(), values.size(), /*isF32=*/false,
                            fmt::format("{}.{}{}", function->getName().str(), suffix, globalCounter_++));
}

int64_t KernelBuilder::forEachTaskItem(int64_t total, int64_t perTask, LoopBuilder::Body body) {
  if (total <= 0) return 0;
  perTask = std::max<int64_t>(1, std::min(perTask, total));
  int64_t numTasks = (total + perTask - 1) / perTask;
  llvm::Value* first = b.CreateMul(begin_, i64c(perTask));
  llvm::Value* last = b.CreateMul(end_, i64c(perTask));
  if (total % perTask != 0) {
    llvm::Value* limit = i64c(total);
    last = b.CreateSelect(b.CreateICmpSLT(last, limit), last, limit);
  }
  loops.forLoop(first, last, 1, body, "item");
  return numTasks;
}

std::vector<llvm::Value*> KernelBuilder::decompose(llvm::Value* flat, const std::vector<int64_t>& dims) {
  std::vector<llvm::Value*> index(dims.size());
  llvm::Value* rest = flat;
  for (size_t d = dims.size(); d-- > 0;) {
    if (d == 0) {
      index[d] = rest;
    } else {
      index[d] = dims[d] == 1 ? i64c(0) : b.CreateURem(rest, i64c(dims[d]));
      rest = dims[d] == 1 ? rest : b.CreateUDiv(rest, i64c(dims[d]));
    }
  }
  return index;
}

Error KernelBuilder::error(const std::string& message) const {
  return makeError(fmt::format("cpu backend: node '%{}' ({}): {}", node.name(), ir::opName(node.op), message));
}

}  // namespace nutshell::cpu
