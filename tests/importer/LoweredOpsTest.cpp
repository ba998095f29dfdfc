// ONNX ops the importer lowers onto existing IR ops (Resize and Upsample,
// ConvTranspose, 1-D and 3-D Conv and pools, GRU and RNN unrolled over time):
// each is run on the reference interpreter and checked against values
// computed here directly from the ONNX definition, then on the CPU backend
// against the reference (random inputs, the seed printed on failure).
#include <cmath>

#include <catch2/catch.hpp>

#include "tests/cpu/CpuTestUtil.h"
#include "tests/importer/OnnxTestUtil.h"

using namespace nutshell;

namespace {

std::unique_ptr<ir::Graph> importOk(const test::ModelBuilder& mb) {
  auto g = mb.import();
  INFO((g ? std::string() : g.message()));
  REQUIRE(g);
  return g.take();
}

/// Reference outputs of `graph`, then the CPU backend checked against them.
TensorMap runBoth(const ir::Graph& graph, const TensorMap& inputs) {
  auto reference = reference::runGraph(graph, inputs);
  INFO((reference ? std::string() : reference.message()));
  REQUIRE(reference);
  cputest::checkAgainstReference(graph, inputs);
  return reference.take();
}

void checkClose(const Tensor& got, const std::vector<float>& want) {
  REQUIRE(got.numElements() == int64_t(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i << " (" << test::describeSeed(cputest::testSeed()) << ")");
    CHECK(std::fabs(got.f32()[i] - want[i]) <= 1e-5 + 1e-4 * std::fabs(want[i]));
  }
}

/// A Resize-13 model of x[dims] with constant scales or sizes.
test::ModelBuilder resizeModel(std::vector<int64_t> dims, const std::string& mode,
                               const std::string& transform, std::vector<float> scales,
                               std::vector<int64_t> sizes = {}) {
  test::ModelBuilder mb(13);
  mb.input("x", dims).output("y");
  std::vector<std::string> inputs{"x", ""};
  if (!scales.empty()) {
    mb.initF32("scales", {int64_t(scales.size())}, scales);
    inputs.push_back("scales");
  } else {
    mb.initI64("sizes", {int64_t(sizes.size())}, sizes);
    inputs.push_back("");
    inputs.push_back("sizes");
  }
  auto& n = mb.node("Resize", inputs, {"y"});
  test::setString(n, "mode", mode);
  test::setString(n, "coordinate_transformation_mode", transform);
  return mb;
}

}  // namespace

TEST_CASE("Resize linear half_pixel is bilinear interpolation with edge clamping", "[importer][resize]") {
  const int64_t H = 3, W = 4, OH = 7, OW = 6;
  auto g = importOk(resizeModel({1, 2, H, W}, "linear", "half_pixel", {}, {1, 2, OH, OW}));
  // Rows then columns: two matmuls with constant interpolation matrices.
  CHECK(test::countOp(*g, ir::OpKind::MatMul) == 2);
  auto rng = cputest::makeRng("resize linear");
  TensorMap inputs{{"x", cputest::randomTensor({1, 2, H, W}, rng)}};
  TensorMap out = runBoth(*g, inputs);
  const float* x = inputs.at("x").f32();
  std::vector<float> want;
  auto source = [](int64_t i, int64_t in, int64_t outLen) {
    double s = (double(i) + 0.5) * double(in) / double(outLen) - 0.5;
    return std::clamp(s, 0.0, double(in - 1));
  };
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        double sy = source(i, H, OH), sx = source(j, W, OW);
        int64_t y0 = int64_t(std::floor(sy)), x0 = int64_t(std::floor(sx));
        int64_t y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
        double fy = sy - double(y0), fx = sx - double(x0);
        auto at = [&](int64_t y, int64_t xx) { return double(x[(c * H + y) * W + xx]); };
        want.push_back(float((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
                             fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1))));
      }
  checkClose(out.at("y"), want);
}

