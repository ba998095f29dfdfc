// The ONNX conformance runner: imports every ONNX node test
// (test_*/model.onnx), runs it on a backend with the test's inputs and
// compares with its outputs.
//
//   onnx_conformance [--backend=NAME] [--tests DIR] [--expectations FILE] [--passing FILE]
//                    [--write-passing FILE]
//                    [--write-coverage PATH] [--filter SUBSTRING] [--no-fork] [-v]
//                    [--rtol=R] [--atol=A] [pass-pipeline flags: -O0, -O2,
//                    --passes=..., --conv-algo=ALGO, ...]
//
// Every graph goes through the pass pipeline before the backend compiles it,
// as in nutshell-run: -O2 unless a pipeline flag says otherwise (the
// reference interpreter runs the graph as imported unless a pipeline flag is
// given: it is the oracle for the unoptimised IR). --conv-algo=ALGO forces a
// convolution algorithm; where it does not apply, select-conv-algo keeps the
// best applicable one and records why (`-v` prints each conv's choice).
//
// A test is
//   unsupported  when the importer declines it with an ErrorKind::Unsupported
//                error (an op, op feature or element type it does not support),
//   passed       when every output of every test_data_set_* matches,
//   failed       otherwise (import error, run error, mismatch, crash, timeout).
// Failures listed in the expectations file (with a reason) are expected; the
// program exits 1 when any other supported test fails, or when a test listed
// in the passing list (tests/onnx/passing.txt) no longer passes.
//
// Each test runs in a forked child with a time limit, so an interpreter crash
// or hang is reported against its test instead of ending the run.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/onnx/OnnxImporter.h"
#ifdef NUTSHELL_HAVE_PASSES
#include "passes/PipelineOptions.h"
#endif
#include "backends/BackendRegistry.h"
#include "backends/common/ExecutableShell.h"
#include "runtime/TensorIO.h"
#include "tests/onnx/Expectations.h"
#include "tools/TensorCompare.h"

namespace fs = std::filesystem;
using namespace nutshell;

namespace {

constexpr unsigned kTestTimeLimitSeconds = 120;

struct Options {
  std::string backend = defaultBackendName();
  std::string testsDir = NUTSHELL_ONNX_NODE_TESTS_DIR;
  std::string expectationsFile = NUTSHELL_ONNX_EXPECTATIONS_FILE;
  std::string coveragePath;
  /// Tests that passed before: one dropping out (failing or turning
  /// unsupported) fails the run, so coverage only grows.
  std::string passingFile = NUTSHELL_ONNX_PASSING_FILE;
  std::string writePassing;  // --write-passing: where to save this run's passing tests
  std::string filter;
  bool fork = true;
  bool verbose = false;
  tools::Tolerance tolerance;  // --rtol / --atol: the default comparison
#ifdef NUTSHELL_HAVE_PASSES
  passes::PipelineOptions pipeline;
#endif

