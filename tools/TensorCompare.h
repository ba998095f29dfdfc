// Comparing a computed tensor with an expected one (ONNX test data), shared by
// nutshell-run --test-data and the ONNX conformance runner.
//
// An element matches when |actual - expected| <= atol + rtol * |expected|
// (numpy.isclose with expected as the reference); NaN matches NaN and an
// infinity matches the same infinity. Element types and shapes must agree
// exactly.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "nutshell/Tensor.h"

namespace nutshell::tools {

struct Tolerance {
  double rtol = 1e-4;
  double atol = 1e-5;
};

struct CompareResult {
  bool match = true;
  double maxAbsError = 0;  // over finite elements
  double maxRelError = 0;  // over finite elements whose expected value is non-zero
  int64_t mismatches = 0;
  std::string detail;  // why it does not match (type, shape, first bad element)
};

inline std::string formatDouble(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

inline CompareResult compareTensors(const Tensor& actual, const Tensor& expected, Tolerance tolerance) {
  CompareResult result;
  if (actual.type() != expected.type() || actual.shape() != expected.shape()) {
    result.match = false;
    result.detail = "got " + actual.typeString() + ", expected " + expected.typeString();
    return result;
  }
  auto element = [](const Tensor& t, int64_t i) { return t.valueAt(i); };
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double a = element(actual, i);
    double b = element(expected, i);
    bool ok;
    if (std::isnan(a) || std::isnan(b)) {
      ok = std::isnan(a) && std::isnan(b);
    } else if (std::isinf(a) || std::isinf(b)) {
      ok = a == b;
    } else {
      double diff = std::fabs(a - b);
      ok = diff <= tolerance.atol + tolerance.rtol * std::fabs(b);
      result.maxAbsError = std::max(result.maxAbsError, diff);
      if (b != 0) result.maxRelError = std::max(result.maxRelError, diff / std::fabs(b));
    }
    if (!ok) {
      if (result.mismatches == 0)
        result.detail = "first mismatch at flat index " + std::to_string(i) + ": got " + formatDouble(a) +
                        ", expected " + formatDouble(b);
      ++result.mismatches;
      result.match = false;
    }
  }
  if (result.mismatches > 0)
    result.detail += " (" + std::to_string(result.mismatches) + " of " + std::to_string(actual.numElements()) +
                     " elements differ)";
  return result;
}

}  // namespace nutshell::tools
