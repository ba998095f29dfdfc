// JIT modules keep large constants in host memory (external globals) and
// share the code of kernels that differ only in their weights; AOT modules
// embed every constant. Both must compute what the reference does.
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "backends/cpu/HostConstants.h"
#include "backends/cpu/Target.h"
#include "tests/cpu/CpuTestUtil.h"
#include "tests/cpu/PlannedModule.h"

using namespace nutshell;
using namespace nutshell::cputest;
using ir::OpKind;

namespace {

/// x -> conv(w1)+relu -> conv(w2)+relu -> add(x) -> conv(w3)+relu: three
/// same-shape direct convs with different weights (32 channels, 36 KiB each).
void buildChain(ir::Graph& g, std::mt19937_64& rng) {
  ir::Value* x = g.addInput("x", ir::TensorType::f32({1, 32, 10, 12}));
  ir::AttrMap attrs{{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"act", std::string("relu")},
                    {"algo", std::string("direct")}};
  auto conv = [&](ir::Value* in) {
    return op(g, OpKind::FusedConv2d,
              {in, g.addConstant(randomData({32, 32, 3, 3}, rng, -0.2f, 0.2f)), g.addConstant(randomData({32}, rng))},
              attrs);
  };
  ir::Value* y = conv(conv(x));
  g.outputs.push_back(conv(op(g, OpKind::Add, {y, x})));
}

}  // namespace

TEST_CASE("cpu: JIT modules reference host constants and share kernel code", "[cpu][jit]") {
  auto rng = makeRng("host-constants");
  ir::Graph g;
  buildChain(g, rng);
  auto target = cpu::detectTarget();
  REQUIRE(target.ok());

  cpu::ModuleOptions jitOptions;
  jitOptions.externalConstants = true;
  auto jit = buildPlannedModule(g, *target, jitOptions);
  INFO((jit ? std::string() : jit.message()));
  REQUIRE(jit.ok());
  REQUIRE(jit->hostConstants);
  CHECK(jit->hostConstants->entries().size() == 3);  // the blocked weights; biases are small
  CHECK(jit->hostConstants->totalBytes() == 3 * 32 * 32 * 9 * sizeof(float));
  int external = 0;
  for (const llvm::GlobalVariable& global : jit->module->globals()) external += global.isDeclaration() ? 1 : 0;
  CHECK(external == 3);
  std::string kernels;
  for (const std::string& line : jit->info.kernels) kernels += line + "\n";
  INFO(kernels);
  CHECK(jit->info.kernels.size() == 4);
  CHECK(jit->info.kernels[1].find("same code as " + jit->info.kernels[0].substr(0, jit->info.kernels[0].find(':'))) !=
        std::string::npos);
  CHECK(jit->info.kernels[3].find("same code as") != std::string::npos);

  // AOT (default options): everything embedded, nothing to resolve.
  auto aot = buildPlannedModule(g, *target);
  REQUIRE(aot.ok());
  CHECK_FALSE(aot->hostConstants);
  for (const llvm::GlobalVariable& global : aot->module->globals()) CHECK_FALSE(global.isDeclaration());

  TensorMap inputs;
  inputs["x"] = randomTensor({1, 32, 10, 12}, rng);
  checkAgainstReference(g, inputs);
}
