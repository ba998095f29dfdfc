// Tensor files: .npy and ONNX TensorProto .pb round trips, compatibility with
// files written by numpy and onnx, and clean errors (never crashes) on
// garbage and truncated input.
#include <cstdio>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "runtime/TensorIO.h"
#include "tests/e2e/TensorIOFixtures.h"

using namespace nutshell;
using namespace nutshell::testdata;

namespace {

/// The values of a tensor of any float / integer type (readers keep the file's type).
std::vector<float> floatsOf(const Tensor& t) {
  std::vector<float> v;
  for (int64_t i = 0; i < t.numElements(); ++i) v.push_back(float(t.valueAt(i)));
  return v;
}
std::vector<int64_t> intsOf(const Tensor& t) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.numElements(); ++i) v.push_back(t.intAt(i));
  return v;
}

std::string tempPath(const std::string& name) {
  return std::string(NUTSHELL_TEST_TMP_DIR) + "/tensor_io_" + name;
}

}  // namespace

TEST_CASE("TensorIO: npy round trip keeps type, shape and values", "[tensorio]") {
  Tensor f = Tensor::f32({2, 3}, {1, -2, 3.5f, 0, 1e-30f, -7});
  auto back = parseNpy(encodeNpy(f));
  REQUIRE(back.ok());
  CHECK(back->typeString() == "f32[2,3]");
  CHECK(floatsOf(*back) == floatsOf(f));

  Tensor i = Tensor::i64({4}, {1, -1, int64_t(1) << 40, 0});
  auto backI = parseNpy(encodeNpy(i));
  REQUIRE(backI.ok());
  CHECK(backI->typeString() == "i64[4]");
  CHECK(intsOf(*backI) == intsOf(i));

  Tensor scalar = Tensor::f32({}, {2.5f});
  auto backS = parseNpy(encodeNpy(scalar));
  REQUIRE(backS.ok());
  CHECK(backS->rank() == 0);
  CHECK(backS->f32()[0] == 2.5f);

  Tensor empty(ElementType::F32, {0, 3});
  auto backE = parseNpy(encodeNpy(empty));
  REQUIRE(backE.ok());
  CHECK(backE->typeString() == "f32[0,3]");

  // The data starts 64-byte aligned, as numpy writes it.
  std::string bytes = encodeNpy(f);
  CHECK((bytes.size() - f.byteSize()) % 64 == 0);
  CHECK(bytes[bytes.size() - f.byteSize() - 1] == '\n');
}

TEST_CASE("TensorIO: npy files written by numpy are read", "[tensorio]") {
  auto f8 = parseNpy(npyF8);
  REQUIRE(f8.ok());
  CHECK(f8->typeString() == "f64[2,2]");
  CHECK(floatsOf(*f8) == std::vector<float>{1.5f, -2.25f, 3, 4});

  auto i4 = parseNpy(npyI4);
  REQUIRE(i4.ok());
  CHECK(i4->typeString() == "i32[3]");
  CHECK(intsOf(*i4) == std::vector<int64_t>{1, -2, 3});

  auto b1 = parseNpy(npyB1);
  REQUIRE(b1.ok());
  CHECK(b1->type() == ElementType::Bool);
  CHECK(intsOf(*b1) == std::vector<int64_t>{1, 0, 1});

  auto big = parseNpy(npyBigF4);
  REQUIRE(big.ok());
  CHECK(floatsOf(*big) == std::vector<float>{1.0f, 2.5f});

  auto v2 = parseNpy(npyV2);
  REQUIRE(v2.ok());
  CHECK(v2->typeString() == "i64[1,2]");
  CHECK(intsOf(*v2) == std::vector<int64_t>{7, 8});

  auto scalar = parseNpy(npyScalar);
  REQUIRE(scalar.ok());
  CHECK(scalar->typeString() == "f32[]");
  CHECK(scalar->f32()[0] == 3.5f);
}

TEST_CASE("TensorIO: npy errors are clear", "[tensorio]") {
  auto fortran = parseNpy(npyFortran, "a.npy");
  REQUIRE_FALSE(fortran.ok());
  CHECK_THAT(fortran.message(), Catch::Contains("a.npy") && Catch::Contains("Fortran"));

  auto complex = parseNpy(npyC8);
  REQUIRE_FALSE(complex.ok());
  CHECK_THAT(complex.message(), Catch::Contains("unsupported dtype '<c8'"));

  auto magic = parseNpy("GIF89a..........");
  REQUIRE_FALSE(magic.ok());
  CHECK_THAT(magic.message(), Catch::Contains("bad magic"));

  std::string extra = encodeNpy(Tensor::f32({2}, {1, 2})) + "xx";
  auto trailing = parseNpy(extra);
  REQUIRE_FALSE(trailing.ok());
  CHECK_THAT(trailing.message(), Catch::Contains("needs 8 data bytes, file has 10"));

  std::string badHeader = npyScalar;
  badHeader.replace(badHeader.find("'shape'"), 7, "'shape!");
  auto header = parseNpy(badHeader);
  REQUIRE_FALSE(header.ok());
  CHECK_THAT(header.message(), Catch::Contains("bad header"));

  auto missing = readNpy(tempPath("does_not_exist.npy"));
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(), Catch::Contains("cannot open"));
}

