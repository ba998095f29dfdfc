// conv2d / fused_conv2d (every epilogue, dest) and pooling against the
// reference interpreter, on odd shapes.
#include "tests/cpu/CpuTestUtil.h"

using namespace nutshell;
using namespace nutshell::cputest;
using ir::OpKind;

namespace {

struct ConvCase {
  int64_t N, C, H, W, K, R, S;
  std::vector<int64_t> strides{1, 1}, pads{0, 0, 0, 0}, dilations{1, 1};
  int64_t groups = 1;
};

std::vector<ConvCase> convCases() {
  return {
      {1, 3, 8, 8, 4, 3, 3, {1, 1}, {1, 1, 1, 1}},
      {2, 5, 7, 9, 17, 3, 2, {2, 1}, {1, 0, 2, 1}},
      {1, 4, 1, 1, 3, 1, 1},
      {1, 4, 1, 1, 5, 3, 3, {1, 1}, {1, 1, 1, 1}},
      {1, 6, 10, 11, 6, 3, 3, {1, 1}, {2, 2, 2, 2}, {2, 2}, 3},
      {1, 8, 12, 12, 8, 3, 3, {1, 1}, {1, 1, 1, 1}, {1, 1}, 8},
      {1, 19, 20, 37, 33, 5, 5, {1, 1}, {2, 2, 2, 2}},
      {1, 2, 6, 70, 5, 1, 1},
      {2, 3, 11, 13, 7, 4, 3, {3, 2}, {0, 3, 1, 0}, {1, 2}},
  };
}

/// Weights scaled by 1/sqrt(fan-in), as trained networks are: the sums stay
/// O(1), so f32 accumulation error stays far below the tolerance.
float weightScale(int64_t fanIn) { return 1.0f / std::sqrt(float(fanIn)); }

ir::AttrMap convAttrs(const ConvCase& c) {
  return {{"strides", c.strides}, {"pads", c.pads}, {"dilations", c.dilations}, {"groups", c.groups}};
}

}  // namespace

TEST_CASE("cpu: conv2d on odd shapes", "[cpu][conv]") {
  auto rng = makeRng("conv2d");
  for (const ConvCase& c : convCases()) {
    for (bool constWeights : {true, false}) {
      INFO("conv C=" << c.C << " K=" << c.K << " " << c.R << "x" << c.S << " groups " << c.groups << " const "
                     << constWeights);
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32({c.N, c.C, c.H, c.W}));
      std::vector<int64_t> wShape{c.K, c.C / c.groups, c.R, c.S};
      TensorMap inputs;
      inputs["x"] = randomTensor({c.N, c.C, c.H, c.W}, rng);
      ir::Value* w;
      if (constWeights) {
        float scale = weightScale(c.C / c.groups * c.R * c.S);
        w = g.addConstant(randomData(wShape, rng, -scale, scale));
      } else {
        float scale = weightScale(c.C / c.groups * c.R * c.S);
        w = g.addInput("w", ir::TensorType::f32(wShape));
        inputs["w"] = randomTensor(wShape, rng, -scale, scale);
      }
      ir::Value* b = g.addConstant(randomData({c.K}, rng));
      g.outputs.push_back(op(g, OpKind::Conv2d, {x, w, b}, convAttrs(c)));
      checkAgainstReference(g, inputs);
    }
  }
}

