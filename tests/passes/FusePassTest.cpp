// fuse and select-conv-algo on small graphs parsed from text: what fuses, what
// must not, that the graph stays valid, and the algorithm decisions/overrides.
#include <catch2/catch.hpp>

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"

using namespace nutshell;
using namespace nutshell::passes;

namespace {

std::unique_ptr<ir::Graph> parse(const std::string& text) {
  auto graph = ir::parseGraph(text, "test.nsir");
  INFO((graph ? std::string() : graph.message()));
  REQUIRE(graph);
  REQUIRE(ir::verifyGraph(**graph));
  return graph.take();
}

/// Run the passes in order, verifying after each; the printed graph.
std::string run(ir::Graph& graph, std::initializer_list<std::unique_ptr<Pass> (*)()> passes,
                PassContext context = {}) {
  for (auto create : passes) {
    std::unique_ptr<Pass> pass = create();
    auto changed = pass->run(graph, context);
    INFO(std::string(pass->name()) << ": " << (changed ? std::string() : changed.message()));
    REQUIRE(changed);
    Status valid = ir::verifyGraph(graph);
    INFO(ir::printGraph(graph) << "\n" << (valid ? std::string() : valid.message()));
    REQUIRE(valid);
  }
  return ir::printGraph(graph, {.elideConstants = true});
}

size_t countOps(const ir::Graph& graph, ir::OpKind op) {
  size_t n = 0;
  for (const auto& node : graph.nodes()) n += node->op == op;
  return n;
}

const ir::Node* findOp(const ir::Graph& graph, ir::OpKind op) {
  for (const auto& node : graph.nodes())
    if (node->op == op) return node.get();
  return nullptr;
}

const char* kTrafficsignHead = R"(
graph @t(%x: f32[1,3,32,32]) -> (f32[1,4,14,14]) {
  %w = const f32[4,3,5,5] <elided>
  %b = const f32[4] <elided>
  %c = conv2d(%x, %w, %b) : f32[1,4,28,28]
  %r = relu(%c) : f32[1,4,28,28]
  %p = max_pool2d(%r) {kernel=[2,2], strides=[2,2]} : f32[1,4,14,14]
  return %p
}
)";

}  // namespace

TEST_CASE("fuse: conv + bias + relu + max pool is one fused_conv2d", "[fuse]") {
  auto g = parse(kTrafficsignHead);
  std::string out = run(*g, {createFusePass});
  INFO(out);
  CHECK(g->nodes().size() == 3);  // two consts + the fused conv
  const ir::Node* f = findOp(*g, ir::OpKind::FusedConv2d);
  REQUIRE(f);
  CHECK(f->name() == "p");  // the graph output keeps its name
  CHECK(f->getString("act") == "relu");
  CHECK(f->getString("pool") == "max");
  CHECK(f->getInts("pool_kernel") == std::vector<int64_t>{2, 2});
  CHECK(f->getInts("pool_strides") == std::vector<int64_t>{2, 2});
  CHECK(f->operands[2]->name == "b");
  CHECK(f->result()->type.str() == "f32[1,4,14,14]");
}

TEST_CASE("fuse: bias add of a [1,K,1,1] constant, leaky_relu params, zero bias", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[2,8,16,16]) -> (f32[2,4,16,16], f32[2,4,16,16]) {
  %w = const f32[4,8,3,3] <elided>
  %k = const f32[1,4,1,1] dense<[1.0,2.0,3.0,4.0]>
  %c = conv2d(%x, %w) {pads=[1,1,1,1]} : f32[2,4,16,16]
  %a = add(%c, %k) : f32[2,4,16,16]
  %l = leaky_relu(%a) {alpha=0.2} : f32[2,4,16,16]
  %c2 = conv2d(%x, %w) {pads=[1,1,1,1]} : f32[2,4,16,16]
  %s = sigmoid(%c2) : f32[2,4,16,16]
  return %l, %s
}
)");
  run(*g, {createFusePass});
  REQUIRE(countOps(*g, ir::OpKind::FusedConv2d) == 2);
  CHECK(countOps(*g, ir::OpKind::Add) == 0);
  const ir::Node* l = g->outputs[0]->producer;
  CHECK(l->getString("act") == "leaky_relu");
  CHECK(l->getFloats("act_params") == std::vector<double>{0.2});
  const ir::Node* bias = l->operands[2]->producer;
  REQUIRE(bias->op == ir::OpKind::Const);
  CHECK(bias->constant->type.str() == "f32[4]");
  CHECK(bias->constant->f32 == std::vector<float>{1, 2, 3, 4});
  const ir::Node* s = g->outputs[1]->producer;
  CHECK(s->getString("act") == "sigmoid");
  CHECK(s->operands[2]->producer->constant->f32 == std::vector<float>(4, 0.0f));
}