TEST_CASE("Resize nearest picks input indices by nearest_mode", "[importer][resize]") {
  SECTION("asymmetric floor: index floor(i / scale), a gather per resized axis") {
    test::ModelBuilder mb = resizeModel({1, 1, 2, 3}, "nearest", "asymmetric", {1.0f, 1.0f, 2.0f, 1.5f});
    test::setString(*mb.model.mutable_graph()->mutable_node(0), "nearest_mode", "floor");
    auto g = importOk(mb);
    CHECK(test::countOp(*g, ir::OpKind::Gather) == 2);
    CHECK(g->outputs[0]->type == ir::TensorType::f32({1, 1, 4, 4}));
    TensorMap inputs{{"x", Tensor(ElementType::F32, {1, 1, 2, 3})}};
    for (int i = 0; i < 6; ++i) inputs.at("x").f32()[i] = float(i + 1);
    TensorMap out = runBoth(*g, inputs);
    // rows 0,0,1,1; columns floor(j / 1.5) = 0,0,1,2
    checkClose(out.at("y"), {1, 1, 2, 3, 1, 1, 2, 3, 4, 4, 5, 6, 4, 4, 5, 6});
  }
  SECTION("half_pixel round_prefer_floor downsampling") {
    auto g = importOk(resizeModel({1, 1, 1, 5}, "nearest", "half_pixel", {}, {1, 1, 1, 2}));
    TensorMap inputs{{"x", Tensor(ElementType::F32, {1, 1, 1, 5})}};
    for (int i = 0; i < 5; ++i) inputs.at("x").f32()[i] = float(10 * i);
    // (j + 0.5) * 2.5 - 0.5 = 0.75, 3.25: rounds to 1 and 3
    checkClose(runBoth(*g, inputs).at("y"), {10, 30});
  }
}

