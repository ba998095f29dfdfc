// max_pool2d / avg_pool2d (one thread per output, the reference's window
// rules: padding is -inf for max and skipped or counted for avg) and the
// global pools (one thread per image and channel).
#include "backends/cuda/KernelSource.h"
#include "ir/OpViews.h"

namespace nutshell::cuda {

namespace {
std::string ll(int64_t v) {
  return std::to_string(v) + "LL";
}
}  // namespace

Expected<KernelSource> emitPool2d(const ir::Node& node) {
  NUTSHELL_ASSIGN(ir::PoolGeometry p, ir::poolGeometry(node));
  const std::vector<int64_t> in = node.operands[0]->type.shape(), out = node.results[0]->type.shape();
  if (in.size() != 4) return noKernel(node, "not 4-D");
  const int64_t H = in[2], W = in[3], OH = out[2], OW = out[3];
  const int64_t total = node.results[0]->type.numElements();
  KernelSource k;
  std::string b = "  " + gridStrideLoop("i", total) + " {\n";
  b += "    const long long ow = i % " + ll(OW) + ", oh = (i / " + ll(OW) + ") % " + ll(OH) + ", nc = i / " +
       ll(OH * OW) + ";\n";
  b += "    const float* plane = x0 + nc * " + ll(H * W) + ";\n";
  b += p.isMax ? "    float best = -__int_as_float(0x7f800000);\n"
               : "    float sum = 0.0f;\n    int valid = 0, padded = 0;\n";
  b += "    for (int r = 0; r < " + std::to_string(p.kernelH) + "; ++r) {\n";
  b += "      const long long ih = oh * " + ll(p.strideH) + " - " + ll(p.padTop) + " + r * " +
       ll(p.dilationH) + ";\n";
  if (!p.isMax)
    b += "      const bool rowInPad = ih >= -" + ll(p.padTop) + " && ih < " + ll(H + p.padBottom) + ";\n";
  b += "      for (int s = 0; s < " + std::to_string(p.kernelW) + "; ++s) {\n";
  b += "        const long long iw = ow * " + ll(p.strideW) + " - " + ll(p.padLeft) + " + s * " +
       ll(p.dilationW) + ";\n";
  if (!p.isMax)
    b += "        if (rowInPad && iw >= -" + ll(p.padLeft) + " && iw < " + ll(W + p.padRight) +
         ") ++padded;\n";
  b += "        if (ih < 0 || ih >= " + ll(H) + " || iw < 0 || iw >= " + ll(W) + ") continue;\n";
  b += "        const float v = plane[ih * " + ll(W) + " + iw];\n";
  b += p.isMax ? "        if (v > best || v != v) best = (best != best) ? best : v;\n"
               : "        sum += v;\n        ++valid;\n";
  b += "      }\n    }\n";
  if (p.isMax) {
    b += "    y0[i] = best;\n";
  } else {
    std::string count = p.countIncludePad ? "padded" : "valid";
    b += "    y0[i] = " + count + " == 0 ? 0.0f : sum / (float)" + count + ";\n";
  }
  k.body = b + "  }\n";
  launchElementwise(k, total);
  k.summary = std::string(p.isMax ? "max" : "avg") + " pool " + std::to_string(p.kernelH) + "x" +
              std::to_string(p.kernelW);
  return k;
}

Expected<KernelSource> emitGlobalPool(const ir::Node& node) {
  const std::vector<int64_t> in = node.operands[0]->type.shape();
  if (in.size() < 2) return noKernel(node, "rank below 2");
  int64_t spatial = 1;
  for (size_t d = 2; d < in.size(); ++d) spatial *= in[d];
  const bool isMax = node.op == ir::OpKind::GlobalMaxPool;
  const int64_t total = in[0] * in[1];
  KernelSource k;
  std::string b =
      "  " + gridStrideLoop("i", total) + " {\n    const float* plane = x0 + i * " + ll(spatial) + ";\n";
  b += isMax ? "    float acc = -__int_as_float(0x7f800000);\n" : "    float acc = 0.0f;\n";
  b += "    for (long long j = 0; j < " + ll(spatial) + "; ++j) ";
  b += isMax ? "acc = acc != acc ? acc : ((plane[j] > acc || plane[j] != plane[j]) ? plane[j] : acc);\n"
             : "acc += plane[j];\n";
  b += isMax ? "    y0[i] = acc;\n  }\n" : "    y0[i] = acc / " + floatLiteral(double(spatial)) + ";\n  }\n";
  k.body = b;
  launchElementwise(k, total);
  k.summary = std::string(isMax ? "global max" : "global avg") + " pool";
  return k;
}

}  // namespace nutshell::cuda