TEST_CASE("fuse: the ONNX activations are conv epilogues by their trait; unary math is not", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[2,8,16,16]) -> (f32[2,4,16,16], f32[2,4,16,16], f32[2,4,16,16]) {
  %w = const f32[4,8,3,3] <elided>
  %k = const f32[1,4,1,1] dense<[1.0,2.0,3.0,4.0]>
  %c = conv2d(%x, %w) {pads=[1,1,1,1]} : f32[2,4,16,16]
  %a = add(%c, %k) : f32[2,4,16,16]
  %h = hard_swish(%a) : f32[2,4,16,16]
  %c2 = conv2d(%x, %w) {pads=[1,1,1,1]} : f32[2,4,16,16]
  %s = hard_sigmoid(%c2) {alpha=0.3} : f32[2,4,16,16]
  %c3 = conv2d(%x, %w) {pads=[1,1,1,1]} : f32[2,4,16,16]
  %n = neg(%c3) : f32[2,4,16,16]
  return %h, %s, %n
}
)");
  run(*g, {createFusePass});
  CHECK(countOps(*g, ir::OpKind::FusedConv2d) == 2);
  CHECK(countOps(*g, ir::OpKind::HardSwish) == 0);
  CHECK(countOps(*g, ir::OpKind::HardSigmoid) == 0);
  CHECK(countOps(*g, ir::OpKind::Add) == 0);
  const ir::Node* h = g->outputs[0]->producer;
  REQUIRE(h->op == ir::OpKind::FusedConv2d);
  CHECK(h->getString("act") == "hard_swish");
  CHECK(h->getFloats("act_params").empty());
  CHECK(h->operands[2]->producer->constant->f32 == std::vector<float>{1, 2, 3, 4});
  const ir::Node* s = g->outputs[1]->producer;
  CHECK(s->getString("act") == "hard_sigmoid");
  CHECK(s->getFloats("act_params") == std::vector<double>{0.3, 0.5});  // beta: the table's default
  // neg is unary but no Activation: the conv keeps it as its user.
  const ir::Node* n = g->outputs[2]->producer;
  CHECK(n->op == ir::OpKind::Neg);
  CHECK(n->operands[0]->producer->op == ir::OpKind::Conv2d);
}

TEST_CASE("fuse: a conv output with two users does not fuse", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[1,3,8,8]) -> (f32[1,4,6,6], f32[1,4,6,6]) {
  %w = const f32[4,3,3,3] <elided>
  %c = conv2d(%x, %w) : f32[1,4,6,6]
  %r = relu(%c) : f32[1,4,6,6]
  %t = tanh(%c) : f32[1,4,6,6]
  return %r, %t
}
)");
  std::string out = run(*g, {createFusePass});
  CHECK(countOps(*g, ir::OpKind::Conv2d) == 1);
  CHECK(countOps(*g, ir::OpKind::FusedConv2d) == 0);
  CHECK(countOps(*g, ir::OpKind::Relu) == 1);
}

TEST_CASE("fuse: a conv result that is a graph output does not fuse", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[1,3,8,8]) -> (f32[1,4,6,6], f32[1,4,6,6]) {
  %w = const f32[4,3,3,3] <elided>
  %c = conv2d(%x, %w) : f32[1,4,6,6]
  %r = relu(%c) : f32[1,4,6,6]
  return %c, %r
}
)");
  run(*g, {createFusePass});
  CHECK(countOps(*g, ir::OpKind::Conv2d) == 1);
  CHECK(countOps(*g, ir::OpKind::Relu) == 1);
}

