// Command-line pieces shared by nutshell-run and nutshell-compile: the
// `--flag=value` / `--flag value` split, NAME=VALUE assignments, the
// `--input-shape NAME=2x3x32x32` syntax, loading a model (.onnx or .nsir)
// with bound input shapes, and running the pass pipeline with its dumps on
// stderr. Header-only: what it compiles depends on the
// NUTSHELL_HAVE_ONNX / NUTSHELL_HAVE_PASSES definitions of each program.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ir/Graph.h"
#include "ir/Parser.h"
#include "ir/ShapeInference.h"
#include "nutshell/Expected.h"
#include "nutshell/MemoryLimit.h"

#ifdef NUTSHELL_HAVE_ONNX
#include "frontend/onnx/OnnxImporter.h"
#endif
#ifdef NUTSHELL_HAVE_PASSES
#include "passes/PipelineOptions.h"
#endif

namespace nutshell::tools {

using InputShapes = std::map<std::string, std::vector<int64_t>>;

/// One command-line argument: `--flag=value` splits into flag and value
/// (hasValue); anything else is the flag alone, its value (if any) being the
/// next argument.
struct FlagArgument {
  std::string flag;
  std::string value;
  bool hasValue = false;
};

inline FlagArgument splitFlag(const std::string& arg) {
  FlagArgument result{arg, "", false};
  if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
    result.flag = arg.substr(0, arg.find('='));
    result.value = arg.substr(arg.find('=') + 1);
    result.hasValue = true;
  }
  return result;
}

/// --max-memory SIZE: bytes, or a number with K, M, G or T (powers of 1024).
inline Status setMaxMemory(const std::string& flag, const std::string& text) {
  uint64_t bytes = parseByteSize(text);
  if (bytes == 0) return makeError(flag + " expects a size such as 512M or 8G, got '" + text + "'");
  setMemoryLimit(bytes);
  return Status::success();
}

/// `NAME=VALUE` -> {NAME, VALUE}; both parts non-empty.
inline Expected<std::pair<std::string, std::string>> splitAssignment(const std::string& flag, const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return makeError(flag + " expects NAME=VALUE, got '" + text + "'");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

/// "2x3x32x32" -> {2,3,32,32}; "" is a scalar.
inline Expected<std::vector<int64_t>> parseShape(const std::string& text) {
  std::vector<int64_t> shape;
  if (text.empty()) return shape;
  size_t start = 0;
  while (true) {
    size_t end = text.find('x', start);
    std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    char* rest = nullptr;
    long long value = part.empty() ? -1 : std::strtoll(part.c_str(), &rest, 10);
    if (part.empty() || *rest != '\0' || value < 0)
      return makeError("bad shape '" + text + "' (expected sizes separated by 'x', e.g. 1x3x224x224)");
    shape.push_back(value);
    if (end == std::string::npos) return shape;
    start = end + 1;
  }
}

/// The value of `--input-shape NAME=DxDx..` into `shapes`.
inline Status addInputShape(const std::string& flag, const std::string& text, InputShapes& shapes) {
  NUTSHELL_ASSIGN(auto assignment, splitAssignment(flag, text));
  NUTSHELL_ASSIGN(shapes[assignment.first], parseShape(assignment.second));
  return Status::success();
}

inline bool hasExtension(const std::string& path, const std::string& ext) {
  return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

/// Imports an .onnx file or parses an .nsir file, binding `shapes` to its
/// inputs (at import for ONNX, so that shape-dependent ops fold there).
inline Expected<std::unique_ptr<ir::Graph>> loadModel(const std::string& path, const InputShapes& shapes) {
  if (!std::filesystem::exists(path)) return makeError("cannot open model '" + path + "': no such file");
  if (hasExtension(path, ".onnx")) {
#ifdef NUTSHELL_HAVE_ONNX
    onnx::ImportOptions importOptions;
    importOptions.inputShapes = shapes;
    return onnx::importOnnxFile(path, importOptions);
#else
    return makeError("'" + path + "': this build has no ONNX importer (configure with NUTSHELL_WITH_ONNX=ON)");
#endif
  }
  if (hasExtension(path, ".nsir")) {
    NUTSHELL_ASSIGN(auto graph, ir::parseGraphFile(path));
    if (!shapes.empty()) {
      Status bound = ir::bindInputShapes(*graph, shapes);
      if (!bound) return makeError(path + ": " + bound.message());
    }
    return graph;
  }
  return makeError("'" + path + "': unknown model format (expected .onnx or .nsir)");
}

#ifdef NUTSHELL_HAVE_PASSES
/// runPipeline with its dumps (--print-ir-after-all, ...) on stderr, so
/// that stdout keeps only the program's own output.
inline Status runPipelineToStderr(ir::Graph& graph, const passes::PipelineOptions& pipeline) {
  std::ostringstream dumps;
  Status optimized = passes::runPipeline(graph, pipeline, dumps);
  std::fputs(dumps.str().c_str(), stderr);
  return optimized;
}
#endif

}  // namespace nutshell::tools