TEST_CASE("Resize cubic and a resized channel axis run alike on both backends", "[importer][resize]") {
  auto rng = cputest::makeRng("resize cubic");
  for (const char* transform : {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"}) {
    INFO(transform);
    auto g = importOk(resizeModel({2, 3, 5, 4}, "cubic", transform, {1.0f, 1.0f, 1.6f, 0.75f}));
    CHECK(g->outputs[0]->type == ir::TensorType::f32({2, 3, 8, 3}));
    runBoth(*g, {{"x", cputest::randomTensor({2, 3, 5, 4}, rng)}});
  }
  // The channel axis: moved next to last, resized, moved back.
  auto g = importOk(resizeModel({2, 3, 4, 5}, "linear", "align_corners", {}, {2, 5, 4, 5}));
  CHECK(test::countOp(*g, ir::OpKind::Transpose) == 2);
  runBoth(*g, {{"x", cputest::randomTensor({2, 3, 4, 5}, rng)}});
}

TEST_CASE("Upsample-9 nearest repeats elements", "[importer][resize]") {
  test::ModelBuilder mb(9);
  mb.input("x", {1, 1, 2, 2}).output("y");
  mb.initF32("scales", {4}, {1.0f, 1.0f, 2.0f, 3.0f});
  mb.node("Upsample", {"x", "scales"}, {"y"});
  auto g = importOk(mb);
  TensorMap inputs{{"x", Tensor(ElementType::F32, {1, 1, 2, 2})}};
  for (int i = 0; i < 4; ++i) inputs.at("x").f32()[i] = float(i + 1);
  checkClose(runBoth(*g, inputs).at("y"),
             {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST_CASE("Resize tf_crop_and_resize samples the roi and extrapolates outside the input",
          "[importer][resize]") {
  test::ModelBuilder mb(13);
  mb.input("x", {1, 1, 1, 4}).output("y");
  mb.initF32("roi", {8}, {0, 0, 0, 0.5f, 1, 1, 1, 1.5f});
  mb.initI64("sizes", {4}, {1, 1, 1, 3});
  auto& n = mb.node("Resize", {"x", "roi", "", "sizes"}, {"y"});
  test::setString(n, "mode", "linear");
  test::setString(n, "coordinate_transformation_mode", "tf_crop_and_resize");
  test::setFloat(n, "extrapolation_value", 10.0f);
  auto g = importOk(mb);
  TensorMap inputs{{"x", Tensor(ElementType::F32, {1, 1, 1, 4})}};
  for (int i = 0; i < 4; ++i) inputs.at("x").f32()[i] = float(i + 1);
  // Source columns i * 1.0 * 3 / 2 + 0.5 * 3 = 1.5, 3, 4.5: the last is outside.
  checkClose(runBoth(*g, inputs).at("y"), {2.5f, 4.0f, 10.0f});
}

TEST_CASE("Resize rejects what it cannot lower, naming it", "[importer][resize]") {
  test::ModelBuilder mb =
      resizeModel({1, 1, 2, 2}, "linear", "half_pixel_symmetric", {1.0f, 1.0f, 2.0f, 2.0f});
  auto g = mb.import();
  REQUIRE_FALSE(g);
  CHECK_THAT(g.message(), Catch::Contains("half_pixel_symmetric"));
}

namespace {

std::vector<float> values(const Tensor& t) {
  return std::vector<float>(t.f32(), t.f32() + t.numElements());
}

/// ConvTranspose by its definition: every input element scatters its
/// weighted kernel into the output.
std::vector<float> directConvTranspose(const Tensor& x, const Tensor& w, const std::vector<float>& bias,
                                       int64_t group, std::vector<int64_t> strides, std::vector<int64_t> pads,
                                       std::vector<int64_t> dilations, int64_t OH, int64_t OW) {
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const int64_t Mg = w.shape()[1], KH = w.shape()[2], KW = w.shape()[3], Cg = C / group, M = Mg * group;
  std::vector<double> out(size_t(N * M * OH * OW), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ih = 0; ih < H; ++ih)
        for (int64_t iw = 0; iw < W; ++iw)
          for (int64_t m = 0; m < Mg; ++m)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                int64_t oh = ih * strides[0] - pads[0] + kh * dilations[0];
                int64_t ow = iw * strides[1] - pads[1] + kw * dilations[1];
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                int64_t mo = (c / Cg) * Mg + m;
                out[size_t(((n * M + mo) * OH + oh) * OW + ow)] +=
                    double(x.f32()[((n * C + c) * H + ih) * W + iw]) *
                    double(w.f32()[((c * Mg + m) * KH + kh) * KW + kw]);
              }
  std::vector<float> result;
  for (size_t i = 0; i < out.size(); ++i)
    result.push_back(float(out[i] + bias[(i / size_t(OH * OW)) % size_t(M)]));
  return result;
}

}  // namespace

TEST_CASE("ConvTranspose is the conv of the stride-spread input with flipped weights",
          "[importer][convtranspose]") {
  auto rng = cputest::makeRng("convtranspose");
  const int64_t N = 2, C = 4, H = 3, W = 5, Mg = 3, group = 2, KH = 3, KW = 2;
  Tensor w = cputest::randomTensor({C, Mg, KH, KW}, rng);
  Tensor b = cputest::randomTensor({Mg * group}, rng);
  const std::vector<int64_t> strides{2, 3}, pads{1, 0, 2, 1}, dilations{2, 1}, outputPadding{1, 0};
  const int64_t OH =
      strides[0] * (H - 1) + outputPadding[0] + (KH - 1) * dilations[0] + 1 - pads[0] - pads[2];
  const int64_t OW =
      strides[1] * (W - 1) + outputPadding[1] + (KW - 1) * dilations[1] + 1 - pads[1] - pads[3];
  for (bool constantWeights : {true, false}) {
    INFO("constant weights: " << constantWeights);
    test::ModelBuilder mb(13);
    mb.input("x", {N, C, H, W}).output("y");
    if (constantWeights) {
      mb.initF32("w", {C, Mg, KH, KW}, values(w));
      mb.initF32("b", {Mg * group}, values(b));
    } else {
      mb.input("w", {C, Mg, KH, KW}).input("b", {Mg * group});
    }
    auto& n = mb.node("ConvTranspose", {"x", "w", "b"}, {"y"});
    auto setInts = [&n](const char* name, const std::vector<int64_t>& v) {
      auto* a = n.add_attribute();
      a->set_name(name);
      a->set_type(::onnx::AttributeProto::INTS);
      for (int64_t e : v) a->add_ints(e);
    };
    setInts("strides", strides);
    setInts("pads", pads);
    setInts("dilations", dilations);
    setInts("output_padding", outputPadding);
    test::setInt(n, "group", group);
    auto g = importOk(mb);
    REQUIRE(g->outputs[0]->type == ir::TensorType::f32({N, Mg * group, OH, OW}));
    TensorMap inputs{{"x", cputest::randomTensor({N, C, H, W}, rng)}};
    if (!constantWeights) inputs["w"] = w, inputs["b"] = b;
    TensorMap out = runBoth(*g, inputs);
    checkClose(out.at("y"),
               directConvTranspose(inputs.at("x"), w, values(b), group, strides, pads, dilations, OH, OW));
  }
}

TEST_CASE("ConvTranspose output_shape and SAME pads", "[importer][convtranspose]") {
  auto rng = cputest::makeRng("convtranspose output_shape");
  for (const char* autoPad : {"NOTSET", "SAME_UPPER", "SAME_LOWER"}) {
    INFO(autoPad);
    test::ModelBuilder mb(13);
    mb.input("x", {1, 2, 4, 3}).output("y");
    Tensor w = cputest::randomTensor({2, 3, 3, 3}, rng);
    mb.initF32("w", {2, 3, 3, 3}, values(w));
    auto& n = mb.node("ConvTranspose", {"x", "w"}, {"y"});
    auto* s = n.add_attribute();
    s->set_name("strides");
    s->set_type(::onnx::AttributeProto::INTS);
    s->add_ints(2);
    s->add_ints(2);
    test::setString(n, "auto_pad", autoPad);
    if (std::string(autoPad) == "NOTSET") {
      auto* o = n.add_attribute();
      o->set_name("output_shape");
      o->set_type(::onnx::AttributeProto::INTS);
      o->add_ints(10);
      o->add_ints(6);
    }
    auto g = importOk(mb);
    const bool same = std::string(autoPad) != "NOTSET";
    const int64_t OH = same ? 8 : 10, OW = 6;
    REQUIRE(g->outputs[0]->type == ir::TensorType::f32({1, 3, OH, OW}));
    // The natural output is 9 x 7: SAME crops one (UPPER at the end, LOWER at
    // the start); output_shape 10 x 6 (auto_pad NOTSET splits as LOWER does)
    // grows H at the end and crops W at the start.
    std::vector<int64_t> pads{0, 0};
    if (std::string(autoPad) == "SAME_LOWER") pads = {1, 1};
    if (std::string(autoPad) == "NOTSET") pads = {0, 1};
    TensorMap inputs{{"x", cputest::randomTensor({1, 2, 4, 3}, rng)}};
    TensorMap out = runBoth(*g, inputs);
    checkClose(out.at("y"),
               directConvTranspose(inputs.at("x"), w, {0, 0, 0}, 1, {2, 2}, pads, {1, 1}, OH, OW));
  }
}

TEST_CASE("1-D Conv, MaxPool and AveragePool are 2-D over a unit height", "[importer][conv1d]") {
  auto rng = cputest::makeRng("conv 1-D");
  const int64_t N = 2, C = 3, L = 11, M = 4, K = 3, stride = 2, dilation = 2, padBegin = 1, padEnd = 2;
  const int64_t OL = (L + padBegin + padEnd - dilation * (K - 1) - 1) / stride + 1;
  Tensor w = cputest::randomTensor({M, C, K}, rng);
  test::ModelBuilder mb(13);
  mb.input("x", {N, C, L}).output("y").output("p");
  mb.initF32("w", {M, C, K}, values(w));
  auto& conv = mb.node("Conv", {"x", "w"}, {"y"});
  auto setInts = [](::onnx::NodeProto& n, const char* name, const std::vector<int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INTS);
    for (int64_t e : v) a->add_ints(e);
  };
  setInts(conv, "strides", {stride});
  setInts(conv, "dilations", {dilation});
  setInts(conv, "pads", {padBegin, padEnd});
  auto& pool = mb.node("MaxPool", {"x"}, {"p"});
  setInts(pool, "kernel_shape", {3});
  setInts(pool, "strides", {2});
  auto g = importOk(mb);
  REQUIRE(g->outputs[0]->type == ir::TensorType::f32({N, M, OL}));
  REQUIRE(g->outputs[1]->type == ir::TensorType::f32({N, C, 5}));
  TensorMap inputs{{"x", cputest::randomTensor({N, C, L}, rng)}};
  TensorMap out = runBoth(*g, inputs);
  const float* x = inputs.at("x").f32();
  std::vector<float> conv1d, pool1d;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t o = 0; o < OL; ++o) {
        double acc = 0;
        for (int64_t c = 0; c < C; ++c)
          for (int64_t k = 0; k < K; ++k) {
            int64_t i = o * stride - padBegin + k * dilation;
            if (i >= 0 && i < L) acc += double(x[(n * C + c) * L + i]) * double(w.f32()[(m * C + c) * K + k]);
          }
        conv1d.push_back(float(acc));
      }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t o = 0; o < 5; ++o)
        pool1d.push_back(std::max(
            {x[(n * C + c) * L + 2 * o], x[(n * C + c) * L + 2 * o + 1], x[(n * C + c) * L + 2 * o + 2]}));
  checkClose(out.at("y"), conv1d);
  checkClose(out.at("p"), pool1d);
}

