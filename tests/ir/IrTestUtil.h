// Helpers shared by the IR unit tests.
#pragma once

#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/ShapeInference.h"

namespace nutshell::ir::test {

/// "f32[N,3,32,32]" -> TensorType (test input only; no error handling).
inline TensorType T(const std::string& text) {
  TensorType type;
  type.dtype = text.rfind("i64", 0) == 0 ? DType::I64 : DType::F32;
  std::string inner = text.substr(4, text.size() - 5);
  size_t pos = 0;
  while (pos < inner.size()) {
    size_t comma = inner.find(',', pos);
    std::string part = inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!part.empty() && (std::isdigit(static_cast<unsigned char>(part[0])) != 0))
      type.dims.push_back(Dim(std::stoll(part)));
    else
      type.dims.push_back(Dim::symbolic(part));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return type;
}

/// Result types of `node` joined with ", ", or "error: MESSAGE".
inline std::string inferred(const Node* node) {
  auto types = inferResultTypes(*node);
  if (!types) return "error: " + types.message();
  std::string s;
  for (const TensorType& t : *types) s += (s.empty() ? "" : ", ") + t.str();
  return s;
}

}  // namespace nutshell::ir::test
