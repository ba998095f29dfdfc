#include "examples/Networks.h"

#include <fmt/format.h>

#include "frontend/GraphBuilder.h"

namespace nutshell::examples {

namespace {

using Handle = GraphBuilder::Handle;

/// Batch sizes are user input: reject nonsense before building.
Status checkBatch(std::string_view network, int64_t batch) {
  if (batch < 1 || batch > (int64_t(1) << 20))
    return makeError(fmt::format("example network '{}': batch must be in 1..2^20, got {}", network, batch));
  return Status::success();
}

/// conv (random He-uniform weights and bias) followed by relu, named `name`.
Handle convRelu(GraphBuilder& b, Handle x, const std::string& name, int64_t outChannels, int64_t kernel,
                int64_t pad = 0) {
  Conv2dOptions options;
  if (pad) options.pads = {pad, pad, pad, pad};
  return b.relu(b.name(b.conv2d(x, outChannels, {kernel, kernel}, options), name));
}

}  // namespace

NetworkResult logisticRegression(int64_t batch, uint64_t seed) {
  NUTSHELL_TRY(checkBatch("logreg", batch));
  GraphBuilder b("logreg", seed);
  Handle x = b.input("x", {batch, 1, 28, 28});
  Handle logits = b.name(b.dense(b.flatten(x), 10), "fc");
  b.output(b.softmax(logits, 1), "y");
  return b.finish();
}

NetworkResult mlp(int64_t batch, uint64_t seed) {
  NUTSHELL_TRY(checkBatch("mlp", batch));
  GraphBuilder b("mlp", seed);
  Handle x = b.input("x", {batch, 1, 28, 28});
  Handle h = b.flatten(x);
  h = b.relu(b.name(b.dense(h, 512), "fc1"));
  h = b.relu(b.name(b.dense(h, 512), "fc2"));
  b.output(b.dense(h, 10), "y");
  return b.finish();
}

NetworkResult maxoutMlp(int64_t batch, uint64_t seed) {
  NUTSHELL_TRY(checkBatch("maxout", batch));
  GraphBuilder b("maxout", seed);
  Handle x = b.input("x", {batch, 1, 28, 28});
  Handle h = b.flatten(x);
  h = b.name(b.maxout(h, 240, 5), "maxout1");
  h = b.name(b.maxout(h, 240, 5), "maxout2");
  b.output(b.dense(h, 10), "y");
  return b.finish();
}

NetworkResult lenet5(int64_t batch, uint64_t seed) {
  NUTSHELL_TRY(checkBatch("lenet5", batch));
  GraphBuilder b("lenet5", seed);
  Handle x = b.input("x", {batch, 1, 28, 28});
  Handle h = b.tanh(b.name(b.conv2d(x, 6, {5, 5}, {.pads = {2, 2, 2, 2}}), "conv1"));  // 6x28x28
  h = b.avgPool2d(h, {2, 2}, {2, 2});                                                  // 6x14x14
  h = b.tanh(b.name(b.conv2d(h, 16, {5, 5}), "conv2"));                                // 16x10x10
  h = b.avgPool2d(h, {2, 2}, {2, 2});                                                  // 16x5x5
  h = b.flatten(h);                                                                    // 400
  h = b.tanh(b.name(b.dense(h, 120), "fc1"));
  h = b.tanh(b.name(b.dense(h, 84), "fc2"));
  b.output(b.dense(h, 10), "y");
  return b.finish();
}

NetworkResult trafficSign(int64_t batch, uint64_t seed) {
  NUTSHELL_TRY(checkBatch("trafficsign", batch));
  GraphBuilder b("trafficsign", seed);
  Handle x = b.input("x", {batch, 3, 32, 32});
  Handle h = b.maxPool2d(convRelu(b, x, "conv1", 4, 5), {2, 2}, {2, 2});  // 4x14x14
  h = b.maxPool2d(convRelu(b, h, "conv2", 10, 5), {2, 2}, {2, 2});        // 10x5x5
  b.output(b.dense(b.flatten(h), 43), "y");
  return b.finish();
}

NetworkResult inceptionModule(int64_t batch, uint64_t seed) {
  NUTSHELL_TRY(checkBatch("inception3a", batch));
  GraphBuilder b("inception3a", seed);
  Handle x = b.input("x", {batch, 192, 28, 28});
  Handle branch1 = convRelu(b, x, "b1_1x1", 64, 1);
  Handle branch2 = convRelu(b, convRelu(b, x, "b2_1x1", 96, 1), "b2_3x3", 128, 3, 1);
  Handle branch3 = convRelu(b, convRelu(b, x, "b3_1x1", 16, 1), "b3_5x5", 32, 5, 2);
  Handle pooled = b.maxPool2d(x, {3, 3}, {1, 1}, {.pads = {1, 1, 1, 1}});
  Handle branch4 = convRelu(b, pooled, "b4_1x1", 32, 1);
  b.output(b.concat({branch1, branch2, branch3, branch4}, 1), "y");  // 64+128+32+32 = 256 channels
  return b.finish();
}

NetworkResult lstmClassifier(int64_t batch, uint64_t seed) {
  NUTSHELL_TRY(checkBatch("lstm", batch));
  GraphBuilder b("lstm", seed);
  Handle x = b.input("x", {16, batch, 32});
  GraphBuilder::LstmResults lstm = b.lstm(x, 64);
  // Y_h is [directions=1, B, 64]: drop the direction axis.
  Handle last = b.reshape(lstm.yH, {batch, 64});
  b.output(b.dense(last, 10), "y");
  return b.finish();
}

const std::vector<ExampleNetwork>& allExampleNetworks() {
  static const std::vector<ExampleNetwork> networks = {
      {"logreg", "logistic regression 784->10 with softmax", logisticRegression, true},
      {"mlp", "multi-layer perceptron 784-512-512-10, relu", mlp, false},
      {"maxout", "maxout MLP 784->240->240->10, 5 pieces", maxoutMlp, false},
      {"lenet5", "LeNet-5 (tanh, average pooling)", lenet5, false},
      {"trafficsign", "traffic-sign classifier, 43 classes", trafficSign, false},
      {"inception3a", "GoogLeNet inception module 3a, 192->256 channels", inceptionModule, false},
      {"lstm", "LSTM 32->64 over 16 steps, dense to 10 classes", lstmClassifier, false},
  };
  return networks;
}

const ExampleNetwork* findExampleNetwork(std::string_view name) {
  for (const ExampleNetwork& network : allExampleNetworks())
    if (network.name == name) return &network;
  return nullptr;
}

}  // namespace nutshell::examples
