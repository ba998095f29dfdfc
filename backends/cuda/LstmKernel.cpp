// lstm: one block per (direction, batch row) runs the whole sequence. The
// hidden and cell states live in shared memory (double-buffered h, so a
// step reads the previous h while writing the next); each thread computes
// the four gate rows of its hidden units (x·W + h·R + biases) and the cell
// update, ONNX's gate order i, o, f, c and the reference's clip and peepholes.
#include <algorithm>

#include "backends/cuda/KernelSource.h"

namespace nutshell::cuda {

namespace {
std::string ll(int64_t v) {
  return std::to_string(v) + "LL";
}
}  // namespace

Expected<KernelSource> emitLstm(const ir::Node& node) {
  const std::vector<int64_t> x = node.operands[0]->type.shape();
  if (x.size() != 3) return noKernel(node, "X not [T,B,I]");
  const int64_t T = x[0], B = x[1], I = x[2], H = node.getInt("hidden_size");
  const std::string direction = node.getString("direction");
  const int64_t D = direction == "bidirectional" ? 2 : 1;
  const bool reverseOnly = direction == "reverse";
  const double clip = node.getFloat("clip");
  const bool inputForget = node.getInt("input_forget") != 0;
  const bool peepholes = node.operands.size() > 6;
  if (3 * H * 4 > 40 * 1024) return noKernel(node, "hidden_size too large for shared-memory state");
  const int64_t threads = std::min<int64_t>(256, (H + 31) / 32 * 32);
  auto bound = [&](const std::string& v) {
    return clip > 0.0 ? "fminf(fmaxf(" + v + ", -" + floatLiteral(clip) + "), " + floatLiteral(clip) + ")"
                      : v;
  };
  KernelSource k;
  k.syncs = true;
  k.block[0] = unsigned(threads);
  k.grid[0] = unsigned(B);
  k.grid[1] = unsigned(D);
  std::string b;
  b += "  __shared__ float hs[2][" + std::to_string(H) + "];\n  __shared__ float cs[" + std::to_string(H) +
       "];\n";
  b += "  const long long bIdx = blockIdx.x, dir = blockIdx.y;\n";
  b += "  const bool reverse = " + std::string(reverseOnly ? "true" : "dir == 1") + ";\n";
  b += "  const float* W = x1 + dir * " + ll(4 * H * I) + ";\n";
  b += "  const float* R = x2 + dir * " + ll(4 * H * H) + ";\n";
  b += "  const float* Wb = x3 + dir * " + ll(8 * H) + ";\n  const float* Rb = Wb + " + ll(4 * H) + ";\n";
  if (peepholes) b += "  const float* P = x6 + dir * " + ll(3 * H) + ";\n";
  b += "  for (long long j = threadIdx.x; j < " + ll(H) + "; j += blockDim.x) {\n";
  b += "    hs[0][j] = x4[(dir * " + ll(B) + " + bIdx) * " + ll(H) + " + j];\n";
  b += "    cs[j] = x5[(dir * " + ll(B) + " + bIdx) * " + ll(H) + " + j];\n  }\n";
  b += "  int cur = 0;\n  __syncthreads();\n";
  b += "  for (long long step = 0; step < " + ll(T) + "; ++step) {\n";
  b += "    const long long t = reverse ? " + ll(T - 1) + " - step : step;\n";
  b += "    const float* xt = x0 + (t * " + ll(B) + " + bIdx) * " + ll(I) + ";\n";
  b += "    for (long long j = threadIdx.x; j < " + ll(H) + "; j += blockDim.x) {\n";
  b += "      float gate[4];\n";
  b += "      for (int q = 0; q < 4; ++q) {\n";
  b += "        const long long row = q * " + ll(H) + " + j;\n";
  b += "        float acc = Wb[row] + Rb[row];\n";
  b += "        for (long long kk = 0; kk < " + ll(I) + "; ++kk) acc += W[row * " + ll(I) +
       " + kk] * xt[kk];\n";
  b += "        for (long long kk = 0; kk < " + ll(H) + "; ++kk) acc += R[row * " + ll(H) +
       " + kk] * hs[cur][kk];\n";
  b += "        gate[q] = acc;\n      }\n";
  b += "      const float cPrev = cs[j];\n";
  std::string pi = peepholes ? "P[j]" : "0.0f", po = peepholes ? "P[" + ll(H) + " + j]" : "0.0f",
              pf = peepholes ? "P[" + ll(2 * H) + " + j]" : "0.0f";
  b += "      const float gi = " + bound("gate[0] + " + pi + " * cPrev") + ";\n";
  b += "      const float i = 1.0f / (1.0f + expf(-gi));\n";
  if (inputForget) {
    b += "      const float f = 1.0f - i;\n";
  } else {
    b += "      const float gf = " + bound("gate[2] + " + pf + " * cPrev") + ";\n";
    b += "      const float f = 1.0f / (1.0f + expf(-gf));\n";
  }
  b += "      const float g = tanhf(" + bound("gate[3]") + ");\n";
  b += "      const float cNew = f * cPrev + i * g;\n";
  b += "      const float go = " + bound("gate[1] + " + po + " * cNew") + ";\n";
  b += "      const float o = 1.0f / (1.0f + expf(-go));\n";
  b += "      const float hNew = o * tanhf(cNew);\n";
  b += "      hs[1 - cur][j] = hNew;\n      cs[j] = cNew;\n";
  b += "      y0[((t * " + ll(D) + " + dir) * " + ll(B) + " + bIdx) * " + ll(H) + " + j] = hNew;\n    }\n";
  b += "    cur = 1 - cur;\n    __syncthreads();\n  }\n";
  b += "  for (long long j = threadIdx.x; j < " + ll(H) + "; j += blockDim.x) {\n";
  b += "    y1[(dir * " + ll(B) + " + bIdx) * " + ll(H) + " + j] = hs[cur][j];\n";
  b += "    y2[(dir * " + ll(B) + " + bIdx) * " + ll(H) + " + j] = cs[j];\n  }\n";
  k.body = b;
  k.summary = "lstm, one block per direction and batch row, state in shared memory";
  return k;
}

}  // namespace nutshell::cuda