TEST_CASE("cpu: fused_conv2d epilogues (activation x pool)", "[cpu][conv]") {
  auto rng = makeRng("fused_conv2d");
  struct Pool {
    std::string kind;
    std::vector<int64_t> kernel, strides, pads;
    int64_t includePad = 0;
  };
  std::vector<Pool> pools = {{"none", {1, 1}, {1, 1}, {0, 0, 0, 0}},
                             {"max", {2, 2}, {2, 2}, {0, 0, 0, 0}},
                             {"avg", {2, 2}, {2, 2}, {0, 0, 0, 0}},
                             {"max", {3, 3}, {2, 2}, {1, 1, 1, 1}},
                             {"avg", {3, 3}, {1, 1}, {1, 1, 1, 1}, 1},
                             {"avg", {3, 2}, {2, 1}, {1, 0, 1, 1}, 0}};
  std::vector<std::pair<std::string, std::vector<double>>> acts = {
      {"none", {}}, {"relu", {}}, {"leaky_relu", {0.1}}, {"sigmoid", {}}, {"tanh", {}}, {"clip", {-0.5, 0.5}}};
  std::vector<ConvCase> cases = {{1, 3, 9, 10, 5, 3, 3, {1, 1}, {1, 1, 1, 1}}, {2, 7, 13, 21, 18, 5, 5}};
  for (const ConvCase& c : cases)
    for (const Pool& p : pools)
      for (const auto& [act, params] : acts) {
        INFO("act " << act << " pool " << p.kind << " " << p.kernel[0] << "x" << p.kernel[1] << " C=" << c.C);
        ir::Graph g;
        ir::Value* x = g.addInput("x", ir::TensorType::f32({c.N, c.C, c.H, c.W}));
        float scale = weightScale(c.C * c.R * c.S);
        ir::Value* w = g.addConstant(randomData({c.K, c.C, c.R, c.S}, rng, -scale, scale));
        ir::Value* b = g.addConstant(randomData({c.K}, rng));
        ir::AttrMap attrs = convAttrs(c);
        attrs["act"] = act;
        attrs["act_params"] = params;
        attrs["pool"] = p.kind;
        attrs["pool_kernel"] = p.kernel;
        attrs["pool_strides"] = p.strides;
        attrs["pool_pads"] = p.pads;
        attrs["pool_count_include_pad"] = p.includePad;
        g.outputs.push_back(op(g, OpKind::FusedConv2d, {x, w, b}, attrs));
        TensorMap inputs;
        inputs["x"] = randomTensor({c.N, c.C, c.H, c.W}, rng);
        checkAgainstReference(g, inputs);
      }
}

TEST_CASE("cpu: the ONNX activations as fused_conv2d and fused_dense epilogues", "[cpu][conv]") {
  auto rng = makeRng("onnx-epilogues");
  std::vector<std::pair<std::string, std::vector<double>>> acts = {
      {"hard_sigmoid", {}}, {"hard_sigmoid", {0.3, 0.6}},
      {"hard_swish", {}},   {"elu", {}},
      {"elu", {0.5}},       {"selu", {}},
      {"selu", {2.0, 1.5}}, {"softplus", {}},
      {"softsign", {}},     {"thresholded_relu", {0.25}},
      {"celu", {}},         {"celu", {0.5}}};
  ConvCase c{1, 3, 9, 10, 5, 3, 3, {1, 1}, {1, 1, 1, 1}};
  for (const auto& [act, params] : acts) {
    INFO("act " << act << " with " << params.size() << " act_params");
    {
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32({c.N, c.C, c.H, c.W}));
      float scale = weightScale(c.C * c.R * c.S);
      ir::Value* w = g.addConstant(randomData({c.K, c.C, c.R, c.S}, rng, -scale, scale));
      ir::Value* b = g.addConstant(randomData({c.K}, rng));
      ir::AttrMap attrs = convAttrs(c);
      attrs["act"] = act;
      attrs["act_params"] = params;
      g.outputs.push_back(op(g, OpKind::FusedConv2d, {x, w, b}, attrs));
      TensorMap inputs;
      inputs["x"] = randomTensor({c.N, c.C, c.H, c.W}, rng, -4.f, 4.f);
      checkAgainstReference(g, inputs);
    }
    {
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32({3, 20}));
      ir::Value* w = g.addConstant(randomData({20, 19}, rng, -0.5f, 0.5f));
      ir::Value* b = g.addConstant(randomData({19}, rng));
      g.outputs.push_back(op(g, OpKind::FusedDense, {x, w, b}, {{"act", act}, {"act_params", params}}));
      TensorMap inputs;
      inputs["x"] = randomTensor({3, 20}, rng);
      checkAgainstReference(g, inputs);
    }
  }
}

