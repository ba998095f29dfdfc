// Math for generated kernels: vectorizable polynomial exp/log/tanh/sigmoid/
// erf (no libm calls), activations and fixed-order horizontal reductions. Every
// helper works on a scalar float or a vector of floats alike.
//
// Accuracy: exp and log follow the classic Cephes single-precision
// polynomials (about 1 ulp on their reduced ranges); tanh uses an odd
// polynomial near zero and 1 - 2/(exp(2|x|)+1) elsewhere; expm1 and log1p
// (elu, selu, softplus) correct exp and log for cancellation (Kahan's
// trick); erf is a rational function (about 4e-7 relative). All stay well
// inside the 1e-4 relative tolerance the tests use against the
// double-precision reference.
#include <cmath>
#include <limits>

#include <llvm/IR/Intrinsics.h>

#include "backends/cpu/KernelEmitter.h"

namespace nutshell::cpu {

static llvm::Type* intTypeLike(llvm::Type* floatType) {
  llvm::Type* i32 = llvm::Type::getInt32Ty(floatType->getContext());
  if (auto* vector = llvm::dyn_cast<llvm::FixedVectorType>(floatType))
    return llvm::FixedVectorType::get(i32, vector->getNumElements());
  return i32;
}

llvm::Value* KernelBuilder::fmax(llvm::Value* x, llvm::Value* y) {
  // (x > y) ? x : y is exactly x86's maxps; NaN handling follows the reference's
  // comparisons rather than IEEE maxNum.
  return b.CreateSelect(b.CreateFCmpOGT(x, y), x, y);
}

llvm::Value* KernelBuilder::fmin(llvm::Value* x, llvm::Value* y) { return b.CreateSelect(b.CreateFCmpOLT(x, y), x, y); }

llvm::Value* KernelBuilder::fma(llvm::Value* x, llvm::Value* y, llvm::Value* z) {
  return b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {x->getType()}, {x, y, z});
}

llvm::Value* KernelBuilder::exp(llvm::Value* x) {
  llvm::Type* type = x->getType();
  llvm::Type* intType = intTypeLike(type);
  auto c = [&](double v) { return fconst(type, v); };
  llvm::Value* clamped = fmin(fmax(x, c(-103.0)), c(88.72));
  llvm::Value* fx = b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, fma(clamped, c(1.44269504088896341), c(0.5)));
  llvm::Value* r = fma(fx, c(-0.693359375), clamped);
  r = fma(fx, c(2.12194440e-4), r);
  llvm::Value* z = b.CreateFMul(r, r);
  llvm::Value* y = c(1.9875691500E-4);
  for (double coeff : {1.3981999507E-3, 8.3334519073E-3, 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1})
    y = fma(y, r, c(coeff));
  y = fma(y, z, b.CreateFAdd(r, c(1.0)));
  // 2^n split in two factors so that n in [-149, 128] never overflows the
  // exponent field of either.
  llvm::Value* n = b.CreateFPToSI(fx, intType);
  llvm::Value* n1 = b.CreateAShr(n, llvm::ConstantInt::get(intType, 1));
  llvm::Value* n2 = b.CreateSub(n, n1);
  auto pow2 = [&](llvm::Value* k) {
    llvm::Value* bits = b.CreateShl(b.CreateAdd(k, llvm::ConstantInt::get(intType, 127)), llvm::ConstantInt::get(intType, 23));
    return b.CreateBitCast(bits, type);
  };
  y = b.CreateFMul(b.CreateFMul(y, pow2(n1)), pow2(n2));
  llvm::Value* inf = c(std::numeric_limits<double>::infinity());
  y = b.CreateSelect(b.CreateFCmpOGT(x, c(88.72)), inf, y);
  // NaN in, NaN out.
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, y);
}

