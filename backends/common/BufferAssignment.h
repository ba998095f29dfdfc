// Where each value of a planned graph lives while the compiled model runs:
// a caller's input or output buffer, a constant, or an offset in the
// workspace arena. It reads plan-memory's offsets (ir/MemoryPlan.h) and
// decides nothing of its own, so every backend runs the plan the IR shows.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::common {

struct BufferLocation {
  enum Kind { Input, Output, Constant, Arena } kind = Arena;
  int64_t index = 0;   // Input / Output: position in the graph's inputs / outputs
  int64_t offset = 0;  // Arena: byte offset in the workspace
};

struct BufferAssignment {
  /// Every graph input and every node result.
  std::unordered_map<const ir::Value*, BufferLocation> locations;
  /// Outputs whose value lives elsewhere (an input, a constant, or an
  /// earlier output of the same value): (value, output position), copied
  /// into the output buffer after the last kernel.
  std::vector<std::pair<const ir::Value*, size_t>> outputCopies;
  /// The workspace the arena needs: Graph::arenaBytes rounded up to 64.
  int64_t workspaceBytes = 0;

  const BufferLocation& at(const ir::Value* value) const { return locations.at(value); }
  /// Same storage (same input, output, constant, or arena offset).
  bool sameBuffer(const ir::Value* a, const ir::Value* b) const;
};

/// The assignment of a graph plan-memory planned. An unplanned graph or a
/// plan that verifyMemoryPlan rejects is an error: codegen never places
/// values on its own.
Expected<BufferAssignment> assignBuffers(const ir::Graph& graph);

/// `graph` itself when it has a memory plan, else a clone planned by
/// ir::planMemory and kept in `storage` (graphs from -O0 pipelines, the
/// builder, or bound to input shapes at run time): a backend plans what the
/// pipeline did not, the same way plan-memory would.
Expected<const ir::Graph*> withMemoryPlan(const ir::Graph& graph, std::unique_ptr<ir::Graph>& storage);

}  // namespace nutshell::common
