// A corpus of broken ONNX files, each made by this test from a valid model.
// Every one must give a clear error (checked by substring) and none may crash;
// the corpus is also run under AddressSanitizer (-DNUTSHELL_SANITIZE=ON).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <cstdlib>
#include <random>

#include "tests/importer/OnnxTestUtil.h"

using namespace nutshell;
namespace importer = nutshell::onnx;
using test::loadModel;
using test::serialize;

namespace {

using Mutation = std::function<void(::onnx::ModelProto&)>;

struct BadCase {
  std::string name;
  std::string model;                  // source model in tests/models
  Mutation mutate;                    // applied to the parsed model
  std::vector<std::string> expected;  // substrings of the error
};

::onnx::NodeProto* nodeOfType(::onnx::ModelProto& m, const std::string& op) {
  for (auto& n : *m.mutable_graph()->mutable_node())
    if (n.op_type() == op) return &n;
  FAIL("no " << op << " node");
  return nullptr;
}

::onnx::TensorProto* initializer(::onnx::ModelProto& m, const std::string& name) {
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return &t;
  FAIL("no initializer " << name);
  return nullptr;
}

std::vector<BadCase> structuralCases() {
  return {
      {"wrong dims on an initializer",
       "logreg",
       [](auto& m) { initializer(m, "1.weight")->set_dims(1, 785); },
       {"initializer '1.weight'", "raw_data has 31360 bytes but dims [10,785]"}},
      {"missing initializer",
       "logreg",
       [](auto& m) {
         auto* inits = m.mutable_graph()->mutable_initializer();
         for (int i = 0; i < inits->size(); ++i)
           if (inits->Get(i).name() == "1.bias") inits->DeleteSubrange(i, 1);
       },
       {"uses tensor '1.bias'", "not a graph input, an initializer or the output of any node"}},
      {"node input that does not exist",
       "mlp",
       [](auto& m) { nodeOfType(m, "Relu")->set_input(0, "ghost"); },
       {"node '", "(Relu) uses tensor 'ghost'"}},
      {"cycle",
       "logreg",
       [](auto& m) {
         // Flatten now reads Softmax's output, which depends on Flatten.
         nodeOfType(m, "Flatten")->set_input(0, nodeOfType(m, "Softmax")->output(0));
       },
       {"graph has a cycle", "Flatten"}},
      {"unsupported ops, all listed at once",
       "mlp",
       [](auto& m) {
         for (auto& n : *m.mutable_graph()->mutable_node()) {
           if (n.op_type() == "Relu") n.set_op_type("Foo");
           if (n.op_type() == "Flatten") n.set_op_type("Bar");
         }
       },
       {"unsupported ONNX ops (3 nodes): Bar (opset 13) x1: node '/0/Flatten'; Foo (opset 13) x2: nodes "
        "'/2/Relu', "
        "'/4/Relu'"}},
      {"float16 initializer",
       "logreg",
       [](auto& m) { initializer(m, "1.bias")->set_data_type(::onnx::TensorProto::FLOAT16); },
       {"initializer '1.bias' has element type float16"}},
      {"string initializer",
       "logreg",
       [](auto& m) { initializer(m, "1.bias")->set_data_type(::onnx::TensorProto::STRING); },
       {"initializer '1.bias' has element type string"}},
      {"negative dims",
       "logreg",
       [](auto& m) { initializer(m, "1.bias")->set_dims(0, -10); },
       {"initializer '1.bias': dims [-10] are negative"}},
      {"huge dims",
       "logreg",
       [](auto& m) {
         auto* t = initializer(m, "1.weight");
         t->set_dims(0, int64_t(1) << 30);
         t->set_dims(1, int64_t(1) << 30);
       },
       {"initializer '1.weight': dims [1073741824,1073741824] are too large"}},
      {"two nodes produce the same tensor",
       "mlp",
       [](auto& m) {
         auto* nodes = m.mutable_graph()->mutable_node();
         std::string first;
         for (auto& n : *nodes)
           if (n.op_type() == "Relu") {
             if (first.empty())
               first = n.output(0);
             else
               n.set_output(0, first);
           }
       },
       {"is produced by two nodes"}},
      {"missing graph",
       "logreg",
       [](auto& m) { m.clear_graph(); },
       {"not a valid ONNX model: it has no graph"}},
      {"graph output not produced",
       "logreg",
       [](auto& m) { m.mutable_graph()->mutable_output(0)->set_name("nowhere"); },
       {"graph output 'nowhere' is not produced by any node"}},
      {"no graph outputs",
       "logreg",
       [](auto& m) { m.mutable_graph()->clear_output(); },
       {"the ONNX graph has no outputs"}},
      {"opset zero",
       "logreg",
       [](auto& m) { m.mutable_opset_import(0)->set_version(0); },
       {"ONNX opset 0 is not supported: nutshell imports opsets 1 to 18"}},
      {"opset too new",
       "logreg",
       [](auto& m) { m.mutable_opset_import(0)->set_version(99); },
       {"ONNX opset 99 is not supported"}},
      {"no default opset",
       "logreg",
       [](auto& m) { m.clear_opset_import(); },
       {"imports no default-domain (ai.onnx) opset"}},
      {"no ir_version", "logreg", [](auto& m) { m.clear_ir_version(); }, {"ir_version is missing"}},
      {"typed data of the wrong length",
       "logreg",
       [](auto& m) {
         auto* t = initializer(m, "1.bias");
         t->clear_raw_data();
         t->add_float_data(1.0f);
       },
       {"initializer '1.bias': has 1 values but dims [10] need 10"}},
      {"attribute of the wrong type",
       "logreg",
       [](auto& m) {
         auto* gemm = nodeOfType(m, "Gemm");
         for (auto& a : *gemm->mutable_attribute())
           if (a.name() == "transB") {
             a.set_type(::onnx::AttributeProto::FLOAT);
             a.clear_i();
             a.set_f(1.0f);
           }
       },
       {"(Gemm): attribute 'transB' has type float, expected int"}},
      {"attribute with two values",
       "logreg",
       [](auto& m) {
         for (auto& a : *nodeOfType(m, "Gemm")->mutable_attribute())
           if (a.name() == "transB") a.set_f(1.0f);  // keeps i
       },
       {"(Gemm): attribute 'transB' sets both float and int values"}},
      {"attribute whose type disagrees with its value",
       "logreg",
       [](auto& m) {
         for (auto& a : *nodeOfType(m, "Gemm")->mutable_attribute())
           if (a.name() == "transB") {
             a.clear_i();
             a.set_f(1.0f);  // still declared INT: must not read as 0
           }
       },
       {"(Gemm): attribute 'transB' has type int but holds a float value"}},
      {"attribute given twice",
       "logreg",
       [](auto& m) {
         auto* gemm = nodeOfType(m, "Gemm");
         auto* twice = gemm->add_attribute();
         twice->set_name("transB");
         twice->set_type(::onnx::AttributeProto::INT);
         twice->set_i(0);
       },
       {"(Gemm): attribute 'transB' is given twice"}},
      {"declared output shape the graph does not produce",
       "logreg",
       [](auto& m) {
         auto* shape =
             m.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
         shape->mutable_dim(shape->dim_size() - 1)->set_dim_value(12);
       },
       {"graph output '", "is declared float[", "12] but the graph computes f32[", "(dim 1)"}},
      {"declared output rank the graph does not produce",
       "logreg",
       [](auto& m) {
         m.mutable_graph()
             ->mutable_output(0)
             ->mutable_type()
             ->mutable_tensor_type()
             ->mutable_shape()
             ->add_dim()
             ->set_dim_value(1);
       },
       {"graph output '", "(rank)"}},
      {"raw_data and float_data both set",
       "logreg",
       [](auto& m) { initializer(m, "1.bias")->add_float_data(1.0f); },
       {"initializer '1.bias': holds values in more than one of raw_data, the typed data fields"}},
      {"Gemm with a rank-1 constant B and C present",
       "logreg",
       [](auto& m) {
         auto* w = initializer(m, "1.weight");
         w->clear_dims();
         w->add_dims(7840);
         // transB=0: the N axis would be dims[1], which a rank-1 B lacks.
         for (auto& a : *nodeOfType(m, "Gemm")->mutable_attribute())
           if (a.name() == "transB") a.set_i(0);
       },
       {"(Gemm)"}},
      {"1-D input, 2-D weight",
       "bigconv",
       [](auto& m) {
         auto* dims =
             m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
         dims->mutable_dim()->RemoveLast();
       },
       {"(Conv): weight", "must have rank 3 (OIL)"}},
      {"computed Unsqueeze axes",
       "lstm",
       [](auto& m) {
         // Feed Unsqueeze's axes from a computed tensor instead of a Constant.
         nodeOfType(m, "Unsqueeze")->set_input(1, "/lstm/Gather_output_0");
       },
       {"(Unsqueeze): unsupported: axes (input '/lstm/Gather_output_0') must be a constant"}},
      {"graph input without a shape",
       "logreg",
       [](auto& m) {
         m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
       },
       {"graph input 'x' has no shape"}},
      {"string graph input",
       "logreg",
       [](auto& m) {
         m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(8);
       },
       {"graph input 'x' has element type string"}},
      {"negative input dim",
       "logreg",
       [](auto& m) {
         m.mutable_graph()
             ->mutable_input(0)
             ->mutable_type()
             ->mutable_tensor_type()
             ->mutable_shape()
             ->mutable_dim(1)
             ->set_dim_value(-3);
       },
       {"graph input 'x': dim 1 has invalid size -3"}},
      {"shapes that do not fit",
       "logreg",
       [](auto& m) {
         // Gemm now sees 28*28*2 features against a 784-wide weight.
         m.mutable_graph()
             ->mutable_input(0)
             ->mutable_type()
             ->mutable_tensor_type()
             ->mutable_shape()
             ->mutable_dim(1)
             ->set_dim_value(2);
       },
       {"(Gemm)", "1568", "784"}},
      {"op from another domain",
       "logreg",
       [](auto& m) {
         nodeOfType(m, "Softmax")->set_domain("com.example");
         auto* op = m.add_opset_import();
         op->set_domain("com.example");
         op->set_version(3);
       },
       {"unsupported ONNX ops (1 node): com.example.Softmax (opset 3) x1: node '/2/Softmax'"}},
      {"node without outputs",
       "logreg",
       [](auto& m) { nodeOfType(m, "Softmax")->clear_output(); },
       {"(Softmax): has no outputs"}},
      {"external data file missing",
       "logreg",
       [](auto& m) {
         auto* t = initializer(m, "1.bias");
         t->clear_raw_data();
         t->set_data_location(::onnx::TensorProto::EXTERNAL);
         auto* e = t->add_external_data();
         e->set_key("location");
         e->set_value("weights-that-do-not-exist.bin");
       },
       {"initializer '1.bias': cannot read external data file", "weights-that-do-not-exist.bin"}},
      {"external data outside the model directory",
       "logreg",
       [](auto& m) {
         auto* t = initializer(m, "1.bias");
         t->clear_raw_data();
         t->set_data_location(::onnx::TensorProto::EXTERNAL);
         auto* e = t->add_external_data();
         e->set_key("location");
         e->set_value("../../etc/passwd");
       },
       {"leaves the model's directory"}},
      {"initializer defined twice",
       "logreg",
       [](auto& m) { *m.mutable_graph()->add_initializer() = m.graph().initializer(0); },
       {"is defined twice"}},
      {"LSTM with an unknown layout",
       "lstm",
       [](auto& m) { test::setInt(*nodeOfType(m, "LSTM"), "layout", 2); },
       {"(LSTM): layout 2 must be 0 or 1"}},
  };
}

/// NUTSHELL_FUZZ_TRIALS / NUTSHELL_FUZZ_SEED run longer or other flip
/// campaigns (e.g. under AddressSanitizer) without changing the default test.
int fuzzTrials() {
  const char* v = std::getenv("NUTSHELL_FUZZ_TRIALS");
  return v ? std::max(1, std::atoi(v)) : 200;
}
unsigned fuzzSeed() {
  const char* v = std::getenv("NUTSHELL_FUZZ_SEED");
  return v ? unsigned(std::strtoul(v, nullptr, 10)) : 42u;
}

std::string importError(const std::string& bytes) {
  auto graph = importer::importOnnxBytes(bytes);
  return graph ? std::string() : graph.message();
}

}  // namespace

