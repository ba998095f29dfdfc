// The conformance runner's expectations file (tests/onnx/expectations.txt):
// known failures and per-test tolerances, each with the reason it exists.
//
//   fail TEST [backend=NAME] REASON...
//   tolerance TEST RTOL ATOL [backend=NAME] REASON...
//
// Lines without backend= apply to every backend; `#` starts a comment.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "nutshell/Expected.h"
#include "tools/TensorCompare.h"

namespace nutshell::tests {

struct ToleranceOverride {
  tools::Tolerance tolerance;
  std::string reason;
};

struct Expectations {
  std::map<std::string, std::string> knownFailures;  // test -> reason
  std::map<std::string, ToleranceOverride> tolerances;
};

/// Entries of `path` that apply to `backend`. A missing reason is an error:
/// every exception to "all supported tests pass" must say why.
inline Expected<Expectations> readExpectations(const std::string& path, const std::string& backend) {
  Expectations result;
  std::ifstream in(path);
  if (!in) return makeError("cannot open expectations file '" + path + "'");
  std::string line;
  for (int lineNumber = 1; std::getline(in, line); ++lineNumber) {
    std::string where = path + ":" + std::to_string(lineNumber) + ": ";
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string kind, test;
    if (!(words >> kind)) continue;
    if (!(words >> test)) return makeError(where + "missing test name");
    tools::Tolerance tolerance;
    if (kind == "tolerance") {
      std::string rtol, atol;
      char* end = nullptr;
      if (!(words >> rtol >> atol)) return makeError(where + "expected: tolerance TEST RTOL ATOL REASON");
      tolerance.rtol = std::strtod(rtol.c_str(), &end);
      if (*end) return makeError(where + "bad rtol '" + rtol + "'");
      tolerance.atol = std::strtod(atol.c_str(), &end);
      if (*end) return makeError(where + "bad atol '" + atol + "'");
    } else if (kind != "fail") {
      return makeError(where + "unknown entry '" + kind + "' (expected 'fail' or 'tolerance')");
    }
    std::string word, reason;
    bool applies = true;
    bool first = true;
    while (words >> word) {
      if (first && word.rfind("backend=", 0) == 0) {
        applies = word.substr(8) == backend;
      } else {
        reason += (reason.empty() ? "" : " ") + word;
      }
      first = false;
    }
    if (reason.empty()) return makeError(where + "'" + test + "' needs a reason");
    if (!applies) continue;
    if (kind == "fail") result.knownFailures[test] = reason;
    else result.tolerances[test] = ToleranceOverride{tolerance, reason};
  }
  return result;
}

}  // namespace nutshell::tests
