# --emit=asm on a convolutional net: on a host with AVX-512 the kernels use
# 512-bit registers (zmm) and fused multiply-adds on them; elsewhere the
# entry point must still be there.
#   cmake -DCOMPILER=nutshell-compile -DMODEL=lenet5.onnx -DWORK=dir -P AotAsmTest.cmake
set(AOT_REQUIRED_VARS COMPILER MODEL WORK)
include(${CMAKE_CURRENT_LIST_DIR}/AotTestUtil.cmake)

file(MAKE_DIRECTORY ${WORK})
aot_run(_ 0 ${COMPILER} ${MODEL} --input-shape x=1x1x28x28 --emit=asm --name lenet5 -o ${WORK}/lenet5.s)
file(READ ${WORK}/lenet5.s asm)
aot_expect_match("${asm}" "\nlenet5_run:" "entry point")
aot_expect_match("${asm}" "\nlenet5_workspace_bytes:" "workspace query")
set(cpuinfo "")
if(EXISTS /proc/cpuinfo)
  file(READ /proc/cpuinfo cpuinfo)
endif()
if(cpuinfo MATCHES "avx512f")
  aot_expect_match("${asm}" "vfmadd[0-9a-z]*ps[^\n]*zmm" "AVX-512 FMAs")
  string(REGEX MATCHALL "vfmadd[0-9a-z]*ps[^\n]*zmm" fmas "${asm}")
  list(LENGTH fmas count)
  message("host has avx512f: ${count} zmm FMA instructions in ${WORK}/lenet5.s")
else()
  message("host has no avx512f: zmm not expected")
endif()