llvm::Value* KernelBuilder::log(llvm::Value* x) {
  llvm::Type* type = x->getType();
  llvm::Type* intType = intTypeLike(type);
  auto c = [&](double v) { return fconst(type, v); };
  auto ci = [&](int64_t v) { return llvm::ConstantInt::get(intType, static_cast<uint64_t>(v)); };
  llvm::Value* bits = b.CreateBitCast(x, intType);
  llvm::Value* exponent = b.CreateSub(b.CreateLShr(bits, ci(23)), ci(126));
  llvm::Value* mantissa = b.CreateBitCast(b.CreateOr(b.CreateAnd(bits, ci(0x007fffff)), ci(0x3f000000)), type);
  llvm::Value* e = b.CreateSIToFP(exponent, type);
  llvm::Value* small = b.CreateFCmpOLT(mantissa, c(0.707106781186547524));
  e = b.CreateSelect(small, b.CreateFSub(e, c(1.0)), e);
  llvm::Value* m = b.CreateSelect(small, b.CreateFSub(b.CreateFAdd(mantissa, mantissa), c(1.0)),
                                  b.CreateFSub(mantissa, c(1.0)));
  llvm::Value* z = b.CreateFMul(m, m);
  llvm::Value* y = c(7.0376836292E-2);
  for (double coeff : {-1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                       2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1})
    y = fma(y, m, c(coeff));
  y = b.CreateFMul(b.CreateFMul(y, m), z);
  y = fma(e, c(-2.12194440e-4), y);
  y = fma(z, c(-0.5), y);
  llvm::Value* r = b.CreateFAdd(m, y);
  r = fma(e, c(0.693359375), r);
  const double inf = std::numeric_limits<double>::infinity();
  r = b.CreateSelect(b.CreateFCmpOEQ(x, c(inf)), c(inf), r);
  r = b.CreateSelect(b.CreateFCmpOEQ(x, c(0.0)), c(-inf), r);
  return b.CreateSelect(b.CreateFCmpULT(x, c(0.0)), c(std::numeric_limits<double>::quiet_NaN()), r);
}

llvm::Value* KernelBuilder::tanh(llvm::Value* x) {
  llvm::Type* type = x->getType();
  auto c = [&](double v) { return fconst(type, v); };
  llvm::Value* ax = b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  // |x| >= 0.625: 1 - 2/(e^{2|x|}+1) has no cancellation there.
  llvm::Value* e = exp(b.CreateFMul(ax, c(2.0)));
  llvm::Value* large = b.CreateFSub(c(1.0), b.CreateFDiv(c(2.0), b.CreateFAdd(e, c(1.0))));
  large = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, large, x);
  // |x| < 0.625: odd minimax polynomial (Cephes tanhf).
  llvm::Value* z = b.CreateFMul(x, x);
  llvm::Value* p = c(-5.70498872745E-3);
  for (double coeff : {2.06390887954E-2, -5.37397155531E-2, 1.33314422036E-1, -3.33332819422E-1}) p = fma(p, z, c(coeff));
  llvm::Value* smallValue = fma(b.CreateFMul(p, z), x, x);
  return b.CreateSelect(b.CreateFCmpOLT(ax, c(0.625)), smallValue, large);
}

llvm::Value* KernelBuilder::sigmoid(llvm::Value* x) {
  llvm::Type* type = x->getType();
  llvm::Value* e = exp(b.CreateFNeg(x));
  return b.CreateFDiv(fconst(type, 1.0), b.CreateFAdd(fconst(type, 1.0), e));
}

// exp(x) - 1 without cancellation near 0 (Kahan): with u = exp(x) rounded,
// (u - 1) * x / log(u) cancels the rounding error of u; u == 1 gives x.
static llvm::Value* expm1(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* type = x->getType();
  llvm::Value* u = kb.exp(x);
  llvm::Value* um1 = b.CreateFSub(u, kb.fconst(type, 1.0));
  llvm::Value* r = b.CreateFDiv(b.CreateFMul(um1, x), kb.log(u));
  r = b.CreateSelect(b.CreateFCmpOEQ(um1, kb.fconst(type, -1.0)), um1, r);  // u == 0: log(u) is -inf
  r = b.CreateSelect(b.CreateFCmpOEQ(u, kb.fconst(type, std::numeric_limits<double>::infinity())), u, r);
  return b.CreateSelect(b.CreateFCmpOEQ(um1, kb.fconst(type, 0.0)), x, r);
}