  /// Whether graphs go through the pass pipeline (see the file comment).
  bool runsPipeline() const {
#ifdef NUTSHELL_HAVE_PASSES
    return pipeline.anyFlagGiven || backend != "reference";
#else
    return false;
#endif
  }
  /// Backends other than the reference interpreter generate code for static
  /// shapes: values that decide a shape must be known when they compile.
  bool needsStaticShapes() const { return backend != "reference"; }
  /// A forced conv algorithm (--conv-algo) is meant to run: im2col, FFT and
  /// Winograd re-lay out or transform the weights at compile time.
  bool forcesConvAlgo() const {
#ifdef NUTSHELL_HAVE_PASSES
    return pipeline.convAlgo != "auto" || !pipeline.convAlgoPerNode.empty();
#else
    return false;
#endif
  }
};

enum class Outcome { Passed, Failed, Unsupported };

struct TestResult {
  TestResult(Outcome o, std::string m, std::string c = "")
      : outcome(o), message(std::move(m)), constantInputs(std::move(c)) {}
  Outcome outcome;
  std::string message;
  std::string constantInputs;  // inputs bound as constants at import, comma-separated
};

/// What the model holds, read straight from the protobuf: the ops it uses and
/// its default-domain opset (for the coverage table).
struct ModelSummary {
  std::set<std::string> ops;
  int64_t opset = 0;
  std::vector<std::string> inputs;  // graph inputs minus initializers, in order
};

ModelSummary summarizeModel(const std::string& path) {
  ModelSummary summary;
  ::onnx::ModelProto model;
  std::ifstream in(path, std::ios::binary);
  if (!in || !model.ParseFromIstream(&in)) return summary;
  for (const auto& node : model.graph().node())
    summary.ops.insert(node.domain().empty() || node.domain() == "ai.onnx" ? node.op_type()
                                                                           : node.domain() + "." + node.op_type());
  for (const auto& entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx") summary.opset = entry.version();
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  for (const auto& input : model.graph().input())
    if (!initializers.count(input.name())) summary.inputs.push_back(input.name());
  return summary;
}

/// Op names in `unsupported ONNX ops (N nodes): Foo (opset 13) x2: nodes 'a', 'b'; Bar (opset 13) x1: ...`.
std::vector<std::string> unsupportedOpsIn(const std::string& message) {
  std::vector<std::string> ops;
  size_t start = message.find("unsupported ONNX ops");
  if (start == std::string::npos) return ops;
  start = message.find("): ", start);
  if (start == std::string::npos) return ops;
  start += 3;
  while (start < message.size()) {
    size_t paren = message.find(" (opset", start);
    if (paren == std::string::npos) break;
    ops.push_back(message.substr(start, paren - start));
    size_t next = message.find("; ", paren);
    if (next == std::string::npos) break;
    start = next + 2;
  }
  return ops;
}

std::vector<std::string> numberedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (int k = 0;; ++k) {
    fs::path path = dir / (prefix + "_" + std::to_string(k) + ".pb");
    if (!fs::exists(path)) break;
    files.push_back(path.string());
  }
  return files;
}

/// The importer's "X (input 'NAME') must be a constant ..." names an input it
/// needs as a constant (Slice starts, reduce axes, Pad pads ...); "" if none.
std::string inputNeededAsConstant(const std::string& message) {
  if (message.find("must be a constant") == std::string::npos) return "";
  size_t start = message.find("(input '");
  if (start == std::string::npos) return "";
  start += 8;
  size_t end = message.find('\'', start);
  return end == std::string::npos ? "" : message.substr(start, end - start);
}

ir::TensorDataPtr toTensorData(const Tensor& t) {
  return common::tensorData(t);
}

/// Graph inputs that a real model carries as constants and a backend needs
/// at compile time (ONNX node tests feed them as inputs): the target shape of
/// reshape and the shape of constant_of_shape when the backend compiles static
/// shapes (their values decide result types), and conv weights and bias when
/// a conv algorithm is forced (see Options::forcesConvAlgo).
std::vector<std::string> parameterInputs(const ir::Graph& graph, const Options& options) {
  std::set<const ir::Value*> inputs(graph.inputs.begin(), graph.inputs.end());
  std::vector<std::string> names;
  auto add = [&](const ir::Value* operand) {
    if (inputs.count(operand) && std::find(names.begin(), names.end(), operand->name) == names.end())
      names.push_back(operand->name);
  };
  for (const auto& node : graph.nodes()) {
    if (options.needsStaticShapes() && node->op == ir::OpKind::Reshape && node->operands.size() == 2)
      add(node->operands[1]);
    if (options.needsStaticShapes() && node->op == ir::OpKind::ConstantOfShape) add(node->operands[0]);
    if (options.forcesConvAlgo() && (node->op == ir::OpKind::Conv2d || node->op == ir::OpKind::FusedConv2d))
      for (size_t k = 1; k < std::min<size_t>(node->operands.size(), 3); ++k) add(node->operands[k]);
  }
  return names;
}

/// An imported graph ready for one data set, and what its import needed.
struct PreparedGraph {
  std::unique_ptr<ir::Graph> graph;
  std::set<std::string> constantInputs;
};

/// Import the model for the data in `inputs` (ONNX input name -> tensor): an
/// input the importer needs as a constant becomes one (as an ONNX runtime
/// would see it: its value is known before the run); symbolic dims are bound
/// from the data, as nutshell-run does; so do the parameterInputs the
/// backend needs. Import errors come back unchanged.
Expected<PreparedGraph> importForData(const std::string& modelPath, const TensorMap& inputs, const Options& options) {
  nutshell::onnx::ImportOptions importOptions;
  PreparedGraph prepared;
  for (size_t attempt = 0; attempt <= inputs.size() + 1; ++attempt) {
    auto graph = nutshell::onnx::importOnnxFile(modelPath, importOptions);
    if (!graph) {
      std::string name = inputNeededAsConstant(graph.message());
      auto data = inputs.find(name);
      if (name.empty() || data == inputs.end() || importOptions.constantInputs.count(name)) return graph.error();
      importOptions.constantInputs[name] = toTensorData(data->second);
      prepared.constantInputs.insert(name);
      continue;
    }
    bool rebind = false;
    for (const std::string& name : parameterInputs(**graph, options)) {
      auto data = inputs.find(name);
      if (data == inputs.end() || importOptions.constantInputs.count(name)) continue;
      importOptions.constantInputs[name] = toTensorData(data->second);
      prepared.constantInputs.insert(name);
      rebind = true;
    }
    for (const ir::Value* input : (*graph)->inputs) {
      auto data = inputs.find(input->name);
      if (!input->type.isStatic() && data != inputs.end() && !importOptions.inputShapes.count(input->name)) {
        importOptions.inputShapes[input->name] = data->second.shape();
        rebind = true;
      }
    }
    if (rebind) continue;
    prepared.graph = graph.take();
    return prepared;
  }
  return makeError("import did not settle after binding constant inputs and shapes");
}

/// Import, compile and run one data set; compares every output.
TestResult runDataSet(const std::string& modelPath, const std::vector<std::string>& onnxInputs,
                      const fs::path& dataDir, const Options& options, tools::Tolerance tolerance,
                      std::set<std::string>& constantInputs) {
  std::vector<std::string> inputFiles = numberedFiles(dataDir, "input");
  std::vector<std::string> outputFiles = numberedFiles(dataDir, "output");
  if (inputFiles.size() > onnxInputs.size())
    return {Outcome::Failed, std::to_string(inputFiles.size()) + " input files for " +
                                 std::to_string(onnxInputs.size()) + " ONNX graph inputs"};
  // input_K.pb is the K-th ONNX graph input (initializers excluded). A file
  // nutshell cannot read (strings, sequences) matters only if the import
  // succeeds: the importer declines such inputs first.
  TensorMap data;
  std::map<std::string, std::string> unreadable;
  for (size_t k = 0; k < inputFiles.size(); ++k) {
    auto named = readTensorProto(inputFiles[k]);
    if (named) data[onnxInputs[k]] = std::move(named->tensor);
    else unreadable[onnxInputs[k]] = named.message();
  }

  auto prepared = importForData(modelPath, data, options);
  if (!prepared) {
    // Messages start with the model's path; the test name already says it.
    std::string message = prepared.message();
    if (message.rfind(modelPath + ": ", 0) == 0) message = message.substr(modelPath.size() + 2);
    // The importer types its refusals (ErrorKind::Unsupported); anything
    // else it reports is a failure of nutshell or of the test.
    Outcome outcome =
        prepared.error().kind == ErrorKind::Unsupported ? Outcome::Unsupported : Outcome::Failed;
    return {outcome, "import: " + message};
  }
  ir::Graph& graph = *prepared->graph;
  constantInputs.insert(prepared->constantInputs.begin(), prepared->constantInputs.end());
#ifdef NUTSHELL_HAVE_PASSES
  if (options.runsPipeline()) {
    std::ostringstream dumps;
    Status optimized = passes::runPipeline(graph, options.pipeline, dumps);
    if (options.verbose && !dumps.str().empty()) std::fputs(dumps.str().c_str(), stderr);
    if (!optimized) return {Outcome::Failed, "passes: " + optimized.message()};
  }
#endif
  std::string convNotes;  // each conv's algorithm, for -v
  for (const auto& node : graph.nodes()) {
    if (node->op != ir::OpKind::FusedConv2d) continue;
    std::string why = node->getString("why");
    std::string note = node->getString("algo");
    // A global override that did not apply says so first in `why`.
    if (size_t bar = why.find(" | "); why.find("not applicable") < bar) note += " (" + why.substr(0, bar) + ")";
    convNotes += (convNotes.empty() ? "" : ", ") + ("%" + node->result()->name + " " + note);
  }
  if (outputFiles.size() != graph.outputs.size())
    return {Outcome::Failed, std::to_string(outputFiles.size()) + " output files for " +
                                 std::to_string(graph.outputs.size()) + " graph outputs"};
  TensorMap inputs;
  for (const ir::Value* input : graph.inputs) {
    auto it = data.find(input->name);
    if (unreadable.count(input->name)) return {Outcome::Failed, unreadable[input->name]};
    if (it == data.end()) return {Outcome::Failed, "no data for graph input '" + input->name + "'"};
    inputs[input->name] = it->second;
  }

  auto backend = createBackend(options.backend);
  if (!backend) return {Outcome::Failed, backend.message()};
  auto compiled = (*backend)->compile(graph, BackendOptions{});
  if (!compiled) return {Outcome::Failed, "compile: " + compiled.message()};
  auto outputs = compiled->executable->run(inputs);
  if (!outputs) return {Outcome::Failed, "run: " + outputs.message()};
  for (size_t k = 0; k < outputFiles.size(); ++k) {
    const std::string& name = graph.outputs[k]->name;
    auto it = outputs->find(name);
    if (it == outputs->end()) return {Outcome::Failed, "no value for output '" + name + "'"};
    auto expected = readTensorProto(outputFiles[k]);
    if (!expected) return {Outcome::Failed, expected.message()};
    tools::CompareResult cmp = tools::compareTensors(it->second, expected->tensor, tolerance);
    if (!cmp.match)
      return {Outcome::Failed, "output '" + name + "' mismatch: " + cmp.detail +
                                   " (max_abs_err=" + tools::formatDouble(cmp.maxAbsError) + ")"};
  }
  return {Outcome::Passed, convNotes.empty() ? "" : "convs: " + convNotes};
}

TestResult runTest(const fs::path& testDir, const ModelSummary& summary, const Options& options,
                   tools::Tolerance tolerance) {
  std::string modelPath = (testDir / "model.onnx").string();
  std::vector<fs::path> dataSets;
  for (const auto& entry : fs::directory_iterator(testDir))
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
      dataSets.push_back(entry.path());
  std::sort(dataSets.begin(), dataSets.end());
  if (dataSets.empty()) return {Outcome::Failed, "no test_data_set_* directory"};

  // Each data set is imported on its own: inputs bound as constants differ.
  std::set<std::string> constantInputs;
  std::string notes;  // of the last data set (the graphs differ only in bound constants)
  for (const fs::path& dataDir : dataSets) {
    TestResult result = runDataSet(modelPath, summary.inputs, dataDir, options, tolerance, constantInputs);
    if (result.outcome != Outcome::Passed) {
      if (dataSets.size() > 1) result.message = dataDir.filename().string() + ": " + result.message;
      return result;
    }
    notes = result.message;
  }
  TestResult passed{Outcome::Passed, notes};
  for (const std::string& name : constantInputs) passed.constantInputs += (passed.constantInputs.empty() ? "" : ",") + name;
  return passed;
}

/// runTest in a child process: a crash or a hang fails only this test.
TestResult runTestIsolated(const fs::path& testDir, const ModelSummary& summary, const Options& options,
                           tools::Tolerance tolerance) {
  if (!options.fork) return runTest(testDir, summary, options, tolerance);
  int fds[2];
  if (pipe(fds) != 0) return {Outcome::Failed, std::string("pipe failed: ") + std::strerror(errno)};
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return {Outcome::Failed, std::string("fork failed: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    close(fds[0]);
    alarm(kTestTimeLimitSeconds);
    TestResult result = runTest(testDir, summary, options, tolerance);
    std::string text = std::to_string(int(result.outcome)) + "\n" + result.constantInputs + "\n" + result.message;
    size_t written = 0;
    while (written < text.size()) {
      ssize_t n = write(fds[1], text.data() + written, text.size() - written);
      if (n <= 0) break;
      written += size_t(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGALRM) return {Outcome::Failed, "timed out after " + std::to_string(kTestTimeLimitSeconds) + " s"};
    return {Outcome::Failed, std::string("crashed: ") + strsignal(sig)};
  }
  size_t first = text.find('\n');
  size_t second = first == std::string::npos ? first : text.find('\n', first + 1);
  if (second == std::string::npos) return {Outcome::Failed, "child exited without a result"};
  return {Outcome(std::stoi(text.substr(0, first))), text.substr(second + 1),
          text.substr(first + 1, second - first - 1)};
}

// ---- coverage report ------------------------------------------------------------------

struct OpCoverage {
  int passed = 0;
  int total = 0;
  int unsupported = 0;
  std::set<int64_t> opsets;
};

struct Report {
  std::map<std::string, OpCoverage> ops;
  std::map<std::string, int> unsupportedOps;       // op -> tests it blocks
  std::map<std::string, int> unsupportedFeatures;  // importer reason -> tests
  int passed = 0, failed = 0, unsupported = 0, knownFailures = 0;
  int passedWithConstantInputs = 0;  // passed with some inputs bound as constants at import
  std::vector<std::pair<std::string, std::string>> failures;       // test, message
  std::vector<std::pair<std::string, std::string>> expectedFails;  // test, reason
  std::vector<std::string> unexpectedPasses;
  std::vector<std::string> passedTests;
};

/// Test names in a passing list (one per line, `#` comments).
Expected<std::set<std::string>> readPassingList(const std::string& path) {
  std::ifstream in(path);
  if (!in) return makeError("cannot open the passing-tests list '" + path + "'");
  std::set<std::string> tests;
  std::string line;
  while (std::getline(in, line)) {
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) tests.insert(line);
  }
  return tests;
}

/// "node 'x' (Op): unsupported: reason" -> "Op: reason" so equal reasons group.
std::string featureKey(const std::string& message) {
  std::string text = message;
  size_t colon = text.find(".onnx: ");
  if (colon != std::string::npos) text = text.substr(colon + 7);
  size_t open = text.find("' (");
  size_t close = text.find("): ", open == std::string::npos ? 0 : open);
  if (text.rfind("node '", 0) == 0 && open != std::string::npos && close != std::string::npos)
    text = text.substr(open + 3, close - open - 3) + ": " + text.substr(close + 3);
  // "graph input 'x' has element type int8" -> "graph input has element type int8"
  if (text.rfind("graph input '", 0) == 0) {
    size_t end = text.find('\'', 13);
    if (end != std::string::npos) text = "graph input" + text.substr(end + 1);
  }
  return text;
}

/// Text safe inside a markdown table cell.
std::string tableCell(const std::string& text) {
  std::string cell;
  for (char c : text) {
    if (c == '|') cell += "\\|";
    else if (c == '\n') cell += ' ';
    else cell += c;
  }
  return cell;
}

Status writeCoverage(const Report& report, const Options& options, int total, const std::string& path) {
  std::ostringstream md;
  md << "# ONNX coverage\n\n"
     << "Generated by the ONNX conformance runner (`onnx_conformance --backend=" << options.backend
     << " --write-coverage docs/onnx-coverage.md`, ctest `onnx_conformance_" << options.backend
     << "`) over the ONNX node tests of the onnx test data (`test_*/model.onnx`). Do not edit by hand.\n\n"
     << "| | tests |\n| --- | ---: |\n"
     << "| node tests | " << total << " |\n"
     << "| passed | " << report.passed << " |\n"
     << "| failed | " << report.failed << " |\n"
     << "| known failures | " << report.knownFailures << " |\n"
     << "| unsupported (declined by the importer) | " << report.unsupported << " |\n\n"
     << "A test passes when every output matches within |a-b| <= atol + rtol*|b| (rtol "
     << tools::formatDouble(options.tolerance.rtol) << ", atol " << tools::formatDouble(options.tolerance.atol)
     << " unless `tests/onnx/expectations.txt` gives a test its own tolerance, with a reason).\n\n"
     << "Where the importer needs an op parameter that ONNX passes as a tensor (Slice starts, reduce axes, "
     << "Pad pads, Clip bounds ...) to be a constant and a test feeds it as a graph input, the runner binds "
     << "that input to its test value at import, as a model would carry it as an initializer; "
     << report.passedWithConstantInputs << " of the passing tests do so (`onnx_conformance -v` names the inputs).\n\n"
     << "## Ops the importer supports\n\n"
     << "A test counts for every op in its model (expanded function tests use several ops).\n\n"
     << "| op | opsets in tests | passed / supported tests | unsupported tests |\n"
     << "| --- | --- | ---: | ---: |\n";
  for (const auto& [op, cov] : report.ops) {
    if (report.unsupportedOps.count(op)) continue;
    if (cov.total == 0) continue;
    std::string opsets;
    for (int64_t v : cov.opsets) opsets += (opsets.empty() ? "" : ", ") + std::to_string(v);
    md << "| " << op << " | " << opsets << " | " << cov.passed << " / " << cov.total << " | " << cov.unsupported
       << " |\n";
  }
  md << "\n## Unsupported ops\n\nOps the importer has no converter for, with the number of tests that use them.\n\n"
     << "| op | tests |\n| --- | ---: |\n";
  for (const auto& [op, count] : report.unsupportedOps) md << "| " << op << " | " << count << " |\n";
  md << "\n## Unsupported features of supported ops\n\n"
     << "Tests the importer declines for an attribute value, element type or output nutshell does not have.\n\n"
     << "| reason | tests |\n| --- | ---: |\n";
  for (const auto& [reason, count] : report.unsupportedFeatures) md << "| " << tableCell(reason) << " | " << count << " |\n";
  if (!report.expectedFails.empty()) {
    md << "\n## Known failures\n\n| test | reason |\n| --- | --- |\n";
    for (const auto& [test, reason] : report.expectedFails) md << "| " << test << " | " << tableCell(reason) << " |\n";
  }
  if (!report.failures.empty()) {
    md << "\n## Failing tests\n\n| test | error |\n| --- | --- |\n";
    for (const auto& [test, message] : report.failures) md << "| " << test << " | " << tableCell(message) << " |\n";
  }
  // The "## Model zoo" section at the end is bench/zoo_check.py's (whole models
  // against ONNX Runtime): kept as it is, so neither writer erases the other.
  std::string zooSection;
  if (std::ifstream old(path); old) {
    std::string text((std::istreambuf_iterator<char>(old)), std::istreambuf_iterator<char>());
    if (size_t at = text.find("\n## Model zoo\n"); at != std::string::npos) zooSection = text.substr(at);
  }
  std::ofstream out(path);
  if (!out) return makeError("cannot write '" + path + "'");
  out << md.str() << zooSection;
  return Status::success();
}

int usageError(const std::string& message) {
  std::fprintf(stderr, "onnx_conformance: error: %s\n", message.c_str());
  std::fprintf(stderr,
               "usage: onnx_conformance [--backend=NAME] [--tests DIR] [--expectations FILE]\n"
               "                        [--passing FILE] [--write-passing FILE]\n"
               "                        [--write-coverage PATH] [--filter SUBSTRING] [--no-fork] [-v]\n"
               "                        [--rtol=R] [--atol=A] [pass-pipeline flags]\n");
#ifdef NUTSHELL_HAVE_PASSES
  std::fputs(passes::pipelineFlagsHelp().c_str(), stderr);
#endif
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], flag = arg, value;
    bool hasValue = arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos;
    if (hasValue) {
      flag = arg.substr(0, arg.find('='));
      value = arg.substr(arg.find('=') + 1);
    }
    auto needValue = [&]() -> bool {
      if (hasValue) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    if (flag == "--rtol" || flag == "--atol") {
      if (!needValue()) return usageError(flag + " needs a value");
      char* end = nullptr;
      double number = std::strtod(value.c_str(), &end);
      if (value.empty() || *end || !(number >= 0)) return usageError("bad " + flag + " '" + value + "'");
      (flag == "--rtol" ? options.tolerance.rtol : options.tolerance.atol) = number;
    } else if (flag == "--backend" || flag == "--tests" || flag == "--expectations" ||
               flag == "--write-coverage" || flag == "--filter" || flag == "--passing" ||
               flag == "--write-passing") {
      if (!needValue()) return usageError(flag + " needs a value");
      if (flag == "--backend") options.backend = value;
      else if (flag == "--tests") options.testsDir = value;
      else if (flag == "--expectations") options.expectationsFile = value;
      else if (flag == "--write-coverage") options.coveragePath = value;
      else if (flag == "--passing")
        options.passingFile = value;
      else if (flag == "--write-passing")
        options.writePassing = value;
      else options.filter = value;
    } else if (flag == "--no-fork") {
      options.fork = false;
    } else if (flag == "-v" || flag == "--verbose") {
      options.verbose = true;
    } else {
#ifdef NUTSHELL_HAVE_PASSES
      auto pipelineFlag = passes::consumePipelineFlag(arg, options.pipeline);
      if (!pipelineFlag) return usageError(pipelineFlag.message());
      if (*pipelineFlag) continue;
#endif
      return usageError("unknown argument '" + arg + "'");
    }
  }
  auto backendCheck = createBackend(options.backend);
  if (!backendCheck) return usageError(backendCheck.message());
  auto expectations = tests::readExpectations(options.expectationsFile, options.backend);
  if (!expectations) return usageError(expectations.message());
  auto previouslyPassing = readPassingList(options.passingFile);
  if (!previouslyPassing) return usageError(previouslyPassing.message());

  std::vector<fs::path> testDirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options.testsDir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("test_", 0) == 0 && fs::exists(entry.path() / "model.onnx") &&
        name.find(options.filter) != std::string::npos)
      testDirs.push_back(entry.path());
  }
  if (ec) return usageError("cannot read '" + options.testsDir + "': " + ec.message());
  std::sort(testDirs.begin(), testDirs.end());
  if (testDirs.empty()) return usageError("no tests in '" + options.testsDir + "'");

  Report report;
  for (const fs::path& dir : testDirs) {
    std::string test = dir.filename().string();
    // A test's own tolerance (expectations.txt) can only loosen the default.
    tools::Tolerance tolerance = options.tolerance;
    auto tol = expectations->tolerances.find(test);
    if (tol != expectations->tolerances.end()) {
      tolerance.rtol = std::max(tolerance.rtol, tol->second.tolerance.rtol);
      tolerance.atol = std::max(tolerance.atol, tol->second.tolerance.atol);
    }
    ModelSummary summary = summarizeModel((dir / "model.onnx").string());
    TestResult result = runTestIsolated(dir, summary, options, tolerance);
    std::vector<std::string> missingOps = unsupportedOpsIn(result.message);

    auto known = expectations->knownFailures.find(test);
    const char* label = "";
    switch (result.outcome) {
      case Outcome::Passed:
        ++report.passed;
        report.passedTests.push_back(test);
        label = "PASS";
        if (!result.constantInputs.empty()) {
          ++report.passedWithConstantInputs;
          result.message = "inputs bound as constants: " + result.constantInputs +
                           (result.message.empty() ? "" : "; " + result.message);
        }
        if (known != expectations->knownFailures.end()) {
          report.unexpectedPasses.push_back(test);
          label = "XPASS";
        }
        break;
      case Outcome::Failed:
        if (known != expectations->knownFailures.end()) {
          ++report.knownFailures;
          report.expectedFails.emplace_back(test, known->second);
          label = "XFAIL";
        } else {
          ++report.failed;
          report.failures.emplace_back(test, result.message);
          label = "FAIL";
        }
        break;
      case Outcome::Unsupported:
        ++report.unsupported;
        label = "UNSUPPORTED";
        if (missingOps.empty()) ++report.unsupportedFeatures[featureKey(result.message)];
        for (const std::string& op : missingOps) ++report.unsupportedOps[op];
        break;
    }
    for (const std::string& op : summary.ops) {
      OpCoverage& cov = report.ops[op];
      if (result.outcome == Outcome::Unsupported) {
        ++cov.unsupported;
        continue;
      }
      ++cov.total;
      cov.passed += result.outcome == Outcome::Passed;
      cov.opsets.insert(summary.opset);
    }
    if (options.verbose || result.outcome == Outcome::Failed)
      std::printf("%-11s %s%s%s\n", label, test.c_str(), result.message.empty() ? "" : ": ", result.message.c_str());
  }

  // What ran: the pipeline, any forced conv algorithm, a non-default tolerance.
  std::string setup = options.runsPipeline() ? "passes" : "no passes";
