// Planned graph -> ONE CUDA C translation unit and the launch plan that runs
// it. Each node's kernel comes from its family (KernelSource.h), wrapped in
// an `extern "C" __global__` signature; identical kernels are emitted once.
// The launch plan (kernel, grid, block, arguments as buffer locations) is
// plain data shared by every way of running the model; arena arguments are
// plan-memory's offsets (ir/MemoryPlan.h, through common::assignBuffers), so
// the device runs the plan the IR shows.
//
// The source also carries, under `#ifdef NUTSHELL_CUDA_EMULATOR`, one host
// launcher per kernel: the emulator (EmulatorShim.h) compiles the same text
// with the host compiler and calls those through the emulated driver.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/Backend.h"
#include "ir/Graph.h"
#include "ir/TensorData.h"
#include "nutshell/Expected.h"

namespace nutshell::cuda {

/// Where a kernel argument points.
struct KernelArg {
  enum Kind : uint8_t { Input, Output, Constant, Arena } kind = Arena;
  int64_t index = 0;   // Input / Output / Constant: position
  int64_t offset = 0;  // Arena: byte offset
};

struct KernelLaunch {
  std::string kernel;
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;  // dynamic shared memory (the kernels here use static)
  std::vector<KernelArg> args;
};

/// An output whose value lives elsewhere (an input, a constant, another
/// output): copied after the last kernel.
struct OutputCopy {
  KernelArg from;
  int64_t output = 0;
  int64_t bytes = 0;
};

struct LaunchPlan {
  std::vector<KernelLaunch> launches;
  std::vector<OutputCopy> outputCopies;
  int64_t arenaBytes = 0;
};

struct RenderedModel {
  std::string source;
  LaunchPlan plan;
  /// The device constants by KernelArg::Constant index, uploaded once.
  std::vector<ir::TensorDataPtr> constants;
  std::vector<TensorSignature> inputs, outputs;
  /// One line per distinct kernel: name, nodes, algorithm.
  std::vector<std::string> kernels;
};

/// Renders a graph with static shapes and a memory plan. Nodes whose op has
/// no CUDA kernel yet fail together: one error lists all of them.
Expected<RenderedModel> renderModel(const ir::Graph& planned);

}  // namespace nutshell::cuda