TEST_CASE("TensorIO: TensorProto files written by onnx are read", "[tensorio]") {
  auto fd = parseTensorProto(pbFloatData);
  REQUIRE(fd.ok());
  CHECK(fd->name == "fd");
  CHECK(fd->tensor.typeString() == "f32[2,2]");
  CHECK(floatsOf(fd->tensor) == std::vector<float>{1, 2, 3, 4});

  auto i64 = parseTensorProto(pbInt64Data);
  REQUIRE(i64.ok());
  CHECK(intsOf(i64->tensor) == std::vector<int64_t>{-1, 0, 5});

  auto d = parseTensorProto(pbDoubleData);
  REQUIRE(d.ok());
  CHECK(d->tensor.typeString() == "f64[2]");
  CHECK(floatsOf(d->tensor) == std::vector<float>{0.5f, -1.25f});

  auto i32 = parseTensorProto(pbInt32Data);
  REQUIRE(i32.ok());
  CHECK(i32->tensor.typeString() == "i32[2]");
  CHECK(intsOf(i32->tensor) == std::vector<int64_t>{-7, 9});

  auto b = parseTensorProto(pbBoolData);
  REQUIRE(b.ok());
  CHECK(intsOf(b->tensor) == std::vector<int64_t>{1, 0, 1});

  auto raw = parseTensorProto(pbRawFloat);
  REQUIRE(raw.ok());
  CHECK(raw->tensor.typeString() == "f32[1,2]");
  CHECK(floatsOf(raw->tensor) == std::vector<float>{1.5f, -3});

  auto half = parseTensorProto(pbRawF16);
  REQUIRE(half.ok());
  CHECK(floatsOf(half->tensor) == std::vector<float>{1, 2});

  auto str = parseTensorProto(pbString, "s.pb");
  REQUIRE_FALSE(str.ok());
  CHECK_THAT(str.message(), Catch::Contains("s.pb") && Catch::Contains("STRING"));
}

TEST_CASE("TensorIO: TensorProto round trip and test data of the models", "[tensorio]") {
  Tensor f = Tensor::f32({1, 2, 2}, {0.25f, -1, 3, 4});
  auto back = parseTensorProto(encodeTensorProto(f, "x"));
  REQUIRE(back.ok());
  CHECK(back->name == "x");
  CHECK(back->tensor.typeString() == "f32[1,2,2]");
  CHECK(floatsOf(back->tensor) == floatsOf(f));

  Tensor i = Tensor::i64({}, {-42});
  auto backI = parseTensorProto(encodeTensorProto(i));
  REQUIRE(backI.ok());
  CHECK(backI->name.empty());
  CHECK(backI->tensor.typeString() == "i64[]");
  CHECK(backI->tensor.i64()[0] == -42);

  auto input = readTensorFile(std::string(NUTSHELL_TEST_DATA_DIR) + "/models/lenet5/test_data_set_0/input_0.pb");
  REQUIRE(input.ok());
  CHECK(input->tensor.typeString() == "f32[2,1,28,28]");

  // Through files and both extensions.
  REQUIRE(writeTensorFile(f, tempPath("rt.pb"), "named").ok());
  REQUIRE(writeTensorFile(f, tempPath("rt.npy")).ok());
  auto pb = readTensorFile(tempPath("rt.pb"));
  auto npy = readTensorFile(tempPath("rt.npy"));
  REQUIRE(pb.ok());
  REQUIRE(npy.ok());
  CHECK(pb->name == "named");
  CHECK(floatsOf(pb->tensor) == floatsOf(npy->tensor));
  std::remove(tempPath("rt.pb").c_str());
  std::remove(tempPath("rt.npy").c_str());

  auto ext = readTensorFile("weights.bin");
  REQUIRE_FALSE(ext.ok());
  CHECK_THAT(ext.message(), Catch::Contains("expected .npy or .pb"));
}

TEST_CASE("TensorIO: TensorProto size disagreements are errors", "[tensorio]") {
  // dims [1000000000000] with 8 raw bytes: must fail before allocating.
  Tensor small = Tensor::f32({2}, {1, 2});
  std::string bytes = encodeTensorProto(small);
  std::string huge;
  huge += '\x08';
  huge += std::string("\x80\xa0\x94\xa5\x8d\x1d", 6);  // varint 10^12
  huge += bytes.substr(2);                               // data_type and raw_data of `small`
  auto r = parseTensorProto(huge);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.message(), Catch::Contains("raw_data has 8 bytes"));

  std::string noType = "\x08\x02";
  auto t = parseTensorProto(noType);
  REQUIRE_FALSE(t.ok());
  CHECK_THAT(t.message(), Catch::Contains("no data_type"));
}