TEST_CASE("fuse: a pool after a non-fusable op stays", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[1,1,28,28]) -> (f32[1,6,14,14]) {
  %w = const f32[6,1,5,5] <elided>
  %b = const f32[6] <elided>
  %c = conv2d(%x, %w, %b) {pads=[2,2,2,2]} : f32[1,6,28,28]
  %t = tanh(%c) : f32[1,6,28,28]
  %p = pad(%t) {pads=[0,0,0,0,0,0,0,0]} : f32[1,6,28,28]
  %a = avg_pool2d(%p) {kernel=[2,2], strides=[2,2]} : f32[1,6,14,14]
  return %a
}
)");
  run(*g, {createFusePass});
  const ir::Node* f = findOp(*g, ir::OpKind::FusedConv2d);
  REQUIRE(f);
  CHECK(f->getString("act") == "tanh");
  CHECK(f->getString("pool") == "none");
  CHECK(countOps(*g, ir::OpKind::AvgPool2d) == 1);
  CHECK(countOps(*g, ir::OpKind::Pad) == 1);
}

TEST_CASE("fuse: ceil-mode and dilated max pools stay separate", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[1,3,9,9]) -> (f32[1,4,4,4], f32[1,4,3,3]) {
  %w = const f32[4,3,3,3] <elided>
  %c = conv2d(%x, %w) : f32[1,4,7,7]
  %p = max_pool2d(%c) {kernel=[2,2], strides=[2,2], ceil_mode=1} : f32[1,4,4,4]
  %c2 = conv2d(%x, %w) : f32[1,4,7,7]
  %p2 = max_pool2d(%c2) {kernel=[2,2], strides=[2,2], dilations=[2,2]} : f32[1,4,3,3]
  return %p, %p2
}
)");
  run(*g, {createFusePass});
  CHECK(countOps(*g, ir::OpKind::MaxPool2d) == 2);
  CHECK(countOps(*g, ir::OpKind::FusedConv2d) == 0);
}

TEST_CASE("fuse: dense + bias add + relu is fused_dense", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[N,16]) -> (f32[N,8]) {
  %w = const f32[16,8] <elided>
  %b = const f32[8] <elided>
  %d = dense(%x, %w) : f32[N,8]
  %a = add(%b, %d) : f32[N,8]
  %r = relu(%a) : f32[N,8]
  return %r
}
)");
  run(*g, {createFusePass});
  const ir::Node* f = findOp(*g, ir::OpKind::FusedDense);
  REQUIRE(f);
  CHECK(g->nodes().size() == 3);
  CHECK(f->getString("act") == "relu");
  CHECK(f->operands.size() == 3);
  CHECK(f->operands[2]->name == "b");
  CHECK(f->name() == "r");
}

TEST_CASE("fuse: maxout from dense, reshape and reduce_max", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[2,784]) -> (f32[2,240]) {
  %w = const f32[784,1200] <elided>
  %b = const f32[1200] <elided>
  %d = dense(%x, %w, %b) : f32[2,1200]
  %s = reshape(%d) {shape=[2,240,5]} : f32[2,240,5]
  %m = reduce_max(%s) {axes=[2], keepdims=0} : f32[2,240]
  return %m
}
)");
  run(*g, {createFusePass});
  const ir::Node* m = findOp(*g, ir::OpKind::Maxout);
  REQUIRE(m);
  CHECK(m->getInt("pieces") == 5);
  CHECK(g->nodes().size() == 3);
}

TEST_CASE("fuse: no maxout when the reduction is not over consecutive outputs", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[2,784]) -> (f32[2,240]) {
  %w = const f32[784,1200] <elided>
  %d = dense(%x, %w) : f32[2,1200]
  %s = reshape(%d) {shape=[2,5,240]} : f32[2,5,240]
  %m = reduce_max(%s) {axes=[1], keepdims=0} : f32[2,240]
  return %m
}
)");
  run(*g, {createFusePass});
  CHECK(countOps(*g, ir::OpKind::Maxout) == 0);
  CHECK(countOps(*g, ir::OpKind::ReduceMax) == 1);
}

TEST_CASE("fuse: elementwise chains", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[4,8], %y: f32[4,8], %z: f32[8]) -> (f32[4,8], f32[4,8]) {
  %a = add(%x, %y) : f32[4,8]
  %m = mul(%z, %a) : f32[4,8]
  %c = clip(%m) {min=0.0, max=6.0} : f32[4,8]
  %e = exp(%c) : f32[4,8]
  %s = sub(%y, %x) : f32[4,8]
  %d = div(%x, %s) : f32[4,8]
  return %e, %d
}
)");
  run(*g, {createFusePass});
  const ir::Node* f = g->outputs[0]->producer;
  REQUIRE(f->op == ir::OpKind::FusedElementwise);
  CHECK(f->getStrings("steps") == std::vector<std::string>{"add", "mul", "clip", "exp"});
  CHECK(f->getFloats("params") == std::vector<double>{0, 0, 0, 0, 0, 6, 0, 0});
  REQUIRE(f->operands.size() == 3);
  CHECK(f->operands[0]->name == "x");
  CHECK(f->operands[1]->name == "y");
  CHECK(f->operands[2]->name == "z");
  CHECK(f->name() == "e");
  // sub feeds div on the right: div(x, acc) is not a chain step.
  CHECK(g->outputs[1]->producer->op == ir::OpKind::Div);
  CHECK(countOps(*g, ir::OpKind::Sub) == 1);
}

