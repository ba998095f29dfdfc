# One model end to end: nutshell-compile it to an executable for the shape of
# its ONNX test data, run the executable on input_0 (converted to .npy) and
# compare its .npy output with output_0 (rtol 1e-4, or 1e-3 when an FFT or
# Winograd convolution was chosen: their transforms round differently).
#   cmake -DCOMPILER=nutshell-compile -DTOOL=aot_tensor_tool -DMODEL=model.onnx|.nsir
#         -DTEST_DATA=dir -DWORK=dir -DNAME=name [-DTHREADS_CHECK=ON] -P AotModelTest.cmake
set(AOT_REQUIRED_VARS COMPILER TOOL MODEL TEST_DATA WORK NAME)
include(${CMAKE_CURRENT_LIST_DIR}/AotTestUtil.cmake)

file(MAKE_DIRECTORY ${WORK})
set(exe ${WORK}/${NAME})
aot_run(shape 0 ${TOOL} shape ${TEST_DATA}/input_0.pb)
string(STRIP "${shape}" shape)

# The input's name comes from the model: ask the compiled program.
aot_run(log 0 ${COMPILER} ${MODEL} --input-shape=x=${shape} -o ${exe} -v)
set(rtol 1e-4)
if(log MATCHES "\\| (fft|winograd)")  # the kernel lines of -v: "... | fft n=32 conv 11x11 ..."
  set(rtol 1e-3)
endif()
aot_run(help 0 ${exe} --help)
string(REGEX MATCH "\\(%([^:]+):" _ "${help}")
set(input ${CMAKE_MATCH_1})
string(REGEX MATCH "-> \\(%([^:]+):" _ "${help}")
set(output ${CMAKE_MATCH_1})
if(NOT input STREQUAL "x" OR output STREQUAL "")
  message(FATAL_ERROR "unexpected signature in --help: ${help}")
endif()

aot_run(_ 0 ${TOOL} convert ${TEST_DATA}/input_0.pb ${WORK}/${NAME}_input.npy)
aot_run(_ 0 ${exe} --input ${input}=${WORK}/${NAME}_input.npy --output ${output}=${WORK}/${NAME}_output.npy)
message("comparing with rtol ${rtol}")
aot_run(_ 0 ${TOOL} compare ${WORK}/${NAME}_output.npy ${TEST_DATA}/output_0.pb --rtol ${rtol} --atol 1e-5)

# Parallel kernels split work statically: any thread count gives the same bits.
if(THREADS_CHECK)
  aot_run(_ 0 ${exe} --input ${input}=${WORK}/${NAME}_input.npy --output ${output}=${WORK}/${NAME}_output_t1.npy
          --threads 1)
  aot_run(_ 0 ${exe} --input ${input}=${WORK}/${NAME}_input.npy --output ${output}=${WORK}/${NAME}_output_t3.npy
          --threads 3 --bench 3)
  aot_run(_ 0 ${TOOL} compare ${WORK}/${NAME}_output_t1.npy ${WORK}/${NAME}_output_t3.npy --rtol 0 --atol 0)
endif()