namespace {

double sigmoid(double v) {
  return 1.0 / (1.0 + std::exp(-v));
}

/// GRU (gates z, r, h) or RNN (tanh, or relu) by the ONNX equations, on
/// sequence-major X [T,B,I]; returns Y [T,D,B,H] and fills Y_h [D,B,H].
std::vector<float> directRecurrence(bool gru, bool relu, bool linearBeforeReset, const std::string& direction,
                                    const Tensor& x, const Tensor& w, const Tensor& r, const Tensor& bias,
                                    const Tensor& h0, std::vector<float>& yh) {
  const int64_t T = x.shape()[0], B = x.shape()[1], I = x.shape()[2], H = r.shape()[2];
  const int64_t D = direction == "bidirectional" ? 2 : 1, G = gru ? 3 : 1;
  std::vector<float> y(size_t(T * D * B * H));
  yh.assign(size_t(D * B * H), 0.0f);
  for (int64_t d = 0; d < D; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    const float* W = w.f32() + d * G * H * I;
    const float* R = r.f32() + d * G * H * H;
    const float* Wb = bias.f32() + d * 2 * G * H;
    const float* Rb = Wb + G * H;
    for (int64_t b = 0; b < B; ++b) {
      std::vector<double> h(static_cast<size_t>(H));
      for (int64_t j = 0; j < H; ++j) h[size_t(j)] = h0.f32()[(d * B + b) * H + j];
      for (int64_t step = 0; step < T; ++step) {
        const int64_t t = reverse ? T - 1 - step : step;
        const float* xt = x.f32() + (t * B + b) * I;
        auto xw = [&](int64_t row) {
          double acc = Wb[row];
          for (int64_t k = 0; k < I; ++k) acc += double(W[row * I + k]) * xt[k];
          return acc;
        };
        auto rh = [&](int64_t row, const std::vector<double>& v) {
          double acc = 0;
          for (int64_t k = 0; k < H; ++k) acc += double(R[row * H + k]) * v[size_t(k)];
          return acc;
        };
        std::vector<double> next(static_cast<size_t>(H));
        if (!gru) {
          for (int64_t j = 0; j < H; ++j) {
            double pre = xw(j) + rh(j, h) + Rb[j];
            next[size_t(j)] = relu ? std::max(pre, 0.0) : std::tanh(pre);
          }
        } else {
          std::vector<double> z(static_cast<size_t>(H)), rr(static_cast<size_t>(H)),
              rhProduct(static_cast<size_t>(H));
          for (int64_t j = 0; j < H; ++j) {
            z[size_t(j)] = sigmoid(xw(j) + rh(j, h) + Rb[j]);
            rr[size_t(j)] = sigmoid(xw(H + j) + rh(H + j, h) + Rb[H + j]);
            rhProduct[size_t(j)] = rr[size_t(j)] * h[size_t(j)];
          }
          for (int64_t j = 0; j < H; ++j) {
            double recurrent = linearBeforeReset ? rr[size_t(j)] * (rh(2 * H + j, h) + Rb[2 * H + j])
                                                 : rh(2 * H + j, rhProduct) + Rb[2 * H + j];
            double candidate = std::tanh(xw(2 * H + j) + recurrent);
            next[size_t(j)] = (1 - z[size_t(j)]) * candidate + z[size_t(j)] * h[size_t(j)];
          }
        }
        h = next;
        for (int64_t j = 0; j < H; ++j) y[size_t(((t * D + d) * B + b) * H + j)] = float(h[size_t(j)]);
      }
      for (int64_t j = 0; j < H; ++j) yh[size_t((d * B + b) * H + j)] = float(h[size_t(j)]);
    }
  }
  return y;
}

}  // namespace

