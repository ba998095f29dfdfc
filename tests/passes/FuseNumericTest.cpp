// fuse and select-conv-algo keep outputs: the reference interpreter runs each
// graph before and after the passes on random inputs. Covers the rewrites the
// test models do not exercise (bias adds folded into the bias, leaky_relu and
// clip params, padded pools, elementwise chains with swapped operands, maxout
// from fused_dense, concat offsets out of graph order).
#include <random>
#include <regex>
#include <sstream>

#include "PassTestUtil.h"

using namespace nutshell;
using namespace nutshell::passes::testing;

namespace {

/// Replace every `const f32[D0,D1,...] random` payload by inline
/// deterministic pseudo-random values in [-1, 1).
std::string withRandomConstants(const std::string& text) {
  static const std::regex pattern(R"(const f32\[([0-9,]+)\] random)");
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), pattern);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& match = *it;
    int64_t count = 1;
    std::stringstream dims(match[1].str());
    for (std::string dim; std::getline(dims, dim, ',');) count *= std::stoll(dim);
    std::string values;
    for (int64_t i = 0; i < count; ++i) values += (i ? "," : "") + ir::formatFloat32(uniform(rng));
    out += text.substr(last, size_t(match.position(0)) - last);
    out += "const f32[" + match[1].str() + "] dense<[" + values + "]>";
    last = size_t(match.position(0) + match.length(0));
  }
  return out + text.substr(last);
}

void check(const std::string& text, const std::string& what, size_t expectedFusedNodes) {
  auto graph = parse(withRandomConstants(text));
  requireSameOutputs(*graph, "fuse,select-conv-algo", what);
  auto after = optimized(*graph, "fuse");
  size_t fused = 0;
  for (const auto& node : after->nodes()) fused += node->info().has(ir::Trait::Fused);
  INFO(ir::printGraph(*after));
  CHECK(fused == expectedFusedNodes);
}

}  // namespace

TEST_CASE("fused convolutions compute the unfused result", "[fuse][numeric]") {
  check(R"(
graph @g(%x: f32[2,3,9,9]) -> (f32[2,4,5,5], f32[2,4,7,7]) {
  %w = const f32[4,3,3,3] random
  %b = const f32[4] random
  %k = const f32[4,1,1] random
  %c = conv2d(%x, %w, %b) {pads=[1,1,1,1]} : f32[2,4,9,9]
  %a = add(%k, %c) : f32[2,4,9,9]
  %l = leaky_relu(%a) {alpha=0.1} : f32[2,4,9,9]
  %p = avg_pool2d(%l) {kernel=[3,3], strides=[2,2], pads=[1,1,1,1]} : f32[2,4,5,5]
  %c2 = conv2d(%x, %w) : f32[2,4,7,7]
  %q = clip(%c2) {min=-0.25, max=0.5} : f32[2,4,7,7]
  return %p, %q
}
)",
        "conv epilogues", 2);
}

TEST_CASE("max pool with padding and stride fused into the conv", "[fuse][numeric]") {
  check(R"(
graph @g(%x: f32[1,2,10,10]) -> (f32[1,3,4,4]) {
  %w = const f32[3,2,3,3] random
  %c = conv2d(%x, %w) : f32[1,3,8,8]
  %s = sigmoid(%c) : f32[1,3,8,8]
  %p = max_pool2d(%s) {kernel=[3,3], strides=[2,2], pads=[1,1,0,0]} : f32[1,3,4,4]
  return %p
}
)",
        "conv + sigmoid + padded max pool", 1);
}

TEST_CASE("dense, maxout and elementwise chains compute the unfused result", "[fuse][numeric]") {
  check(R"(
graph @g(%x: f32[3,6], %y: f32[3,4], %z: f32[4]) -> (f32[3,4], f32[3,2]) {
  %w = const f32[6,4] random
  %b = const f32[1,4] random
  %d = dense(%x, %w) : f32[3,4]
  %a = add(%d, %b) : f32[3,4]
  %t = tanh(%a) : f32[3,4]
  %m = mul(%y, %t) : f32[3,4]
  %s = sub(%m, %z) : f32[3,4]
  %e = exp(%s) : f32[3,4]
  %w2 = const f32[6,6] random
  %b2 = const f32[6] random
  %d2 = dense(%x, %w2) : f32[3,6]
  %a2 = add(%d2, %b2) : f32[3,6]
  %r = reshape(%a2) {shape=[3,2,3]} : f32[3,2,3]
  %o = reduce_max(%r) {axes=[2], keepdims=0} : f32[3,2]
  return %e, %o
}
)",
        "dense + maxout + chain", 3);
}

TEST_CASE("concat elimination writes every branch at its offset", "[fuse][numeric]") {
  check(R"(
graph @g(%x: f32[2,4,6,6]) -> (f32[2,9,3,3]) {
  %w1 = const f32[2,4,1,1] random
  %w2 = const f32[3,4,3,3] random
  %w3 = const f32[4,4,1,1] random
  %c1 = conv2d(%x, %w1) : f32[2,2,6,6]
  %p1 = max_pool2d(%c1) {kernel=[2,2], strides=[2,2]} : f32[2,2,3,3]
  %c2 = conv2d(%x, %w2) {pads=[1,1,1,1]} : f32[2,3,6,6]
  %r2 = relu(%c2) : f32[2,3,6,6]
  %p2 = avg_pool2d(%r2) {kernel=[2,2], strides=[2,2]} : f32[2,3,3,3]
  %c3 = conv2d(%x, %w3) {strides=[2,2]} : f32[2,4,3,3]
  %r3 = relu(%c3) : f32[2,4,3,3]
  %y = concat(%r3, %p1, %p2) {axis=1} : f32[2,9,3,3]
  return %y
}
)",
        "concat elimination", 3);
}
