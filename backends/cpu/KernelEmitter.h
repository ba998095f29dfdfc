// Kernel emission: one LLVM function per graph node.
//
// Every kernel has the signature
//     void kernel(ptr args, i64 begin, i64 end)
// where args holds the node's buffer pointers (operands, then results) and
// [begin, end) is a sub-range of the kernel's parallel tasks. The module
// builder creates the function and a KernelBuilder positioned in it; the
// emitter of the node's op family (*Kernels.cpp) fills in the body and says
// how many tasks it has. emitKernel() is the dispatch: a switch over
// ir::OpKind without `default:`, so a new op in ops.def fails the build here
// until it gets a kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "backends/cpu/LoopBuilder.h"
#include "backends/cpu/Target.h"
#include "ir/Activation.h"
#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::cpu {

class HostConstants;

/// What an emitter reports back.
struct KernelInfo {
  /// Parallel tasks of the kernel (0: the node needs no code, e.g. const).
  int64_t numTasks = 0;
  /// Rough work (flops or bytes moved); small kernels are called directly
  /// instead of through the thread pool.
  double work = 0;
  /// Shown by NUTSHELL_DEBUG=2: how the kernel is blocked, chosen algorithm.
  std::string summary;
};

/// The emitter's view of one kernel: the node, an IRBuilder inside the kernel
/// function, lazily loaded buffer pointers, and helpers for vector code and
/// math shared by all kernel families.
class KernelBuilder {
public:
  KernelBuilder(llvm::Module& module, const TargetInfo& target, const ir::Node& node, llvm::Function* function);

  llvm::Module& module;
  const TargetInfo& target;
  const ir::Node& node;
  llvm::Function* function;
  llvm::IRBuilder<> b;
  LoopBuilder loops;
  const int W;  // f32 lanes per vector
  /// Where large constants go (JIT: host memory); null embeds them.
  HostConstants* hostConstants = nullptr;

  // ---- buffers -------------------------------------------------------------
  /// Pointer to operand i / result i (loaded from args on first use).
  llvm::Value* operand(size_t i);
  llvm::Value* result(size_t i = 0);
  /// Which args slots the kernel reads (the run entry fills only those).
  const std::vector<bool>& usedSlots() const { return slotUsed_; }
  llvm::Value* taskBegin() const { return begin_; }
  llvm::Value* taskEnd() const { return end_; }

  std::vector<int64_t> operandShape(size_t i) const { return node.operands[i]->type.shape(); }
  std::vector<int64_t> resultShape(size_t i = 0) const { return node.results[i]->type.shape(); }
  ir::DType operandType(size_t i) const { return node.operands[i]->type.dtype; }
  ir::DType resultType(size_t i = 0) const { return node.results[i]->type.dtype; }
  /// The values of operand i when it is a (non-elided) constant, else null:
  /// lets emitters re-lay out weights at compile time.
  const ir::TensorData* constantOperand(size_t i) const;

  // ---- types and constants --------------------------------------------------
  llvm::Type* f32Ty() { return b.getFloatTy(); }
  llvm::Type* i64Ty() { return b.getInt64Ty(); }
  llvm::Type* ptrTy() { return b.getPtrTy(); }
  /// The element type in memory: bool is one byte (0 or 1), u8 an unsigned i8.
  llvm::Type* elemTy(ir::DType dtype) {
    switch (dtype) {
      case ir::DType::F32: return f32Ty();
      case ir::DType::F64: return b.getDoubleTy();
      case ir::DType::I32: return b.getInt32Ty();
      case ir::DType::Bool:
      case ir::DType::I8:
      case ir::DType::U8: return b.getInt8Ty();
      case ir::DType::I64: break;
    }
    return i64Ty();
  }
  llvm::VectorType* vecTy(llvm::Type* elem = nullptr);  // <W x elem> (f32 default)
  llvm::Value* i64c(int64_t v) { return b.getInt64(static_cast<uint64_t>(v)); }
  llvm::Constant* f32c(double v) { return llvm::ConstantFP::get(f32Ty(), v); }
  /// Same-typed constant for a scalar or vector float value.
  llvm::Constant* fconst(llvm::Type* type, double v) { return llvm::ConstantFP::get(type, v); }
  llvm::Value* splat(llvm::Value* scalar) { return b.CreateVectorSplat(W, scalar); }

