// nsir_fuzzer: .nsir text -> ir::parseGraph -> verifier (as parseGraphFile
// checks: each node, then the graph) -> print/parse round trip -> -O2.
//
// Input layout: the text of the graph, optionally followed by a weights side
// file starting with its magic "NSWEIGHT"; when present those bytes are
// written to a scratch file that @weights[K] references resolve against.
#include <cstdint>
#include <string>
#include <string_view>

#include "ir/Parser.h"
#include "ir/TextSyntax.h"
#include "ir/Verifier.h"
#include "tests/fuzz/FuzzSupport.h"

using namespace nutshell;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::setUp();
  if (size > fuzz::kMaxInputBytes) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view text = input;
  std::string weights;
  size_t magic = input.find(std::string_view(ir::text::kWeightsMagic, sizeof ir::text::kWeightsMagic));
  if (magic != std::string_view::npos) {
    text = input.substr(0, magic);
    std::string_view bytes = input.substr(magic);
    (void)ir::text::decodeWeights(bytes, "<weights>");
    weights = fuzz::scratchDir() + "/graph.nsir.weights";
    if (!fuzz::writeFile(weights, bytes)) return 0;
  }

  auto parsed = ir::parseGraph(text, "<fuzz>", weights);
  if (!parsed) return 0;
  std::unique_ptr<ir::Graph> graph = parsed.take();
  for (const auto& node : graph->nodes())
    if (!ir::verifyNode(*node)) return 0;
  if (!ir::verifyGraph(*graph)) return 0;
  fuzz::exerciseVerifiedGraph(*graph);
  return 0;
}
