// lstm with ONNX semantics:
//   i = sigmoid(Wi x + Ri h + Pi*c + Wbi + Rbi)
//   f = sigmoid(Wf x + Rf h + Pf*c + Wbf + Rbf)      (input_forget: f = 1 - i)
//   g = tanh(Wc x + Rc h + Wbc + Rbc)
//   c' = f*c + i*g
//   o = sigmoid(Wo x + Ro h + Po*c' + Wbo + Rbo)
//   h' = o * tanh(c')
// Gate blocks in W, R and each half of B are ordered i, o, f, c; P holds
// i, o, f. `clip` bounds every gate's pre-activation. The reverse direction
// walks t from T-1 down to 0 and writes Y at the same t.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

namespace {

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

struct LstmShapes {
  int64_t T, B, I, H, D;
};

Status checkLstmShapes(const ir::Node& node, const Operands& ops, LstmShapes& s) {
  for (size_t i = 0; i < ops.size(); ++i) NUTSHELL_TRY(requireF32(node, ops, i, i == 0 ? "X" : "parameter"));
  const Tensor& x = *ops[0];
  if (x.rank() != 3) return nodeError(node, fmt::format("X must be [T,B,I], got {}", x.typeString()));
  s.T = x.shape()[0];
  s.B = x.shape()[1];
  s.I = x.shape()[2];
  s.H = node.getInt("hidden_size");
  const std::string& direction = node.getString("direction");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return nodeError(node, fmt::format("direction must be forward|reverse|bidirectional, got '{}'", direction));
  s.D = direction == "bidirectional" ? 2 : 1;
  const int64_t H = s.H, D = s.D;
  struct Expect {
    size_t index;
    const char* name;
    std::vector<int64_t> shape;
  };
  std::vector<Expect> expects = {{1, "W", {D, 4 * H, s.I}}, {2, "R", {D, 4 * H, H}}, {3, "B", {D, 8 * H}},
                                 {4, "initial_h", {D, s.B, H}}, {5, "initial_c", {D, s.B, H}}};
  if (ops.size() > 6) expects.push_back({6, "P", {D, 3 * H}});
  for (const Expect& e : expects)
    if (ops[e.index]->shape() != e.shape)
      return nodeError(node, fmt::format("{} must be f32{} for X {} and hidden_size={}, got {}", e.name,
                                         shapeString(e.shape), x.typeString(), H, ops[e.index]->typeString()));
  return Status::success();
}

}  // namespace

Results runLstm(const ir::Node& node, const Operands& ops) {
  LstmShapes s{};
  NUTSHELL_TRY(checkLstmShapes(node, ops, s));
  const int64_t T = s.T, B = s.B, I = s.I, H = s.H, D = s.D;
  const double clip = node.getFloat("clip");
  const bool inputForget = node.getInt("input_forget") != 0;
  const bool reverseOnly = node.getString("direction") == "reverse";
  NUTSHELL_ASSIGN(Tensor y, makeTensor(node, ElementType::F32, {T, D, B, H}));
  Tensor yh(ElementType::F32, {D, B, H});
  Tensor yc(ElementType::F32, {D, B, H});
  const float* X = ops[0]->f32();
  auto bound = [&](double v) { return clip > 0.0 ? std::clamp(v, -clip, clip) : v; };

  for (int64_t dir = 0; dir < D; ++dir) {
    const bool reverse = reverseOnly || dir == 1;
    const float* W = ops[1]->f32() + dir * 4 * H * I;
    const float* R = ops[2]->f32() + dir * 4 * H * H;
    const float* Wb = ops[3]->f32() + dir * 8 * H;
    const float* Rb = Wb + 4 * H;
    const float* P = ops.size() > 6 ? ops[6]->f32() + dir * 3 * H : nullptr;
    // State is kept in f32, as every backend stores it between steps.
    std::vector<float> h(ops[4]->f32() + dir * B * H, ops[4]->f32() + (dir + 1) * B * H);
    std::vector<float> c(ops[5]->f32() + dir * B * H, ops[5]->f32() + (dir + 1) * B * H);
    std::vector<double> gates(size_t(4 * H));
    for (int64_t step = 0; step < T; ++step) {
      const int64_t t = reverse ? T - 1 - step : step;
      std::vector<float> hNext(h.size()), cNext(c.size());
      for (int64_t b = 0; b < B; ++b) {
        const float* xt = X + (t * B + b) * I;
        const float* hPrev = h.data() + b * H;
        // Pre-activations of all 4H gate rows: W x + R h + Wb + Rb.
        for (int64_t row = 0; row < 4 * H; ++row) {
          double acc = double(Wb[row]) + double(Rb[row]);
          for (int64_t k = 0; k < I; ++k) acc += double(W[row * I + k]) * double(xt[k]);
          for (int64_t k = 0; k < H; ++k) acc += double(R[row * H + k]) * double(hPrev[k]);
          gates[row] = acc;
        }
        for (int64_t j = 0; j < H; ++j) {
          const double cPrev = c[b * H + j];
          const double pi = P ? P[j] : 0.0, po = P ? P[H + j] : 0.0, pf = P ? P[2 * H + j] : 0.0;
          const double i = sigmoid(bound(gates[j] + pi * cPrev));
          const double f = inputForget ? 1.0 - i : sigmoid(bound(gates[2 * H + j] + pf * cPrev));
          const double g = std::tanh(bound(gates[3 * H + j]));
          const float cNew = float(f * cPrev + i * g);
          const double o = sigmoid(bound(gates[H + j] + po * double(cNew)));
          const float hNew = float(o * std::tanh(double(cNew)));
          cNext[b * H + j] = cNew;
          hNext[b * H + j] = hNew;
          y.f32()[((t * D + dir) * B + b) * H + j] = hNew;
        }
      }
      h.swap(hNext);
      c.swap(cNext);
    }
    std::copy(h.begin(), h.end(), yh.f32() + dir * B * H);
    std::copy(c.begin(), c.end(), yc.f32() + dir * B * H);
  }
  std::vector<Tensor> results;
  results.push_back(std::move(y));
  results.push_back(std::move(yh));
  results.push_back(std::move(yc));
  return results;
}

}  // namespace nutshell::reference
