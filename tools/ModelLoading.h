// Command-line pieces shared by nutshell-opt, nutshell-run and
// nutshell-compile: --help, the `--flag=value` / `--flag value` split,
// NAME=VALUE assignments, the `--input-shape NAME=2x3x32x32` and `--bind NAME=FILE` syntax, loading
// a model (.onnx or .nsir) with bound input shapes, and running the pass pipeline with its dumps on
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

#include "backends/common/ExecutableShell.h"
#include "ir/Graph.h"
#include "ir/Parser.h"
#include "ir/ShapeInference.h"
#include "nutshell/Expected.h"
#include "nutshell/MemoryLimit.h"
#include "runtime/TensorIO.h"

#ifdef NUTSHELL_HAVE_ONNX
#include "frontend/onnx/OnnxImporter.h"
#endif
#ifdef NUTSHELL_HAVE_PASSES
#include "passes/PipelineOptions.h"
#endif

namespace nutshell::tools {

using InputShapes = std::map<std::string, std::vector<int64_t>>;
/// Values fixed at compile time (--bind NAME=FILE): input name -> payload.
using InputValues = std::map<std::string, ir::TensorDataPtr>;

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

/// `NAME=VALUE` -> {NAME, VALUE}; both parts non-empty.
inline Expected<std::pair<std::string, std::string>> splitAssignment(const std::string& flag, const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return makeError(flag + " expects NAME=VALUE, got '" + text + "'");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

/// The value of `--input-shape NAME=DxDx..` into `shapes`: sizes separated
/// by 'x' (1x3x224x224); `NAME=` binds a scalar. One syntax for all tools.
inline Status addInputShape(const std::string& flag, const std::string& text, InputShapes& shapes) {
  size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return makeError(flag + " expects NAME=D0xD1x... (e.g. x=1x3x224x224), got '" + text + "'");
  const std::string dims = text.substr(eq + 1);
  std::vector<int64_t> shape;
  for (size_t start = 0; !dims.empty();) {
    size_t end = dims.find('x', start);
    std::string part = dims.substr(start, end == std::string::npos ? std::string::npos : end - start);
    // At most 15 digits: a size that parses cannot overflow later arithmetic.
    if (part.empty() || part.size() > 15 || part.find_first_not_of("0123456789") != std::string::npos)
      return makeError(flag + ": bad dim '" + part + "' in '" + text + "'");
    shape.push_back(std::stoll(part));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  shapes[text.substr(0, eq)] = std::move(shape);
  return Status::success();
}

inline bool hasExtension(const std::string& path, const std::string& ext) {
  return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

/// The value of `--bind NAME=FILE` into `values`: the tensor in FILE (.npy
/// or .pb), in the type the file stores.
inline Status addBinding(const std::string& flag, const std::string& text, InputValues& values) {
  NUTSHELL_ASSIGN(auto assignment, splitAssignment(flag, text));
  NUTSHELL_ASSIGN(NamedTensor named, readTensorFile(assignment.second));
  values[assignment.first] = common::tensorData(named.tensor);
  return Status::success();
}

/// Imports an .onnx file or parses an .nsir file, fixing the inputs in
/// `values` as constants and binding `shapes` to the other inputs (at import
/// for ONNX, so that shape-dependent ops fold there).
inline Expected<std::unique_ptr<ir::Graph>> loadModel(const std::string& path, const InputShapes& shapes,
                                                      const InputValues& values = {}) {
  if (!std::filesystem::exists(path)) return makeError("cannot open model '" + path + "': no such file");
  if (hasExtension(path, ".onnx")) {
#ifdef NUTSHELL_HAVE_ONNX
    onnx::ImportOptions importOptions;
    importOptions.inputShapes = shapes;
    importOptions.constantInputs = values;
    return onnx::importOnnxFile(path, importOptions);
#else
    return makeError("'" + path + "': this build has no ONNX importer (configure with NUTSHELL_WITH_ONNX=ON)");
#endif
  }
  if (hasExtension(path, ".nsir")) {
    NUTSHELL_ASSIGN(auto graph, ir::parseGraphFile(path));
    if (!values.empty()) {
      Status bound = ir::bindInputValues(*graph, values);
      if (!bound) return makeError(path + ": " + bound.message());
    }
    if (!shapes.empty()) {
      Status bound = ir::bindInputShapes(*graph, shapes);
      if (!bound) return makeError(path + ": " + bound.message());
    }
    return graph;
  }
  return makeError("'" + path + "': unknown model format (expected .onnx or .nsir)");
}

/// A model's graph inputs as its file declares them, in order, including
/// those --bind fixes (ONNX test data numbers its input_K files this way).
inline Expected<std::vector<std::string>> declaredInputNames(const std::string& path) {
#ifdef NUTSHELL_HAVE_ONNX
  if (hasExtension(path, ".onnx")) return onnx::declaredInputNames(path);
#endif
  NUTSHELL_ASSIGN(auto graph, loadModel(path, {}));
  std::vector<std::string> names;
  for (const ir::Value* input : graph->inputs) names.push_back(input->name);
  return names;
}

/// `--help` or `-h`: print the full usage on stdout and exit 0.
inline bool isHelpFlag(const std::string& arg) {
  return arg == "--help" || arg == "-h";
}

/// The --help text on stdout: the tool's own usage, then the pipeline flags
/// that every tool takes.
inline void printHelp(const std::string& usage) {
  std::fputs(usage.c_str(), stdout);
#ifdef NUTSHELL_HAVE_PASSES
  std::fputs(passes::pipelineFlagsHelp().c_str(), stdout);
#endif
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