TEST_CASE("GRU and RNN unroll to the ONNX equations, every direction and both layouts", "[importer][gru]") {
  auto rng = cputest::makeRng("gru rnn unrolled");
  const int64_t T = 4, B = 2, I = 3, H = 5;
  struct Case {
    const char* op;
    const char* direction;
    int64_t layout;
    int64_t linearBeforeReset;
    const char* activation;  // RNN only; "" = default
  };
  for (Case c : {Case{"GRU", "forward", 0, 0, ""}, Case{"GRU", "bidirectional", 0, 1, ""},
                 Case{"GRU", "reverse", 1, 0, ""}, Case{"RNN", "bidirectional", 1, 0, ""},
                 Case{"RNN", "reverse", 0, 0, "Relu"}}) {
    const bool gru = std::string(c.op) == "GRU";
    const int64_t D = std::string(c.direction) == "bidirectional" ? 2 : 1, G = gru ? 3 : 1;
    INFO(c.op << " " << c.direction << " layout " << c.layout << " linear_before_reset "
              << c.linearBeforeReset);
    Tensor w = cputest::randomTensor({D, G * H, I}, rng, -0.7f, 0.7f);
    Tensor r = cputest::randomTensor({D, G * H, H}, rng, -0.7f, 0.7f);
    Tensor bias = cputest::randomTensor({D, 2 * G * H}, rng, -0.5f, 0.5f);
    Tensor h0 = cputest::randomTensor({D, B, H}, rng);
    Tensor x = cputest::randomTensor({T, B, I}, rng);
    auto batchMajor = [](const Tensor& t) {  // [A,B,C] -> [B,A,C]
      Tensor out(ElementType::F32, {t.shape()[1], t.shape()[0], t.shape()[2]});
      for (int64_t a = 0; a < t.shape()[0]; ++a)
        for (int64_t b = 0; b < t.shape()[1]; ++b)
          for (int64_t k = 0; k < t.shape()[2]; ++k)
            out.f32()[(b * t.shape()[0] + a) * t.shape()[2] + k] =
                t.f32()[(a * t.shape()[1] + b) * t.shape()[2] + k];
      return out;
    };
    test::ModelBuilder mb(14);
    const bool batchFirst = c.layout == 1;
    mb.input("x", batchFirst ? std::vector<int64_t>{B, T, I} : std::vector<int64_t>{T, B, I});
    mb.input("h0", batchFirst ? std::vector<int64_t>{B, D, H} : std::vector<int64_t>{D, B, H});
    mb.output("y").output("yh");
    mb.initF32("w", {D, G * H, I}, values(w));
    mb.initF32("r", {D, G * H, H}, values(r));
    mb.initF32("b", {D, 2 * G * H}, values(bias));
    auto& n = mb.node(c.op, {"x", "w", "r", "b", "", "h0"}, {"y", "yh"});
    test::setInt(n, "hidden_size", H);
    test::setString(n, "direction", c.direction);
    if (batchFirst) test::setInt(n, "layout", 1);
    if (gru) test::setInt(n, "linear_before_reset", c.linearBeforeReset);
    if (*c.activation) {
      auto* a = n.add_attribute();
      a->set_name("activations");
      a->set_type(::onnx::AttributeProto::STRINGS);
      for (int64_t d = 0; d < D; ++d) a->add_strings(c.activation);
    }
    auto g = importOk(mb);
    TensorMap inputs{{"x", batchFirst ? batchMajor(x) : x}, {"h0", batchFirst ? batchMajor(h0) : h0}};
    TensorMap out = runBoth(*g, inputs);
    std::vector<float> yh;
    std::vector<float> y = directRecurrence(gru, *c.activation != 0, c.linearBeforeReset != 0, c.direction, x,
                                            w, r, bias, h0, yh);
    if (batchFirst) {
      // Y [T,D,B,H] -> [B,T,D,H]; Y_h [D,B,H] -> [B,D,H].
      std::vector<float> yb(y.size()), yhb(yh.size());
      for (int64_t t = 0; t < T; ++t)
        for (int64_t d = 0; d < D; ++d)
          for (int64_t b = 0; b < B; ++b)
            for (int64_t j = 0; j < H; ++j)
              yb[size_t(((b * T + t) * D + d) * H + j)] = y[size_t(((t * D + d) * B + b) * H + j)];
      for (int64_t d = 0; d < D; ++d)
        for (int64_t b = 0; b < B; ++b)
          for (int64_t j = 0; j < H; ++j) yhb[size_t((b * D + d) * H + j)] = yh[size_t((d * B + b) * H + j)];
      y = yb, yh = yhb;
    }
    checkClose(out.at("y"), y);
    checkClose(out.at("yh"), yh);
  }
}