TEST_CASE("cpu: fused_conv2d writes into a destination buffer (concat elimination)", "[cpu][conv]") {
  auto rng = makeRng("dest");
  for (bool asOutput : {true, false}) {
    ir::Graph g;
    ir::Value* x = g.addInput("x", ir::TensorType::f32({1, 6, 7, 7}));
    ir::Value* buffer = g.addNode(OpKind::Empty, {}, {ir::TensorType::f32({1, 21, 7, 7})})->result();
    ir::Value* cur = buffer;
    int64_t offset = 0;
    for (int64_t k : {5, 7}) {
      ir::Value* w = g.addConstant(randomData({k, 6, 3, 3}, rng));
      ir::Value* b = g.addConstant(randomData({k}, rng));
      cur = op(g, OpKind::FusedConv2d, {x, w, b, cur},
               {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"act", std::string("relu")}, {"dest_offset", offset}});
      offset += k;
    }
    // The remaining 9 channels from a 1x1 conv.
    ir::Value* w = g.addConstant(randomData({21 - offset, 6, 1, 1}, rng));
    ir::Value* b = g.addConstant(randomData({21 - offset}, rng));
    cur = op(g, OpKind::FusedConv2d, {x, w, b, cur}, {{"dest_offset", offset}});
    if (asOutput) {
      g.outputs.push_back(cur);
    } else {
      g.outputs.push_back(op(g, OpKind::Relu, {cur}));
    }
    TensorMap inputs;
    inputs["x"] = randomTensor({1, 6, 7, 7}, rng);
    checkAgainstReference(g, inputs);
  }
}

TEST_CASE("cpu: max and average pooling", "[cpu][pool]") {
  auto rng = makeRng("pool");
  struct Case {
    std::vector<int64_t> shape, kernel, strides, pads, dilations;
    int64_t ceil, includePad;
  };
  std::vector<Case> cases = {
      {{1, 3, 8, 8}, {2, 2}, {2, 2}, {0, 0, 0, 0}, {1, 1}, 0, 0},
      {{2, 5, 13, 17}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 0, 0},
      {{1, 4, 28, 28}, {3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 0, 1},
      {{1, 2, 11, 9}, {3, 2}, {2, 3}, {0, 1, 2, 0}, {1, 1}, 1, 1},
      {{1, 2, 12, 40}, {2, 3}, {1, 2}, {1, 1, 0, 0}, {2, 2}, 1, 0},
      {{1, 1, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 0, 0},
  };
  for (const Case& c : cases)
    for (OpKind kind : {OpKind::MaxPool2d, OpKind::AvgPool2d}) {
      INFO(ir::opName(kind) << " kernel " << c.kernel[0] << "x" << c.kernel[1] << " ceil " << c.ceil);
      ir::AttrMap attrs = {{"kernel", c.kernel}, {"strides", c.strides}, {"pads", c.pads}, {"ceil_mode", c.ceil}};
      if (kind == OpKind::MaxPool2d)
        attrs["dilations"] = c.dilations;
      else
        attrs["count_include_pad"] = c.includePad;
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32(c.shape));
      g.outputs.push_back(op(g, kind, {x}, attrs));
      TensorMap inputs;
      inputs["x"] = randomTensor(c.shape, rng);
      checkAgainstReference(g, inputs);
    }
}

TEST_CASE("cpu: global pooling", "[cpu][pool]") {
  auto rng = makeRng("global");
  for (std::vector<int64_t> shape : {std::vector<int64_t>{1, 3, 7, 7}, {2, 17, 1, 1}, {1, 4, 33, 5}})
    for (OpKind kind : {OpKind::GlobalAvgPool, OpKind::GlobalMaxPool}) {
      ir::Graph g;
      ir::Value* x = g.addInput("x", ir::TensorType::f32(shape));
      g.outputs.push_back(op(g, kind, {x}));
      TensorMap inputs;
      inputs["x"] = randomTensor(shape, rng);
      checkAgainstReference(g, inputs);
    }
}