TEST_CASE("fuse: max, min, pow and prelu are chain steps; max and min commute", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[4,8], %y: f32[8], %two: f32[]) -> (f32[4,8]) {
  %a = prelu(%x, %y) : f32[4,8]
  %m = max(%y, %a) : f32[4,8]
  %n = min(%m, %x) : f32[4,8]
  %p = pow(%n, %two) : f32[4,8]
  return %p
}
)");
  run(*g, {createFusePass});
  const ir::Node* f = g->outputs[0]->producer;
  REQUIRE(f->op == ir::OpKind::FusedElementwise);
  CHECK(f->getStrings("steps") == std::vector<std::string>{"prelu", "max", "min", "pow"});
  REQUIRE(f->operands.size() == 5);
  CHECK(f->operands[2]->name == "y");  // max(y, acc) took acc on the right
}

TEST_CASE("fuse: concat of fused convolutions becomes a destination chain", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[1,8,10,10]) -> (f32[1,14,10,10]) {
  %w1 = const f32[4,8,1,1] <elided>
  %w2 = const f32[6,8,3,3] <elided>
  %w3 = const f32[4,8,1,1] <elided>
  %c1 = conv2d(%x, %w1) : f32[1,4,10,10]
  %r1 = relu(%c1) : f32[1,4,10,10]
  %c2 = conv2d(%x, %w2) {pads=[1,1,1,1]} : f32[1,6,10,10]
  %r2 = relu(%c2) : f32[1,6,10,10]
  %p = max_pool2d(%x) {kernel=[3,3], pads=[1,1,1,1]} : f32[1,8,10,10]
  %c3 = conv2d(%p, %w3) : f32[1,4,10,10]
  %r3 = relu(%c3) : f32[1,4,10,10]
  %y = concat(%r2, %r1, %r3) {axis=1} : f32[1,14,10,10]
  return %y
}
)");
  std::string out = run(*g, {createFusePass});
  INFO(out);
  CHECK(countOps(*g, ir::OpKind::Concat) == 0);
  CHECK(countOps(*g, ir::OpKind::Empty) == 1);
  REQUIRE(countOps(*g, ir::OpKind::FusedConv2d) == 3);
  // Chain in topological order (r1, r2, r3), offsets by concat position.
  const ir::Node* last = g->outputs[0]->producer;
  CHECK(last->name() == "y");
  CHECK(last->getInt("dest_offset") == 10);
  const ir::Node* middle = last->operands[3]->producer;
  CHECK(middle->getInt("dest_offset") == 0);  // r2: first in the concat
  const ir::Node* first = middle->operands[3]->producer;
  CHECK(first->getInt("dest_offset") == 6);
  CHECK(first->operands[3]->producer->op == ir::OpKind::Empty);
  for (const ir::Node* n : {first, middle, last}) CHECK(n->result()->type.str() == "f32[1,14,10,10]");
}

TEST_CASE("fuse: a concat with a non-conv input stays", "[fuse]") {
  auto g = parse(R"(
graph @t(%x: f32[1,8,10,10]) -> (f32[1,12,10,10]) {
  %w1 = const f32[4,8,1,1] <elided>
  %c1 = conv2d(%x, %w1) : f32[1,4,10,10]
  %r1 = relu(%c1) : f32[1,4,10,10]
  %y = concat(%r1, %x) {axis=1} : f32[1,12,10,10]
  return %y
}
)");
  run(*g, {createFusePass});
  CHECK(countOps(*g, ir::OpKind::Concat) == 1);
  CHECK(countOps(*g, ir::OpKind::Empty) == 0);
}