TEST_CASE("GRU with only Y_h and no bias or initial state; sequence_lens shorter than T is declined",
          "[importer][gru]") {
  const int64_t T = 3, B = 1, I = 2, H = 2;
  test::ModelBuilder mb(14);
  mb.input("x", {T, B, I}).output("yh");
  mb.initF32("w", {1, 3 * H, I}, std::vector<float>(size_t(3 * H * I), 0.25f));
  mb.initF32("r", {1, 3 * H, H}, std::vector<float>(size_t(3 * H * H), -0.5f));
  mb.node("GRU", {"x", "w", "r"}, {"", "yh"});
  auto g = importOk(mb);
  auto rng = cputest::makeRng("gru Y_h only");
  TensorMap inputs{{"x", cputest::randomTensor({T, B, I}, rng)}};
  TensorMap out = runBoth(*g, inputs);
  std::vector<float> yh;
  Tensor zeros(ElementType::F32, {1, 2 * 3 * H}), h0(ElementType::F32, {1, B, H});
  for (int64_t i = 0; i < zeros.numElements(); ++i) zeros.f32()[i] = 0.0f;
  for (int64_t i = 0; i < h0.numElements(); ++i) h0.f32()[i] = 0.0f;
  Tensor w(ElementType::F32, {1, 3 * H, I}), r(ElementType::F32, {1, 3 * H, H});
  for (int64_t i = 0; i < w.numElements(); ++i) w.f32()[i] = 0.25f;
  for (int64_t i = 0; i < r.numElements(); ++i) r.f32()[i] = -0.5f;
  directRecurrence(true, false, false, "forward", inputs.at("x"), w, r, zeros, h0, yh);
  checkClose(out.at("yh"), yh);

  test::ModelBuilder short_(14);
  short_.input("x", {T, B, I}).output("yh");
  short_.initF32("w", {1, 3 * H, I}, std::vector<float>(size_t(3 * H * I), 0.25f));
  short_.initF32("r", {1, 3 * H, H}, std::vector<float>(size_t(3 * H * H), -0.5f));
  short_.initI64("lens", {B}, {T - 1});
  short_.node("GRU", {"x", "w", "r", "", "lens"}, {"", "yh"});
  auto declined = short_.import();
  REQUIRE_FALSE(declined);
  CHECK_THAT(declined.message(), Catch::Contains("sequence_lens value 2 differs from the sequence length 3"));
}

