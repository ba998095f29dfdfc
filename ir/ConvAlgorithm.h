// The convolution algorithm of a fused_conv2d as a typed value: what
// select-conv-algo decides, the cost model prices and every backend runs.
// In the IR text it stays the `algo` string ("auto", "direct", ...) and the
// `tile` integer; this header is the only place they are read and written.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::ir {

/// The candidates, in the order `why` lists them (also the tie-break order).
enum class ConvAlgorithm { Direct, Im2col, Fft, Winograd };

inline constexpr ConvAlgorithm kAllConvAlgorithms[] = {ConvAlgorithm::Direct, ConvAlgorithm::Im2col,
                                                       ConvAlgorithm::Fft, ConvAlgorithm::Winograd};

std::string_view convAlgorithmName(ConvAlgorithm algorithm);  // "direct", "im2col", "fft", "winograd"
std::optional<ConvAlgorithm> parseConvAlgorithm(std::string_view name);

/// The plan a convolution node records: its algorithm (nullopt for "auto",
/// which backends run as direct) and the tile it was priced with (FFT n,
/// Winograd m; 0 when none is recorded, and then the backend uses the plan
/// function of backends/common).
struct ConvPlan {
  std::optional<ConvAlgorithm> algorithm;
  int64_t tile = 0;

  ConvAlgorithm algorithmOrDirect() const { return algorithm.value_or(ConvAlgorithm::Direct); }
};

/// The plan of a conv2d (always auto) or fused_conv2d node; an unknown `algo`
/// name is an error naming the node.
Expected<ConvPlan> convPlan(const Node& node);

/// Records `algorithm` and `tile` (erased when 0) on a fused_conv2d node;
/// returns whether either changed.
bool setConvPlan(Node& node, ConvAlgorithm algorithm, int64_t tile);

}  // namespace nutshell::ir