// log(1 + y) without losing small y (Kahan): log(u) * y / (u - 1) with
// u = 1 + y rounded; u == 1 gives y.
static llvm::Value* log1p(KernelBuilder& kb, llvm::Value* y) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* type = y->getType();
  llvm::Value* u = b.CreateFAdd(y, kb.fconst(type, 1.0));
  llvm::Value* d = b.CreateFSub(u, kb.fconst(type, 1.0));
  llvm::Value* r = b.CreateFDiv(b.CreateFMul(kb.log(u), y), d);
  return b.CreateSelect(b.CreateFCmpOEQ(d, kb.fconst(type, 0.0)), y, r);
}

// erf as x * P(x^2) / Q(x^2) on [-4, 4], +-1 beyond (erf(4) rounds to 1 in
// f32): the rational approximation Eigen and XLA use for f32, within 4e-7
// relative of the double-precision erf on all of f32.
static llvm::Value* erf(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* type = x->getType();
  auto c = [&](double v) { return kb.fconst(type, v); };
  llvm::Value* xc = kb.fmin(kb.fmax(x, c(-4.0)), c(4.0));
  llvm::Value* x2 = b.CreateFMul(xc, xc);
  llvm::Value* p = c(-2.72614225801306e-10);
  for (double coeff : {2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
                       -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02})
    p = kb.fma(p, x2, c(coeff));
  llvm::Value* q = c(-1.45660718464996e-05);
  for (double coeff :
       {-2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03, -1.42647390514189e-02})
    q = kb.fma(q, x2, c(coeff));
  llvm::Value* r = b.CreateFDiv(b.CreateFMul(xc, p), q);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, r);  // NaN in, NaN out
}

// min(max(y, 0), 1) that keeps NaN, like the reference's comparisons.
static llvm::Value* clampUnit(KernelBuilder& kb, llvm::Value* y) {
  llvm::IRBuilder<>& b = kb.b;
  llvm::Type* type = y->getType();
  llvm::Value* r = b.CreateSelect(b.CreateFCmpOGT(y, kb.fconst(type, 1.0)), kb.fconst(type, 1.0), y);
  return b.CreateSelect(b.CreateFCmpOLT(y, kb.fconst(type, 0.0)), kb.fconst(type, 0.0), r);
}