TEST_CASE("LSTM layout 1 is layout 0 on transposed inputs and outputs", "[importer][lstm]") {
  auto rng = cputest::makeRng("lstm layout 1");
  const int64_t T = 3, B = 2, I = 4, H = 3;
  Tensor w = cputest::randomTensor({1, 4 * H, I}, rng, -0.5f, 0.5f);
  Tensor r = cputest::randomTensor({1, 4 * H, H}, rng, -0.5f, 0.5f);
  auto model = [&](int64_t layout) {
    test::ModelBuilder mb(14);
    mb.input("x", layout ? std::vector<int64_t>{B, T, I} : std::vector<int64_t>{T, B, I});
    mb.input("h0", layout ? std::vector<int64_t>{B, 1, H} : std::vector<int64_t>{1, B, H});
    mb.output("y").output("yh");
    mb.initF32("w", {1, 4 * H, I}, values(w));
    mb.initF32("r", {1, 4 * H, H}, values(r));
    auto& n = mb.node("LSTM", {"x", "w", "r", "", "", "h0"}, {"y", "yh"});
    test::setInt(n, "hidden_size", H);
    if (layout) test::setInt(n, "layout", 1);
    return importOk(mb);
  };
  Tensor x = cputest::randomTensor({T, B, I}, rng), h0 = cputest::randomTensor({1, B, H}, rng);
  Tensor xb(ElementType::F32, {B, T, I}), h0b(ElementType::F32, {B, 1, H});
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < I; ++k) xb.f32()[(b * T + t) * I + k] = x.f32()[(t * B + b) * I + k];
  for (int64_t i = 0; i < B * H; ++i) h0b.f32()[i] = h0.f32()[i];  // [1,B,H] and [B,1,H]: the same order
  TensorMap seq = runBoth(*model(0), {{"x", x}, {"h0", h0}});
  TensorMap batch = runBoth(*model(1), {{"x", xb}, {"h0", h0b}});
  // Y [T,1,B,H] against [B,T,1,H]; Y_h [1,B,H] and [B,1,H] share their order.
  std::vector<float> want;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < H; ++j) want.push_back(seq.at("y").f32()[(t * B + b) * H + j]);
  checkClose(batch.at("y"), want);
  checkClose(batch.at("yh"), values(seq.at("yh")));
}

namespace {

void setInts(::onnx::NodeProto& n, const char* name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (int64_t e : v) a->add_ints(e);
}

}  // namespace

TEST_CASE("3-D Conv gathers depth taps into channels of a 2-D conv", "[importer][conv3d]") {
  auto rng = cputest::makeRng("conv 3-D");
  const int64_t N = 2, C = 4, D = 6, H = 5, W = 4, K = 6, group = 2, KD = 2, KH = 3, KW = 2;
  const std::vector<int64_t> strides{2, 1, 2}, dilations{2, 1, 1}, pads{1, 1, 0, 2, 1, 1};
  auto outSize = [&](int64_t in, size_t a, int64_t k) {
    return (in + pads[a] + pads[a + 3] - dilations[a] * (k - 1) - 1) / strides[a] + 1;
  };
  const int64_t OD = outSize(D, 0, KD), OH = outSize(H, 1, KH), OW = outSize(W, 2, KW);
  Tensor w = cputest::randomTensor({K, C / group, KD, KH, KW}, rng);
  Tensor b = cputest::randomTensor({K}, rng);
  test::ModelBuilder mb(13);
  mb.input("x", {N, C, D, H, W}).output("y");
  mb.initF32("w", {K, C / group, KD, KH, KW}, values(w));
  mb.initF32("b", {K}, values(b));
  auto& n = mb.node("Conv", {"x", "w", "b"}, {"y"});
  setInts(n, "strides", strides);
  setInts(n, "dilations", dilations);
  setInts(n, "pads", pads);
  test::setInt(n, "group", group);
  auto g = importOk(mb);
  REQUIRE(g->outputs[0]->type == ir::TensorType::f32({N, K, OD, OH, OW}));
  TensorMap inputs{{"x", cputest::randomTensor({N, C, D, H, W}, rng)}};
  TensorMap out = runBoth(*g, inputs);
  const float* x = inputs.at("x").f32();
  const int64_t Cg = C / group, Kg = K / group;
  std::vector<float> want;
  for (int64_t nn = 0; nn < N; ++nn)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t od = 0; od < OD; ++od)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double acc = b.f32()[k];
            for (int64_t c = 0; c < Cg; ++c)
              for (int64_t a = 0; a < KD; ++a)
                for (int64_t r = 0; r < KH; ++r)
                  for (int64_t q = 0; q < KW; ++q) {
                    int64_t id = od * strides[0] - pads[0] + a * dilations[0];
                    int64_t ih = oh * strides[1] - pads[1] + r * dilations[1];
                    int64_t iw = ow * strides[2] - pads[2] + q * dilations[2];
                    if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    int64_t ci = (k / Kg) * Cg + c;
                    acc += double(x[(((nn * C + ci) * D + id) * H + ih) * W + iw]) *
                           double(w.f32()[(((k * Cg + c) * KD + a) * KH + r) * KW + q]);
                  }
            want.push_back(float(acc));
          }
  checkClose(out.at("y"), want);
}

