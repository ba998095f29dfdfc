# `cmake --install BUILD_DIR --prefix WORK/prefix`, then consumers built outside
# the source tree with find_package(nutshell CONFIG REQUIRED) and nothing else:
#   jit_consumer/  nutshell::api: JIT-compiles the traffic-sign model, runs it;
#   aot_consumer/  nutshell::runtime + the object the installed nutshell-compile
#                  writes (--emit=obj --name model).
# Both outputs must match the model's test data. Leaves WORK/prefix, WORK/model
# (model.o, model.h) and WORK/input.f32 for PkgConfigTest.cmake.
#   cmake -DBUILD_DIR=build -DMODELS=tests/models -DTOOL=aot_tensor_tool -DWORK=dir
#         -DGENERATOR=Ninja -DMAKE_PROGRAM=ninja -DC_COMPILER=cc -DCXX_COMPILER=c++ -P InstallTest.cmake
set(AOT_REQUIRED_VARS BUILD_DIR MODELS TOOL WORK GENERATOR MAKE_PROGRAM C_COMPILER CXX_COMPILER)
include(${CMAKE_CURRENT_LIST_DIR}/../aot/AotTestUtil.cmake)

set(prefix ${WORK}/prefix)
set(data ${MODELS}/trafficsign/test_data_set_0)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/model)

# ---- the layout ------------------------------------------------------------------
aot_run(_ 0 ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
set(headers Expected.h FileRead.h MemoryLimit.h Tensor.h nutshell.h)
foreach(file bin/nutshell-compile bin/nutshell-run bin/nutshell-opt lib/libnutshell_runtime.a
             lib/libnutshell_aot_main.a lib/libnutshell_api.a lib/cmake/nutshell/nutshellConfig.cmake
             lib/cmake/nutshell/nutshellConfigVersion.cmake lib/cmake/nutshell/nutshellTargets.cmake
             lib/pkgconfig/nutshell-runtime.pc)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "the install has no ${file}")
  endif()
endforeach()
# Each public header compiles alone against the installed include folder.
foreach(header ${headers})
  if(NOT EXISTS ${prefix}/include/nutshell/${header})
    message(FATAL_ERROR "the install has no include/nutshell/${header}")
  endif()
  file(WRITE ${WORK}/headers/${header}.cpp "#include \"nutshell/${header}\"\n")
  aot_run(_ 0 ${CXX_COMPILER} -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I${prefix}/include
          ${WORK}/headers/${header}.cpp)
endforeach()
# The installed tools start (they find the libraries they link).
foreach(tool nutshell-compile nutshell-run nutshell-opt)
  aot_run(_ 0 ${prefix}/bin/${tool} --help)
endforeach()

# ---- consumers ---------------------------------------------------------------------
# consumer(NAME cmake-args...): configures and builds NAME/ against the prefix.
function(consumer name)
  aot_run(log 0 ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/${name} -B ${WORK}/${name} -G ${GENERATOR}
          -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
          -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} ${ARGN})
  aot_expect_match("${log}" "${name}: nutshell [0-9.]+ from [^\n]*/prefix/lib/cmake/nutshell" "${name}'s package")
  aot_run(_ 0 ${CMAKE_COMMAND} --build ${WORK}/${name})
endfunction()

aot_run(_ 0 ${TOOL} to-raw ${data}/input_0.pb ${WORK}/input.f32)

# The host API, JIT: the model's test data is a batch of 2.
consumer(jit_consumer)
aot_run(out 0 ${WORK}/jit_consumer/jit_consumer ${MODELS}/trafficsign/model.onnx 2x3x32x32 ${WORK}/input.f32
        ${WORK}/jit.f32)
aot_expect_match("${out}" "jit_consumer: x f32\\[2,3,32,32\\] -> y f32\\[2,43\\] on cpu" "jit_consumer")
aot_run(_ 0 ${TOOL} compare ${WORK}/jit.f32 ${data}/output_0.pb --raw --rtol 1e-4 --atol 1e-5)

# An AOT object from the installed compiler, linked with nutshell::runtime.
aot_run(_ 0 ${prefix}/bin/nutshell-compile ${MODELS}/trafficsign/model.onnx --input-shape x=2x3x32x32 --emit=obj
        --name model -o ${WORK}/model/model.o)
consumer(aot_consumer -DMODEL_OBJECT=${WORK}/model/model.o -DMODEL_HEADER_DIR=${WORK}/model)
aot_run(out 0 ${WORK}/aot_consumer/aot_consumer ${WORK}/input.f32 ${WORK}/aot.f32)
aot_expect_match("${out}" "aot_consumer: ran \\(%x: f32\\[2,3,32,32\\]\\) -> \\(%y: f32\\[2,43\\]\\)" "aot_consumer")
aot_run(_ 0 ${TOOL} compare ${WORK}/aot.f32 ${data}/output_0.pb --raw --rtol 1e-4 --atol 1e-5)
