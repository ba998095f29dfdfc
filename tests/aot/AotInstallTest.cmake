# The install layout: `cmake --install BUILD --component aot` puts
# nutshell-compile in PREFIX/bin and the runtime archives in PREFIX/lib; the
# installed compiler must take them from there (not from the build tree) and
# its executables must run.
#   cmake -DBUILD_DIR=build -DMODEL=trafficsign.onnx -DINPUT=x.npy -DWORK=dir -P AotInstallTest.cmake
# (INPUT: one f32[1,3,32,32] image)
set(AOT_REQUIRED_VARS BUILD_DIR MODEL INPUT WORK)
include(${CMAKE_CURRENT_LIST_DIR}/AotTestUtil.cmake)

file(REMOVE_RECURSE ${WORK})
aot_run(_ 0 ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK}/prefix --component aot)
foreach(file bin/nutshell-compile lib/libnutshell_aot_main.a lib/libnutshell_runtime.a)
  if(NOT EXISTS ${WORK}/prefix/${file})
    message(FATAL_ERROR "the install has no ${file}")
  endif()
endforeach()
aot_run(log 0 ${WORK}/prefix/bin/nutshell-compile ${MODEL} --input-shape x=1x3x32x32 -o ${WORK}/trafficsign -v)
aot_expect_match("${log}" "runtime from next to nutshell-compile: [^\n]*/prefix/lib" "runtime location")
aot_run(out 0 ${WORK}/trafficsign --input x=${INPUT} --print)
aot_expect_match("${out}" "top class: [0-9]+" "run")