TEST_CASE("structurally broken models give clear errors", "[importer][corpus]") {
  int count = 0;
  for (const BadCase& bc : structuralCases()) {
    INFO("case: " << bc.name);
    auto model = loadModel(bc.model);
    bc.mutate(model);
    std::string message = importError(serialize(model));
    INFO("message: " << message);
    REQUIRE_FALSE(message.empty());
    for (const auto& expected : bc.expected) CHECK_THAT(message, Catch::Contains(expected));
    ++count;
  }
  CHECK(count >= 20);
}

TEST_CASE("empty, truncated and random files are not valid models", "[importer][corpus]") {
  CHECK_THAT(importError(""), Catch::Contains("not a valid ONNX model: the file is empty"));

  const std::string bytes = test::readFile(test::modelPath("logreg"));
  REQUIRE(bytes.size() > 1000);
  // Cuts inside the weights' raw data or a length-delimited field fail parsing;
  // cuts on a field boundary parse but lose the graph, nodes or initializers.
  for (size_t length : {size_t(1), size_t(7), size_t(50), size_t(200), bytes.size() / 2, bytes.size() - 100,
                        bytes.size() - 1}) {
    INFO("truncated to " << length << " of " << bytes.size() << " bytes");
    std::string message = importError(bytes.substr(0, length));
    INFO("message: " << message);
    CHECK_FALSE(message.empty());
    CHECK_THAT(message, Catch::Contains("not a valid ONNX model") || Catch::Contains("not produced") ||
                            Catch::Contains("not a graph input"));
  }

  std::mt19937 rng(1234);
  for (size_t length : {size_t(16), size_t(256), size_t(4096)}) {
    std::string random(length, '\0');
    for (char& c : random) c = char(rng() & 0xff);
    INFO("random bytes: " << length);
    CHECK_THAT(importError(random), Catch::Contains("not a valid ONNX model"));
  }
}

