// Build one of the example networks with GraphBuilder and print its IR.
//
//   build_and_print [NAME] [--batch N] [--seed S] [--elide-constants] [--list]
//
// NAME defaults to lenet5. With --elide-constants weights print as <elided>
// (shapes only), which keeps the output readable.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "examples/Networks.h"
#include "ir/Printer.h"

using namespace nutshell;

namespace {

void printUsage() {
  std::fprintf(stderr, "usage: build_and_print [NAME] [--batch N] [--seed S] [--elide-constants] [--list]\n");
}

void printList() {
  for (const examples::ExampleNetwork& network : examples::allExampleNetworks())
    std::printf("%-12s %s\n", std::string(network.name).c_str(), std::string(network.description).c_str());
}

bool parseInt(const char* text, int64_t& out) {
  char* end = nullptr;
  long long value = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0') return false;
  out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "lenet5";
  int64_t batch = 1, seed = 1;
  ir::PrintOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--list") {
      printList();
      return 0;
    } else if (arg == "--elide-constants") {
      options.elideConstants = true;
    } else if ((arg == "--batch" || arg == "--seed") && i + 1 < argc) {
      if (!parseInt(argv[++i], arg == "--batch" ? batch : seed)) {
        std::fprintf(stderr, "error: %s needs an integer, got '%s'\n", std::string(arg).c_str(), argv[i]);
        return 2;
      }
    } else if (!arg.empty() && arg[0] != '-') {
      name = arg;
    } else {
      printUsage();
      return 2;
    }
  }
  const examples::ExampleNetwork* network = examples::findExampleNetwork(name);
  if (!network) {
    std::fprintf(stderr, "error: no example network '%s'; these exist:\n", name.c_str());
    printList();
    return 2;
  }
  examples::NetworkResult graph = network->build(batch, uint64_t(seed));
  if (!graph) {
    std::fprintf(stderr, "error: %s\n", graph.message().c_str());
    return 1;
  }
  std::fputs(ir::printGraph(**graph, options).c_str(), stdout);
  return 0;
}
