// ONNX importer: ModelProto -> ir::Graph.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::onnx {

struct ImportOptions {
  /// Binds symbolic input dims: input name -> full static shape.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Graph inputs whose values are known at import time: they become `const`
  /// nodes instead of graph inputs (and are no longer fed at run time), so
  /// parameters ONNX passes as tensors (Slice starts, Pad pads, Clip min/max,
  /// reduce axes) can come from them, as in the ONNX conformance tests. The
  /// dtype and rank must match the input's declaration.
  std::map<std::string, ir::TensorDataPtr> constantInputs;
};

/// Import an .onnx file (external-data weights resolved relative to it).
/// An unsupported model reports ALL unsupported ops at once.
Expected<std::unique_ptr<ir::Graph>> importOnnxFile(const std::string& path, const ImportOptions& options = {});

/// The graph inputs an .onnx file declares (initializers excluded), in
/// order: how ONNX test data numbers its input_K files, also for inputs that
/// ImportOptions::constantInputs turns into constants.
Expected<std::vector<std::string>> declaredInputNames(const std::string& path);

/// Import from serialized bytes (baseDir resolves external data).
Expected<std::unique_ptr<ir::Graph>> importOnnxBytes(const std::string& bytes, const ImportOptions& options = {},
                                                     const std::string& baseDir = ".");

}  // namespace nutshell::onnx