TEST_CASE("3-D MaxPool and AveragePool pool (H, W), then depth", "[importer][conv3d]") {
  auto rng = cputest::makeRng("pool 3-D");
  const int64_t N = 1, C = 2, D = 5, H = 4, W = 6;
  const std::vector<int64_t> kernel{2, 3, 2}, strides{2, 1, 2}, pads{1, 1, 0, 0, 1, 1};
  for (const char* op : {"MaxPool", "AveragePool"})
    for (int64_t includePad : {0, 1}) {
      const bool isMax = std::string(op) == "MaxPool";
      if (isMax && includePad) continue;
      INFO(op << " count_include_pad " << includePad);
      test::ModelBuilder mb(13);
      mb.input("x", {N, C, D, H, W}).output("y");
      auto& n = mb.node(op, {"x"}, {"y"});
      setInts(n, "kernel_shape", kernel);
      setInts(n, "strides", strides);
      setInts(n, "pads", pads);
      if (!isMax) test::setInt(n, "count_include_pad", includePad);
      auto g = importOk(mb);
      std::vector<int64_t> in{D, H, W}, outDims;
      for (size_t a = 0; a < 3; ++a)
        outDims.push_back((in[a] + pads[a] + pads[a + 3] - kernel[a]) / strides[a] + 1);
      REQUIRE(g->outputs[0]->type == ir::TensorType::f32({N, C, outDims[0], outDims[1], outDims[2]}));
      TensorMap inputs{{"x", cputest::randomTensor({N, C, D, H, W}, rng)}};
      TensorMap out = runBoth(*g, inputs);
      const float* x = inputs.at("x").f32();
      std::vector<float> want;
      for (int64_t c = 0; c < N * C; ++c)
        for (int64_t od = 0; od < outDims[0]; ++od)
          for (int64_t oh = 0; oh < outDims[1]; ++oh)
            for (int64_t ow = 0; ow < outDims[2]; ++ow) {
              double best = -INFINITY, sum = 0;
              int64_t count = 0;
              for (int64_t a = 0; a < kernel[0]; ++a)
                for (int64_t r = 0; r < kernel[1]; ++r)
                  for (int64_t q = 0; q < kernel[2]; ++q) {
                    int64_t id = od * strides[0] - pads[0] + a, ih = oh * strides[1] - pads[1] + r,
                            iw = ow * strides[2] - pads[2] + q;
                    if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) {
                      count += includePad;  // no ceil_mode: every window lies within the pads
                      continue;
                    }
                    double v = x[((c * D + id) * H + ih) * W + iw];
                    best = std::max(best, v);
                    sum += v;
                    ++count;
                  }
              want.push_back(float(isMax ? best : sum / double(count)));
            }
      checkClose(out.at("y"), want);
    }
}

TEST_CASE("lowerings refuse sizes that would build huge tables or graphs", "[importer][limits]") {
  SECTION("Resize to a 2^30-wide axis") {
    test::ModelBuilder mb =
        resizeModel({1, 1, 1, 4}, "linear", "half_pixel", {}, {1, 1, 1, int64_t(1) << 30});
    auto g = mb.import();
    REQUIRE_FALSE(g);
    CHECK_THAT(g.message(), Catch::Contains("weight table would have"));
  }
  SECTION("GRU over 5000 steps") {
    test::ModelBuilder mb(14);
    mb.input("x", {5000, 1, 2}).output("yh");
    mb.initF32("w", {1, 6, 2}, std::vector<float>(12, 0.1f));
    mb.initF32("r", {1, 6, 2}, std::vector<float>(12, 0.1f));
    mb.node("GRU", {"x", "w", "r"}, {"", "yh"});
    auto g = mb.import();
    REQUIRE_FALSE(g);
    CHECK_THAT(g.message(), Catch::Contains("5000 time steps") && Catch::Contains("at most 4096"));
  }
}
