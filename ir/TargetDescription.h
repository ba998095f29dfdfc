// What the cost model knows about the machine a graph will run on. A
// backend describes its target (Backend::targetDescription); the tools and
// the host API give that to the pass pipeline, so select-conv-algo prices
// algorithms for the machine and thread count that will run them.
#pragma once

#include <cstdint>

namespace nutshell {

/// Measured or given. Defaults: the reference machine of docs/benchmarks.md
/// (one core; 117 GFLOP/s is its measured FP32 FMA peak).
struct TargetDescription {
  double peakGflopsPerCore = 117.0;  // FP32 FMA peak, one core
  int cores = 1;                     // threads the code will run on
  double l2BandwidthGBs = 95.0;      // copy bandwidth in L2 (read + write)
  double l3BandwidthGBs = 53.0;
  double dramBandwidthGBs = 28.0;
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 1024 * 1024;
  int64_t l3Bytes = 32 * 1024 * 1024;
};

}  // namespace nutshell