llvm::Value* KernelBuilder::activation(const ir::Activation& act, llvm::Value* x) {
  llvm::Type* type = x->getType();
  using K = ir::OpKind;
  switch (act.op) {
    case K::Relu: return fmax(x, fconst(type, 0.0));
    case K::LeakyRelu:
      return b.CreateSelect(b.CreateFCmpOLT(x, fconst(type, 0.0)), b.CreateFMul(x, fconst(type, act.p0)), x);
    case K::Sigmoid: return sigmoid(x);
    case K::Tanh: return tanh(x);
    case K::Exp: return exp(x);
    case K::Clip: return fmin(fmax(x, fconst(type, act.p0)), fconst(type, act.p1));
    case K::HardSigmoid: return clampUnit(*this, fma(x, fconst(type, act.p0), fconst(type, act.p1)));
    case K::HardSwish:
      return b.CreateFMul(x, clampUnit(*this, fma(x, fconst(type, 1.0 / 6.0), fconst(type, 0.5))));
    case K::Elu:
      return b.CreateSelect(b.CreateFCmpOLT(x, fconst(type, 0.0)),
                            b.CreateFMul(expm1(*this, x), fconst(type, act.p0)), x);
    case K::Selu:
      return b.CreateSelect(b.CreateFCmpOGT(x, fconst(type, 0.0)), b.CreateFMul(x, fconst(type, act.p1)),
                            b.CreateFMul(expm1(*this, x), fconst(type, act.p1 * act.p0)));
    case K::Softplus: {
      // log(exp(x) + 1) = max(x, 0) + log1p(exp(-|x|)): no overflow, no loss for x << 0.
      llvm::Value* ax = b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
      return b.CreateFAdd(fmax(x, fconst(type, 0.0)), log1p(*this, exp(b.CreateFNeg(ax))));
    }
    case K::Softsign:
      return b.CreateFDiv(x,
                          b.CreateFAdd(fconst(type, 1.0), b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x)));
    case K::Neg: return b.CreateFNeg(x);
    case K::Abs: return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
    case K::Sqrt: return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
    case K::Reciprocal: return b.CreateFDiv(fconst(type, 1.0), x);
    case K::Erf: return erf(*this, x);
    case K::ThresholdedRelu:
      return b.CreateSelect(b.CreateFCmpOGT(x, fconst(type, act.p0)), x, fconst(type, 0.0));
    case K::Celu: {
      // max(0, x) + min(0, alpha*expm1(x/alpha)): the expm1 term only where x < 0.
      llvm::Value* e =
          b.CreateFMul(expm1(*this, b.CreateFDiv(x, fconst(type, act.p0))), fconst(type, act.p0));
      return b.CreateSelect(b.CreateFCmpOLT(x, fconst(type, 0.0)), e, x);
    }
    case K::Log: return log(x);
    case K::Floor: return b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, x);
    case K::Ceil: return b.CreateUnaryIntrinsic(llvm::Intrinsic::ceil, x);
    case K::Round: return b.CreateUnaryIntrinsic(llvm::Intrinsic::roundeven, x);
    case K::Sign: {
      llvm::Value* r = b.CreateSelect(b.CreateFCmpOLT(x, fconst(type, 0.0)), fconst(type, -1.0), x);
      return b.CreateSelect(b.CreateFCmpOGT(x, fconst(type, 0.0)), fconst(type, 1.0), r);
    }
    case K::Shrink: {
      // lambd is p0, bias p1.
      llvm::Value* r = b.CreateSelect(b.CreateFCmpOGT(x, fconst(type, act.p0)),
                                      b.CreateFSub(x, fconst(type, act.p1)), fconst(type, 0.0));
      return b.CreateSelect(b.CreateFCmpOLT(x, fconst(type, -act.p0)), b.CreateFAdd(x, fconst(type, act.p1)),
                            r);
    }
    default: return x;  // none; ir::Activation holds no other op
  }
}

static llvm::Value* reduceTree(llvm::IRBuilder<>& b, llvm::Value* v,
                               const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& combine) {
  auto* type = llvm::dyn_cast<llvm::FixedVectorType>(v->getType());
  if (!type) return v;
  unsigned n = type->getNumElements();
  while (n > 1) {
    unsigned half = n / 2;
    std::vector<int> lo, hi;
    for (unsigned i = 0; i < half; ++i) {
      lo.push_back(static_cast<int>(i));
      hi.push_back(static_cast<int>(i + half));
    }
    v = combine(b.CreateShuffleVector(v, lo), b.CreateShuffleVector(v, hi));
    n = half;
  }
  return b.CreateExtractElement(v, uint64_t(0));
}

llvm::Value* KernelBuilder::hsum(llvm::Value* v) {
  return reduceTree(b, v, [&](llvm::Value* x, llvm::Value* y) { return b.CreateFAdd(x, y); });
}

llvm::Value* KernelBuilder::hmax(llvm::Value* v) {
  return reduceTree(b, v, [&](llvm::Value* x, llvm::Value* y) { return fmax(x, y); });
}

}  // namespace nutshell::cpu
