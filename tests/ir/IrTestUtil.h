// Helpers shared by the IR unit tests.
#pragma once

#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/ShapeInference.h"

namespace nutshell::ir::test {

/// "f32[N,3,32,32]", "bool[4]" -> TensorType (test input only; no error handling).
inline TensorType T(const std::string& text) {
  TensorType type;
  const size_t bracket = text.find('[');
  type.dtype = parseDType(text.substr(0, bracket)).value_or(DType::F32);
  std::string inner = text.substr(bracket + 1, text.size() - bracket - 2);
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