#ifdef NUTSHELL_HAVE_PASSES
  if (options.runsPipeline()) {
    auto pipeline = options.pipeline.pipeline();
    if (!options.pipeline.passes) setup = "-O" + std::to_string(options.pipeline.optLevel.value_or(2));
    else if (pipeline) setup = "--passes=" + *pipeline;
    if (options.pipeline.convAlgo != "auto") setup += ", --conv-algo=" + options.pipeline.convAlgo;
  }
#endif
  tools::Tolerance defaults;
  if (options.tolerance.rtol != defaults.rtol || options.tolerance.atol != defaults.atol)
    setup += ", rtol " + tools::formatDouble(options.tolerance.rtol) + " atol " +
             tools::formatDouble(options.tolerance.atol);
  std::printf("\nonnx conformance, backend '%s' (%s): %zu tests: %d passed, %d failed, %d known failures, %d unsupported\n",
              options.backend.c_str(), setup.c_str(), testDirs.size(), report.passed, report.failed,
              report.knownFailures, report.unsupported);
  for (const std::string& test : report.unexpectedPasses)
    std::printf("note: %s passes but is listed as a known failure in %s; remove it from the list\n", test.c_str(),
                options.expectationsFile.c_str());
  if (!report.failures.empty()) {
    std::printf("\nfailing tests:\n");
    for (const auto& [test, message] : report.failures) std::printf("  %s: %s\n", test.c_str(), message.c_str());
  }
  // Every listed test that ran must still pass; new passes should be listed.
  std::set<std::string> passedNow(report.passedTests.begin(), report.passedTests.end());
  std::vector<std::string> droppedOut, newlyPassing;
  for (const fs::path& dir : testDirs) {
    std::string test = dir.filename().string();
    bool listed = previouslyPassing->count(test) > 0, passes = passedNow.count(test) > 0;
    if (listed && !passes) droppedOut.push_back(test);
    if (!listed && passes) newlyPassing.push_back(test);
  }
  for (const std::string& test : newlyPassing)
    std::printf("note: %s passes and is not in %s; add it (--write-passing)\n", test.c_str(),
                options.passingFile.c_str());
  if (!droppedOut.empty()) {
    std::printf("\n%zu tests that passed before (%s) no longer pass:\n", droppedOut.size(),
                options.passingFile.c_str());
    for (const std::string& test : droppedOut) std::printf("  %s\n", test.c_str());
  }
  if (!options.writePassing.empty()) {
    std::ofstream out(options.writePassing);
    out << "# ONNX node tests that pass (read by the conformance runner: one that stops passing fails\n"
           "# the run). Regenerate with: onnx_conformance --backend=reference --write-passing FILE\n";
    for (const std::string& test : report.passedTests) out << test << "\n";
    if (!out.flush()) return usageError("cannot write '" + options.writePassing + "'");
    std::printf("passing tests written to %s\n", options.writePassing.c_str());
  }
  if (!options.coveragePath.empty()) {
    Status written = writeCoverage(report, options, int(testDirs.size()), options.coveragePath);
    if (!written) return usageError(written.message());
    std::printf("coverage written to %s\n", options.coveragePath.c_str());
  }
  return report.failed == 0 && droppedOut.empty() ? 0 : 1;
}