TEST_CASE("TensorIO: truncated and garbage tensor files give errors, not crashes", "[tensorio]") {
  std::vector<std::string> valid = {encodeNpy(Tensor::f32({3, 2}, {1, 2, 3, 4, 5, 6})),
                                    npyF8, npyV2, npyB1, pbFloatData, pbInt64Data,
                                    pbDoubleData, pbRawFloat,
                                    encodeTensorProto(Tensor::i64({2, 2}, {1, 2, 3, 4}), "name")};
  size_t errors = 0;
  for (const std::string& file : valid) {
    bool isNpy = file.rfind("\x93NUMPY", 0) == 0;
    for (size_t cut = 0; cut < file.size(); ++cut) {
      std::string prefix = file.substr(0, cut);
      if (isNpy) {
        errors += parseNpy(prefix).ok() ? 0 : 1;
      } else {
        // A protobuf prefix that ends on a field boundary can be a valid
        // (smaller) message; what matters is that it never crashes.
        auto result = parseTensorProto(prefix);
        errors += result.ok() ? 0 : 1;
      }
    }
  }
  CHECK(errors > 0);

  // Random bytes and random single-byte corruptions of valid files.
  std::mt19937 rng(1234);
  for (int round = 0; round < 2000; ++round) {
    std::string junk(rng() % 96, '\0');
    for (char& c : junk) c = char(rng());
    (void)parseNpy(junk);
    (void)parseTensorProto(junk);
    std::string corrupt = valid[size_t(round) % valid.size()];
    corrupt[rng() % corrupt.size()] = char(rng());
    (void)parseNpy(corrupt);
    (void)parseTensorProto(corrupt);
  }
  // Every npy prefix is an error (the format has no valid shorter form).
  std::string npy = valid[0];
  for (size_t cut = 0; cut < npy.size(); ++cut) CHECK_FALSE(parseNpy(npy.substr(0, cut)).ok());
}

namespace {

bool writeFileBytes(const std::string& bytes, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  return file.write(bytes.data(), std::streamsize(bytes.size())) && file.flush();
}

}  // namespace

TEST_CASE("TensorIO: readers name the element type the file stores", "[tensorio]") {
  // Types the runtime has read as themselves; int16 widens to i64, and
  // messages about a file should still name what the file holds.
  std::string path = tempPath("stored_i4.npy");
  REQUIRE(writeFileBytes(npyI4, path));
  auto i4 = readTensorFile(path);
  REQUIRE(i4.ok());
  CHECK(i4->tensor.typeString() == "i32[3]");
  CHECK(i4->storedType == "i32");
  CHECK(storedTypeString(i4->tensor, i4->storedType) == "i32[3]");

  std::string i2 = npyI4;
  i2.replace(i2.find("<i4"), 3, "<i2");
  i2.resize(i2.size() - 6);  // three 2-byte values: 1, -2, 3 (little-endian) then cut
  i2.replace(i2.size() - 6, 6, std::string("\x01\x00\xfe\xff\x03\x00", 6));
  path = tempPath("stored_i2.npy");
  REQUIRE(writeFileBytes(i2, path));
  auto wide = readTensorFile(path);
  INFO((wide.ok() ? std::string() : wide.message()));
  REQUIRE(wide.ok());
  CHECK(intsOf(wide->tensor) == std::vector<int64_t>{1, -2, 3});
  CHECK(storedTypeString(wide->tensor, wide->storedType) == "i16[3] (read as i64)");

  path = tempPath("stored_f8.npy");
  REQUIRE(writeFileBytes(npyF8, path));
  auto f8 = readTensorFile(path);
  REQUIRE(f8.ok());
  CHECK(f8->storedType == "f64");
  CHECK(storedTypeString(f8->tensor, f8->storedType) == "f64[2,2]");

  path = tempPath("stored_f4.npy");
  REQUIRE(writeNpy(Tensor::f32({2}, {1, 2}), path).ok());
  auto f4 = readTensorFile(path);
  REQUIRE(f4.ok());
  CHECK(f4->storedType == "f32");
  CHECK(storedTypeString(f4->tensor, f4->storedType) == "f32[2]");

  auto pbI32 = parseTensorProto(pbInt32Data);
  REQUIRE(pbI32.ok());
  CHECK(pbI32->storedType == "i32");
  CHECK(storedTypeString(pbI32->tensor, pbI32->storedType) == "i32[2]");
}

TEST_CASE("TensorIO: every runtime element type round-trips through .npy and .pb", "[tensorio][dtype]") {
  Tensor held = Tensor::i64({5}, {0, 1, -1, 127, 255});
  for (ElementType type : {ElementType::F32, ElementType::I64, ElementType::Bool, ElementType::I32,
                           ElementType::I8, ElementType::U8, ElementType::F64}) {
    Tensor t = held.convertedTo(type);
    INFO(elementTypeName(type));
    auto npy = parseNpy(encodeNpy(t));
    REQUIRE(npy.ok());
    CHECK(npy->type() == type);
    CHECK(intsOf(*npy) == intsOf(t));
    auto pb = parseTensorProto(encodeTensorProto(t, "t"));
    REQUIRE(pb.ok());
    CHECK(pb->tensor.type() == type);
    CHECK(intsOf(pb->tensor) == intsOf(t));
  }
}