TEST_CASE("flipped bytes never crash the importer", "[importer][corpus]") {
  // A flip inside a weight yields another valid model; elsewhere it must be
  // an error. Either way: no crash, no abort, and errors say something.
  for (const char* name : {"logreg", "lstm", "lenet5"}) {
    const std::string bytes = test::readFile(test::modelPath(name));
    std::mt19937 rng(fuzzSeed());
    int failures = 0;
    const int trials = fuzzTrials();
    for (int trial = 0; trial < trials; ++trial) {
      std::string mutated = bytes;
      // Mostly the structure at both ends of the file, sometimes anywhere.
      size_t pos = trial % 3 == 0   ? rng() % mutated.size()
                   : trial % 3 == 1 ? rng() % std::min<size_t>(600, mutated.size())
                                    : mutated.size() - 1 - rng() % std::min<size_t>(3000, mutated.size());
      mutated[pos] = char(mutated[pos] ^ char(1 + rng() % 255));
      auto graph = importer::importOnnxBytes(mutated);
      if (!graph) {
        ++failures;
        INFO(name << " flip at " << pos << ": " << graph.message());
        CHECK_FALSE(graph.message().empty());
      }
    }
    INFO(name << ": " << failures << " of " << trials << " flips rejected");
    CHECK(failures > 0);
  }
}

TEST_CASE("the first byte flipped to an invalid tag fails parsing", "[importer][corpus]") {
  std::string bytes = test::readFile(test::modelPath("logreg"));
  bytes[0] = char(0xff);
  CHECK_THAT(importError(bytes), Catch::Contains("not a valid ONNX model"));
}

TEST_CASE("broken models on disk report the file name", "[importer][corpus]") {
  auto dir = std::filesystem::temp_directory_path() / "nutshell-importer-corpus";
  std::filesystem::create_directories(dir);
  auto path = (dir / "truncated.onnx").string();
  {
    std::ofstream out(path, std::ios::binary);
    std::string bytes = test::readFile(test::modelPath("mlp"));
    out << bytes.substr(0, bytes.size() / 3);
  }
  auto graph = importer::importOnnxFile(path);
  REQUIRE_FALSE(graph);
  CHECK_THAT(graph.message(), Catch::Contains("truncated.onnx: not a valid ONNX model"));
  auto dirResult = importer::importOnnxFile(dir.string());
  REQUIRE_FALSE(dirResult);
  CHECK_THAT(dirResult.message(), Catch::Contains("is a directory"));
  std::filesystem::remove_all(dir);
}
