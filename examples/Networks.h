// The example networks of the seed, built with GraphBuilder: one function per
// network, deterministic random weights (seeded), batch size as a parameter.
// Tests loop over allExampleNetworks(); build_and_print prints any of them.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "ir/Graph.h"
#include "nutshell/Expected.h"

namespace nutshell::examples {

using NetworkResult = Expected<std::unique_ptr<ir::Graph>>;

/// Every network has one input %x and one output %y. Weights come from
/// `seed`: the same (batch, seed) always gives the same graph.

/// x[B,1,28,28] -> flatten -> dense 784->10 -> softmax.
NetworkResult logisticRegression(int64_t batch = 1, uint64_t seed = 1);
/// x[B,1,28,28] -> flatten -> dense 512, relu -> dense 512, relu -> dense 10.
NetworkResult mlp(int64_t batch = 1, uint64_t seed = 1);
/// x[B,1,28,28] -> flatten -> maxout 240 (5 pieces) -> maxout 240 (5 pieces)
/// -> dense 10. Each maxout is dense -> reshape -> reduce_max.
NetworkResult maxoutMlp(int64_t batch = 1, uint64_t seed = 1);
/// LeNet-5: x[B,1,28,28] -> conv 6 5x5 pad 2, tanh, avg-pool 2 -> conv 16 5x5,
/// tanh, avg-pool 2 -> dense 120, tanh -> dense 84, tanh -> dense 10.
NetworkResult lenet5(int64_t batch = 1, uint64_t seed = 1);
/// Traffic-sign classifier: x[B,3,32,32] -> conv 4 5x5, relu, max-pool 2 ->
/// conv 10 5x5, relu, max-pool 2 -> dense 43.
NetworkResult trafficSign(int64_t batch = 1, uint64_t seed = 1);
/// GoogLeNet inception 3a: x[B,192,28,28] -> four branches (1x1 64 | 1x1 96,
/// 3x3 128 | 1x1 16, 5x5 32 | 3x3 max-pool s1 p1, 1x1 32), relu after each
/// conv, concatenated on channels -> [B,256,28,28].
NetworkResult inceptionModule(int64_t batch = 1, uint64_t seed = 1);
/// x[16,B,32] -> LSTM (hidden 64) -> last hidden state [B,64] -> dense 10.
NetworkResult lstmClassifier(int64_t batch = 1, uint64_t seed = 1);

/// One entry of the registry. `name` is also the graph's name.
struct ExampleNetwork {
  std::string_view name;
  std::string_view description;
  NetworkResult (*build)(int64_t batch, uint64_t seed);
  /// The last op is a softmax over the classes (outputs sum to 1 per row).
  bool endsInSoftmax;
};

/// All example networks, in a fixed order.
const std::vector<ExampleNetwork>& allExampleNetworks();

/// The entry called `name`, or nullptr.
const ExampleNetwork* findExampleNetwork(std::string_view name);

}  // namespace nutshell::examples
