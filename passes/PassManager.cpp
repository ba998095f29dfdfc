#include "passes/PassManager.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>

#include <fmt/format.h>

#include "ir/MemoryPlan.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"

namespace nutshell::passes {

// ---- pipeline strings ----------------------------------------------------------

namespace {

/// Recursive-descent parser over the pipeline text; `pos` is a byte offset.
class PipelineParser {
public:
  explicit PipelineParser(std::string_view text) : text_(text) {}

  Expected<std::vector<PipelineStep>> parseAll() {
    skipSpace();
    if (pos_ == text_.size()) return std::vector<PipelineStep>{};
    NUTSHELL_ASSIGN(auto steps, parseList());
    skipSpace();
    if (pos_ != text_.size()) return error(fmt::format("unexpected '{}'", text_[pos_]));
    return steps;
  }

private:
  Expected<std::vector<PipelineStep>> parseList() {
    std::vector<PipelineStep> steps;
    while (true) {
      NUTSHELL_ASSIGN(auto step, parseStep());
      steps.push_back(std::move(step));
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return steps;
    }
  }

  Expected<PipelineStep> parseStep() {
    skipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' ||
                                   text_[pos_] == '_'))
      ++pos_;
    if (start == pos_) return error("expected a pass name");
    PipelineStep step;
    step.name = std::string(text_.substr(start, pos_ - start));
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '{') {
      NUTSHELL_ASSIGN(step.options, parseOptions());
      skipSpace();
    }
    if (step.isFixpoint()) {
      for (const auto& [key, value] : step.options) {
        if (key != "max-iterations") return errorAt(start, "fixpoint has one option, max-iterations; got '" + key + "'");
        int n = 0;
        try {
          n = std::stoi(value);
        } catch (...) {
          n = 0;
        }
        if (n < 1) return errorAt(start, "fixpoint max-iterations must be a positive integer, got '" + value + "'");
      }
      if (pos_ >= text_.size() || text_[pos_] != '(') return error("expected '(' after fixpoint");
      ++pos_;
      NUTSHELL_ASSIGN(step.body, parseList());
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ')') return error("expected ')' closing fixpoint(");
      ++pos_;
      return step;
    }
    auto pass = createPass(step.name);
    if (!pass) return errorAt(start, pass.message());
    step.pass = pass.take();
    return step;
  }

  Expected<std::map<std::string, std::string>> parseOptions() {
    ++pos_;  // '{'
    std::map<std::string, std::string> options;
    while (true) {
      skipSpace();
      size_t keyStart = pos_;
      while (pos_ < text_.size() && text_[pos_] != '=' && text_[pos_] != ',' && text_[pos_] != '}') ++pos_;
      std::string key = trim(text_.substr(keyStart, pos_ - keyStart));
      if (key.empty()) return error("expected an option name");
      if (pos_ >= text_.size() || text_[pos_] != '=') return error("expected '=' after option '" + key + "'");
      ++pos_;
      size_t valueStart = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}') ++pos_;
      options[key] = trim(text_.substr(valueStart, pos_ - valueStart));
      if (pos_ >= text_.size()) return error("expected '}' closing the options");
      if (text_[pos_++] == '}') return options;
    }
  }

  static std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
  }
  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  Error error(const std::string& message) const { return errorAt(pos_, message); }
  Error errorAt(size_t at, const std::string& message) const {
    return makeError(fmt::format("pipeline '{}': column {}: {}", text_, at + 1, message));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void printSteps(const std::vector<PipelineStep>& steps, std::string& out) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i) out += ',';
    const PipelineStep& step = steps[i];
    out += step.name;
    if (!step.options.empty()) {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : step.options) {
        if (!first) out += ',';
        first = false;
        out += key + "=" + value;
      }
      out += '}';
    }
    if (step.isFixpoint()) {
      out += '(';
      printSteps(step.body, out);
      out += ')';
    }
  }
}

void collectNames(const std::vector<PipelineStep>& steps, std::set<std::string>& names) {
  for (const PipelineStep& step : steps) {
    if (step.isFixpoint())
      collectNames(step.body, names);
    else
      names.insert(step.name);
  }
}

int maxIterations(const PipelineStep& step) {
  auto it = step.options.find("max-iterations");
  return it == step.options.end() ? kDefaultFixpointIterations : std::stoi(it->second);
}

}  // namespace

Expected<std::vector<PipelineStep>> parsePipeline(std::string_view text) { return PipelineParser(text).parseAll(); }

std::string printPipeline(const std::vector<PipelineStep>& steps) {
  std::string out;
  printSteps(steps, out);
  return out;
}

// ---- running ---------------------------------------------------------------------

PassManager::PassManager(PassContext context) : context_(std::move(context)) {}

Status PassManager::addPipeline(std::string_view text) {
  NUTSHELL_ASSIGN(auto steps, parsePipeline(text));
  for (auto& step : steps) steps_.push_back(std::move(step));
  return Status::success();
}

void PassManager::addPass(std::unique_ptr<Pass> pass, std::map<std::string, std::string> options) {
  PipelineStep step;
  step.name = std::string(pass->name());
  step.options = std::move(options);
  step.pass = std::move(pass);
  steps_.push_back(std::move(step));
}

void PassManager::addSteps(std::vector<PipelineStep> steps) {
  for (auto& step : steps) steps_.push_back(std::move(step));
}

