#include "backends/cpu/LoopBuilder.h"

namespace nutshell::cpu {

void LoopBuilder::forLoop(llvm::Value* begin, llvm::Value* end, int64_t step, Body body, const llvm::Twine& name) {
  llvm::Function* function = b_.GetInsertBlock()->getParent();
  llvm::LLVMContext& ctx = b_.getContext();
  llvm::BasicBlock* entry = b_.GetInsertBlock();
  llvm::BasicBlock* loop = llvm::BasicBlock::Create(ctx, name + ".loop", function);
  llvm::BasicBlock* exit = llvm::BasicBlock::Create(ctx, name + ".exit", function);
  // Guarded do-while: the shape LLVM's loop passes like best (rotated loop).
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end), loop, exit);
  b_.SetInsertPoint(loop);
  llvm::PHINode* iv = b_.CreatePHI(b_.getInt64Ty(), 2, name);
  iv->addIncoming(begin, entry);
  body(iv);
  llvm::Value* next = b_.CreateAdd(iv, b_.getInt64(step), name + ".next", /*HasNUW=*/false, /*HasNSW=*/true);
  iv->addIncoming(next, b_.GetInsertBlock());
  b_.CreateCondBr(b_.CreateICmpSLT(next, end), loop, exit);
  b_.SetInsertPoint(exit);
}

void LoopBuilder::forLoop(int64_t begin, int64_t end, int64_t step, Body body, const llvm::Twine& name) {
  if (begin >= end) return;
  forLoop(b_.getInt64(begin), b_.getInt64(end), step, body, name);
}

void LoopBuilder::forLoop(int64_t begin, llvm::Value* end, int64_t step, Body body, const llvm::Twine& name) {
  forLoop(b_.getInt64(begin), end, step, body, name);
}

void LoopBuilder::ifThen(llvm::Value* cond, llvm::function_ref<void()> then) {
  llvm::Function* function = b_.GetInsertBlock()->getParent();
  llvm::LLVMContext& ctx = b_.getContext();
  llvm::BasicBlock* thenBlock = llvm::BasicBlock::Create(ctx, "then", function);
  llvm::BasicBlock* join = llvm::BasicBlock::Create(ctx, "endif", function);
  b_.CreateCondBr(cond, thenBlock, join);
  b_.SetInsertPoint(thenBlock);
  then();
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
}

void LoopBuilder::ifThenElse(llvm::Value* cond, llvm::function_ref<void()> then, llvm::function_ref<void()> otherwise) {
  llvm::Function* function = b_.GetInsertBlock()->getParent();
  llvm::LLVMContext& ctx = b_.getContext();
  llvm::BasicBlock* thenBlock = llvm::BasicBlock::Create(ctx, "then", function);
  llvm::BasicBlock* elseBlock = llvm::BasicBlock::Create(ctx, "else", function);
  llvm::BasicBlock* join = llvm::BasicBlock::Create(ctx, "endif", function);
  b_.CreateCondBr(cond, thenBlock, elseBlock);
  b_.SetInsertPoint(thenBlock);
  then();
  b_.CreateBr(join);
  b_.SetInsertPoint(elseBlock);
  otherwise();
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
}

}  // namespace nutshell::cpu