  // ---- memory ------------------------------------------------------------------
  llvm::Value* elemPtr(llvm::Type* elem, llvm::Value* base, llvm::Value* index);
  llvm::Value* load(llvm::Type* elem, llvm::Value* base, llvm::Value* index);
  void store(llvm::Value* value, llvm::Value* base, llvm::Value* index);
  /// Lanes [0, count) active (count may exceed W: all active).
  llvm::Value* laneMask(llvm::Value* count);
  /// W contiguous elements at base[index..]; masked lanes read as 0 and are
  /// not accessed.
  llvm::Value* loadVec(llvm::Value* base, llvm::Value* index, llvm::Value* mask = nullptr, llvm::Type* elem = nullptr);
  void storeVec(llvm::Value* value, llvm::Value* base, llvm::Value* index, llvm::Value* mask = nullptr);
  /// base[index + lane*stride]: contiguous load for stride 1, a splat for
  /// stride 0, a gather otherwise.
  llvm::Value* loadStrided(llvm::Value* base, llvm::Value* index, int64_t stride, llvm::Value* mask = nullptr,
                           llvm::Type* elem = nullptr);
  /// A stack slot in the function's entry block (promoted to registers by
  /// LLVM when only loaded and stored whole).
  llvm::AllocaInst* entryAlloca(llvm::Type* type, int64_t count = 1, const llvm::Twine& name = "");
  /// A private constant global holding `values` (weights re-laid out for
  /// this kernel), 64-byte aligned.
  llvm::GlobalVariable* constantGlobal(const std::vector<float>& values, const std::string& suffix);
  llvm::GlobalVariable* constantGlobalI64(const std::vector<int64_t>& values, const std::string& suffix);

  // ---- math (scalar or vector float values) -------------------------------------
  llvm::Value* fmax(llvm::Value* a, llvm::Value* b);
  llvm::Value* fmin(llvm::Value* a, llvm::Value* b);
  /// a*b + c, contractable into an FMA.
  llvm::Value* fma(llvm::Value* a, llvm::Value* b, llvm::Value* c);
  llvm::Value* exp(llvm::Value* x);
  llvm::Value* log(llvm::Value* x);
  llvm::Value* tanh(llvm::Value* x);
  llvm::Value* sigmoid(llvm::Value* x);
  /// The activation on a value (ir/Activation.h: an op kind and its parameters).
  llvm::Value* activation(const ir::Activation& act, llvm::Value* x);
  /// Horizontal sum / max of a vector in a fixed (tree) order.
  llvm::Value* hsum(llvm::Value* v);
  llvm::Value* hmax(llvm::Value* v);

  // ---- loops and tasks -------------------------------------------------------------
  /// Splits `total` items into tasks of `perTask` items; emits
  /// for (item in this call's tasks) body(item). Returns the task count.
  int64_t forEachTaskItem(int64_t total, int64_t perTask, LoopBuilder::Body body);
  /// Row-major multi-index of `flat` in `dims` (div/mod by constants).
  std::vector<llvm::Value*> decompose(llvm::Value* flat, const std::vector<int64_t>& dims);