Status PassManager::checkInstrumentationNames() const {
  // A dump or stop flag naming a pass that never runs is almost always a typo;
  // say so instead of silently printing nothing.
  std::set<std::string> names;
  collectNames(steps_, names);
  auto check = [&](const std::string& flag, const std::string& name) -> Status {
    if (names.count(name)) return Status::success();
    return makeError(fmt::format("{}={}: no pass '{}' in the pipeline '{}'", flag, name, name, pipelineString()));
  };
  for (const auto& name : instrumentation_.printAfter) NUTSHELL_TRY(check("--print-ir-after", name));
  for (const auto& name : instrumentation_.printBefore) NUTSHELL_TRY(check("--print-ir-before", name));
  if (!instrumentation_.stopAfter.empty()) NUTSHELL_TRY(check("--stop-after", instrumentation_.stopAfter));
  return Status::success();
}

void PassManager::dump(const ir::Graph& graph, const std::string& title) {
  if (!instrumentation_.dumpStream) return;
  ir::PrintOptions options;
  options.elideConstants = true;
  *instrumentation_.dumpStream << "// -----// " << title << " //----- //\n" << ir::printGraph(graph, options);
  instrumentation_.dumpStream->flush();
}

Status PassManager::run(ir::Graph& graph) {
  timings_.clear();
  passRunCount_ = 0;
  stopped_ = false;
  NUTSHELL_TRY(checkInstrumentationNames());
  if (instrumentation_.verifyEach) {
    Status valid = ir::verifyGraph(graph);
    if (!valid) return makeError("input graph is invalid: " + valid.message());
    if (graph.arenaBytes >= 0) {
      Status plan = verifyMemoryPlan(graph);
      if (!plan) return makeError("input graph has an invalid memory plan: " + plan.message());
    }
  }
  if (!instrumentation_.dumpDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(instrumentation_.dumpDir, ec);
    if (ec) return makeError("--ir-dump-dir=" + instrumentation_.dumpDir + ": " + ec.message());
    ir::PrintOptions options;
    options.elideConstants = true;
    NUTSHELL_TRY(ir::writeGraphFile(graph, instrumentation_.dumpDir + "/00-input.nsir", options));
  }
  bool changed = false;
  return runSteps(steps_, graph, changed, 0);
}

Status PassManager::runSteps(std::vector<PipelineStep>& steps, ir::Graph& graph, bool& changed, int iteration) {
  for (PipelineStep& step : steps) {
    if (stopped_) return Status::success();
    if (!step.isFixpoint()) {
      NUTSHELL_TRY(runPass(step, graph, changed, iteration));
      continue;
    }
    // Rerun the body while it still changes something; the cap guards
    // against two passes undoing each other forever.
    int cap = maxIterations(step);
    for (int i = 1; i <= cap && !stopped_; ++i) {
      bool bodyChanged = false;
      NUTSHELL_TRY(runSteps(step.body, graph, bodyChanged, i));
      changed = changed || bodyChanged;
      if (!bodyChanged) break;
    }
  }
  return Status::success();
}

Status PassManager::runPass(PipelineStep& step, ir::Graph& graph, bool& changed, int iteration) {
  const std::string& name = step.name;
  std::string where = iteration > 0 ? fmt::format("{} (fixpoint iteration {})", name, iteration) : name;
  if (instrumentation_.printBefore.count(name)) dump(graph, "IR Dump Before " + where);

  context_.options = step.options;
  auto start = std::chrono::steady_clock::now();
  Expected<bool> result = step.pass->run(graph, context_);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  context_.options.clear();
  if (!result) return makeError("pass '" + name + "' failed: " + result.message());

  auto timing = std::find_if(timings_.begin(), timings_.end(), [&](const PassTiming& t) { return t.name == name; });
  if (timing == timings_.end()) timing = timings_.insert(timings_.end(), PassTiming{name});
  timing->runs += 1;
  timing->changed += *result ? 1 : 0;
  timing->ms += ms;
  changed = changed || *result;
  ++passRunCount_;

  if (instrumentation_.verifyEach) {
    Status valid = ir::verifyGraph(graph);
    if (!valid) return makeError("pass '" + name + "' left the graph invalid: " + valid.message());
    if (graph.arenaBytes >= 0) {
      Status plan = verifyMemoryPlan(graph);
      if (!plan) return makeError("pass '" + name + "' left an invalid memory plan: " + plan.message());
    }
  }
  if (instrumentation_.printAfterAll || instrumentation_.printAfter.count(name)) {
    std::string title = "IR Dump After " + where;
    if (graph.arenaBytes >= 0) title += fmt::format(" (arena peak {} bytes)", graph.arenaBytes);
    dump(graph, title);
  }
  if (!instrumentation_.dumpDir.empty()) {
    ir::PrintOptions options;
    options.elideConstants = true;
    std::string file = fmt::format("{}/{:02}-{}.nsir", instrumentation_.dumpDir, passRunCount_, name);
    NUTSHELL_TRY(ir::writeGraphFile(graph, file, options));
  }
  if (!instrumentation_.stopAfter.empty() && instrumentation_.stopAfter == name) stopped_ = true;
  return Status::success();
}

void PassManager::printTimings(std::ostream& os, const ir::Graph& graph) const {
  double total = 0.0;
  for (const PassTiming& t : timings_) total += t.ms;
  os << "===--- pass execution times ---===\n";
  os << fmt::format("  {:<20} {:>5} {:>8} {:>10} {:>7}\n", "pass", "runs", "changed", "ms", "%");
  for (const PassTiming& t : timings_)
    os << fmt::format("  {:<20} {:>5} {:>8} {:>10.3f} {:>6.1f}%\n", t.name, t.runs, t.changed, t.ms,
                      total > 0 ? 100.0 * t.ms / total : 0.0);
  os << fmt::format("  {:<20} {:>5} {:>8} {:>10.3f} {:>6.1f}%\n", "total", "", "", total, 100.0);
  if (graph.arenaBytes >= 0) os << fmt::format("  arena peak bytes: {}\n", graph.arenaBytes);
}

}  // namespace nutshell::passes
