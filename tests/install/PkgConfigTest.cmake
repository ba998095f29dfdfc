# nutshell-runtime.pc: the AOT consumer of InstallTest.cmake built again with
# a plain `cc` command line and `pkg-config --libs nutshell-runtime` from the
# prefix that test installed, run, compared with the test data. Without
# pkg-config the test says so and ctest reports it skipped.
#   cmake -DMODELS=tests/models -DTOOL=aot_tensor_tool -DWORK=dir -P PkgConfigTest.cmake
set(AOT_REQUIRED_VARS MODELS TOOL WORK)
include(${CMAKE_CURRENT_LIST_DIR}/../aot/AotTestUtil.cmake)

find_program(PKG_CONFIG NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG)
  message("pkg-config is not installed: nutshell-runtime.pc not checked")
  return()
endif()
set(prefix ${WORK}/prefix)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
aot_run(libdir 0 ${PKG_CONFIG} --variable=libdir nutshell-runtime)
# The file locates itself (${pcfiledir}), so the prefix it names is the one installed.
file(REAL_PATH "${prefix}/lib" expected)
string(STRIP "${libdir}" libdir)
file(REAL_PATH "${libdir}" libdir)
if(NOT libdir STREQUAL expected)
  message(FATAL_ERROR "nutshell-runtime.pc names libdir '${libdir}', not '${expected}'")
endif()
aot_run(libs 0 ${PKG_CONFIG} --libs nutshell-runtime)
separate_arguments(libs UNIX_COMMAND "${libs}")

set(cc cc)
if(DEFINED ENV{CC} AND NOT "$ENV{CC}" STREQUAL "")
  separate_arguments(cc UNIX_COMMAND "$ENV{CC}")  # e.g. "ccache gcc"
endif()
aot_run(_ 0 ${cc} -std=c11 -O2 -Wall -Wextra -Werror -I${WORK}/model ${CMAKE_CURRENT_LIST_DIR}/aot_consumer/aot_consumer.c
        ${WORK}/model/model.o ${libs} -o ${WORK}/aot_pkg_config)
aot_run(out 0 ${WORK}/aot_pkg_config ${WORK}/input.f32 ${WORK}/aot_pkg_config.f32)
aot_expect_match("${out}" "aot_consumer: ran" "aot_pkg_config")
aot_run(_ 0 ${TOOL} compare ${WORK}/aot_pkg_config.f32 ${MODELS}/trafficsign/test_data_set_0/output_0.pb --raw
        --rtol 1e-4 --atol 1e-5)
