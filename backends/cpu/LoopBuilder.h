// A tiny structured-control-flow helper over IRBuilder: counted loops and
// if/else emitted from C++ lambdas, so kernel emitters read like the loop nest
// they generate.
#pragma once

#include <cstdint>

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/ADT/Twine.h>
#include <llvm/IR/IRBuilder.h>

namespace nutshell::cpu {

class LoopBuilder {
public:
  explicit LoopBuilder(llvm::IRBuilder<>& builder) : b_(builder) {}

  using Body = llvm::function_ref<void(llvm::Value* iv)>;

  /// for (iv = begin; iv < end; iv += step) body(iv), with i64 bounds. The
  /// body may emit further control flow; the builder ends after the loop.
  void forLoop(llvm::Value* begin, llvm::Value* end, int64_t step, Body body, const llvm::Twine& name = "i");
  void forLoop(int64_t begin, int64_t end, int64_t step, Body body, const llvm::Twine& name = "i");
  void forLoop(int64_t begin, llvm::Value* end, int64_t step, Body body, const llvm::Twine& name = "i");

  /// if (cond) then(); builder continues after.
  void ifThen(llvm::Value* cond, llvm::function_ref<void()> then);
  void ifThenElse(llvm::Value* cond, llvm::function_ref<void()> then, llvm::function_ref<void()> otherwise);

  llvm::IRBuilder<>& builder() { return b_; }

private:
  llvm::IRBuilder<>& b_;
};

}  // namespace nutshell::cpu