  // ---- errors and notes ----------------------------------------------------------------
  /// "node '%conv1' (conv2d): MESSAGE"
  Error error(const std::string& message) const;
  /// Debug notes printed at NUTSHELL_DEBUG>=2 (e.g. an algorithm fallback).
  void note(const std::string& text) { notes_.push_back(text); }
  const std::vector<std::string>& notes() const { return notes_; }

private:
  llvm::Value* slot(size_t index);
  llvm::BasicBlock* entry_;
  llvm::Value* args_;
  llvm::Value* begin_;
  llvm::Value* end_;
  std::vector<llvm::Value*> slots_;
  std::vector<bool> slotUsed_;
  std::vector<std::string> notes_;
  int globalCounter_ = 0;
};

/// Emits the kernel of kb.node (dispatch over every ir::OpKind).
Expected<KernelInfo> emitKernel(KernelBuilder& kb);

/// Human-readable shape "[1,3,32,32]".
std::string shapeText(const std::vector<int64_t>& shape);
int64_t product(const std::vector<int64_t>& dims, size_t from = 0, size_t to = SIZE_MAX);

// ---- kernel families (one file each) --------------------------------------------
// ElementwiseKernels.cpp: add..prelu, the unary ops, fused_elementwise
// (broadcasting, f32 and i64).
Expected<KernelInfo> emitElementwise(KernelBuilder& kb);
// LogicKernels.cpp: comparisons (bool results), not/and/or/xor, where.
Expected<KernelInfo> emitCompare(KernelBuilder& kb);
Expected<KernelInfo> emitLogical(KernelBuilder& kb);
Expected<KernelInfo> emitWhere(KernelBuilder& kb);
// ConvKernels.cpp: conv2d and fused_conv2d (direct, blocked, fused epilogue).
Expected<KernelInfo> emitConv2d(KernelBuilder& kb);
// DenseKernels.cpp
Expected<KernelInfo> emitDense(KernelBuilder& kb);
Expected<KernelInfo> emitMaxout(KernelBuilder& kb);
Expected<KernelInfo> emitGemm(KernelBuilder& kb);
Expected<KernelInfo> emitMatMul(KernelBuilder& kb);
// PoolKernels.cpp
Expected<KernelInfo> emitPool2d(KernelBuilder& kb);
Expected<KernelInfo> emitGlobalPool(KernelBuilder& kb);
// SoftmaxReduceKernels.cpp
Expected<KernelInfo> emitSoftmax(KernelBuilder& kb);
Expected<KernelInfo> emitReduce(KernelBuilder& kb);
Expected<KernelInfo> emitArgReduce(KernelBuilder& kb);
Expected<KernelInfo> emitBatchNorm(KernelBuilder& kb);
Expected<KernelInfo> emitLrn(KernelBuilder& kb);
// NormKernels.cpp
Expected<KernelInfo> emitLayerNorm(KernelBuilder& kb);
Expected<KernelInfo> emitGroupNorm(KernelBuilder& kb);
// LayoutKernels.cpp: reshape/flatten/identity/squeeze/unsqueeze (copies),
// transpose, concat, slice, pad, tile, expand, depth_to_space, space_to_depth.
Expected<KernelInfo> emitCopy(KernelBuilder& kb);
Expected<KernelInfo> emitTranspose(KernelBuilder& kb);
Expected<KernelInfo> emitConcat(KernelBuilder& kb);
Expected<KernelInfo> emitSlice(KernelBuilder& kb);
Expected<KernelInfo> emitPad(KernelBuilder& kb);
Expected<KernelInfo> emitTile(KernelBuilder& kb);
Expected<KernelInfo> emitExpand(KernelBuilder& kb);
Expected<KernelInfo> emitDepthSpace(KernelBuilder& kb);
// LstmKernel.cpp
Expected<KernelInfo> emitLstm(KernelBuilder& kb);
// ShapeOpKernels.cpp
Expected<KernelInfo> emitShape(KernelBuilder& kb);
Expected<KernelInfo> emitGather(KernelBuilder& kb);
Expected<KernelInfo> emitConstantOfShape(KernelBuilder& kb);
Expected<KernelInfo> emitCast(KernelBuilder& kb);

}  // namespace nutshell::cpu