TEST_CASE("select-conv-algo: every conv gets algo and why", "[select-conv-algo]") {
  auto g = parse(R"(
graph @t(%x: f32[1,3,32,32]) -> (f32[1,16,16,16]) {
  %w = const f32[16,3,3,3] <elided>
  %c = conv2d(%x, %w) {strides=[2,2], pads=[1,1,1,1]} : f32[1,16,16,16]
  return %c
}
)");
  run(*g, {createFusePass, createSelectConvAlgorithmPass});
  const ir::Node* f = findOp(*g, ir::OpKind::FusedConv2d);
  REQUIRE(f);
  CHECK(countOps(*g, ir::OpKind::Conv2d) == 0);
  CHECK(f->getString("act") == "none");
  CHECK(f->name() == "c");
  std::string algo = f->getString("algo");
  CHECK((algo == "direct" || algo == "im2col"));
  const std::string& why = f->getString("why");
  CHECK(why.find("fft rejected: stride 2, C=3<16") != std::string::npos);
  CHECK(why.find("winograd rejected: stride 2") != std::string::npos);
}

TEST_CASE("select-conv-algo: trafficsign first layer never uses fft", "[select-conv-algo]") {
  auto g = parse(kTrafficsignHead);
  run(*g, {createFusePass, createSelectConvAlgorithmPass});
  const ir::Node* f = findOp(*g, ir::OpKind::FusedConv2d);
  REQUIRE(f);
  CHECK(f->getString("algo") != "fft");
  CHECK(f->getString("why").find("fft rejected: C=3<16 | winograd rejected: 5x5 kernel") !=
        std::string::npos);
}

TEST_CASE("select-conv-algo: overrides", "[select-conv-algo]") {
  const char* text = R"(
graph @t(%x: f32[1,32,16,16]) -> (f32[1,32,8,8], f32[1,32,16,16]) {
  %w = const f32[32,32,3,3] <elided>
  %s2 = conv2d(%x, %w) {strides=[2,2], pads=[1,1,1,1]} : f32[1,32,8,8]
  %s1 = conv2d(%x, %w) {pads=[1,1,1,1]} : f32[1,32,16,16]
  return %s2, %s1
}
)";
  SECTION("global fft falls back where it does not apply") {
    auto g = parse(text);
    PassContext context;
    context.convAlgo = "fft";
    run(*g, {createSelectConvAlgorithmPass}, context);
    const ir::Node* s2 = g->outputs[0]->producer;
    const ir::Node* s1 = g->outputs[1]->producer;
    CHECK(s1->getString("algo") == "fft");
    CHECK(s1->getString("why").rfind("forced by --conv-algo=fft | ", 0) == 0);
    CHECK(s2->getString("algo") != "fft");
    CHECK(s2->getString("why").rfind(
              "fft forced but not applicable: stride 2; chose " + s2->getString("algo"), 0) == 0);
  }
  SECTION("per-node override that does not apply is an error naming the node") {
    auto g = parse(text);
    PassContext context;
    context.convAlgoPerNode["s2"] = "winograd";
    auto result = createSelectConvAlgorithmPass()->run(*g, context);
    REQUIRE_FALSE(result);
    CHECK(result.message().find("'%s2'") != std::string::npos);
    CHECK(result.message().find("stride 2") != std::string::npos);
  }
  SECTION("per-node override that applies wins over the global one") {
    auto g = parse(text);
    PassContext context;
    context.convAlgo = "direct";
    context.convAlgoPerNode["s1"] = "winograd";
    run(*g, {createSelectConvAlgorithmPass}, context);
    CHECK(g->outputs[1]->producer->getString("algo") == "winograd");
    CHECK(g->outputs[0]->producer->getString("algo") == "direct");
  }
  SECTION("pipeline option mode, unknown names") {
    auto g = parse(text);
    PassContext context;
    context.options["mode"] = "im2col";
    run(*g, {createSelectConvAlgorithmPass}, context);
    CHECK(g->outputs[0]->producer->getString("algo") == "im2col");
    PassContext bad;
    bad.options["mode"] = "fastest";
    CHECK_FALSE(createSelectConvAlgorithmPass()->run(*g, bad));
    PassContext unknownNode;
    unknownNode.convAlgoPerNode["nope"] = "direct";
    CHECK_FALSE(createSelectConvAlgorithmPass()->run(*g, unknownNode));
  }
  SECTION("idempotent") {
    auto g = parse(text);
    PassContext context;
    run(*g, {createSelectConvAlgorithmPass}, context);
    std::string once = ir::printGraph(*g);
    auto again = createSelectConvAlgorithmPass()->run(*g, context);
    REQUIRE(again);
    CHECK_FALSE(*again);
    CHECK(ir::printGraph(*g) == once);
  }
}
