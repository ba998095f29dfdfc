// The driver loader's error paths, which every machine without a GPU takes:
// no library at all, and the toolkit's stub library (cuInit answers
// CUDA_ERROR_STUB_LIBRARY). Both must be clear error values, never a crash.
#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include "runtime/CudaDriver.h"

using namespace nutshell;

TEST_CASE("cuda driver: a missing libcuda is a clear 'no GPU' error", "[cuda-driver]") {
  auto driver = cuda::CudaDriver::loadFrom("/nonexistent/libcuda.so.1");
  REQUIRE_FALSE(driver.ok());
  INFO(driver.message());
  CHECK(driver.message().rfind("no GPU: /nonexistent/libcuda.so.1 not found", 0) == 0);
  CHECK(driver.message().find("NUTSHELL_LIBCUDA") != std::string::npos);
  // Asking again answers the same (the failure is remembered, not retried).
  auto again = cuda::CudaDriver::loadFrom("/nonexistent/libcuda.so.1");
  REQUIRE_FALSE(again.ok());
  CHECK(again.message() == driver.message());
}

TEST_CASE("cuda driver: NUTSHELL_LIBCUDA names the library load() opens", "[cuda-driver]") {
  setenv("NUTSHELL_LIBCUDA", "/nonexistent/other-libcuda.so", 1);
  auto driver = cuda::CudaDriver::load();
  unsetenv("NUTSHELL_LIBCUDA");
  REQUIRE_FALSE(driver.ok());
  CHECK(driver.message().find("/nonexistent/other-libcuda.so not found") != std::string::npos);
}

TEST_CASE("cuda driver: the toolkit's stub library is refused with CUDA_ERROR_STUB_LIBRARY",
          "[cuda-driver]") {
  const std::string stub = NUTSHELL_CUDA_STUB_LIBRARY;
  if (stub.empty() || !std::filesystem::exists(stub)) {
    WARN("skipped: no CUDA toolkit stub libcuda.so was found when nutshell was configured");
    return;
  }
  auto driver = cuda::CudaDriver::loadFrom(stub);
  REQUIRE_FALSE(driver.ok());
  INFO(driver.message());
  CHECK(driver.message().rfind(
            "no GPU: " + stub + " is the CUDA toolkit's stub library (CUDA_ERROR_STUB_LIBRARY)", 0) == 0);
}

TEST_CASE("cuda driver: a table without cuInit is refused", "[cuda-driver]") {
  auto driver = cuda::CudaDriver::fromTable(cuda::DriverTable{}, "empty");
  REQUIRE_FALSE(driver.ok());
  CHECK(driver.message() == "cuda: the driver table has no cuInit");
}
