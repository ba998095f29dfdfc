# The quick start's job (scripts/quickstart.sh): the trained digits network
# compiled for one image classifies the 360 held-out digits as PyTorch did
# when it was trained (examples/digits/train.py printed 97.22%, 350 of 360);
# at least 95% whatever the CPU's rounding.
#   cmake -DCOMPILER=nutshell-compile -DEXAMPLE=examples/digits -DWORK=dir -P AotDigitsTest.cmake
set(AOT_REQUIRED_VARS COMPILER EXAMPLE WORK)
include(${CMAKE_CURRENT_LIST_DIR}/AotTestUtil.cmake)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
aot_run(_ 0 ${COMPILER} ${EXAMPLE}/model.onnx --input-shape x=1x1x8x8 -o ${WORK}/digits)
aot_run(out 0 ${WORK}/digits --input x=${EXAMPLE}/test_x.npy --labels ${EXAMPLE}/test_y.npy --bench 2)
aot_expect_match("${out}" "row 0: top class 9 \\(score [^)]+\\), label 9" "the first prediction")
aot_expect_match("${out}" "ms_per_run: [0-9.]+" "the time per image")
string(REGEX MATCH "accuracy: ([0-9.]+)% \\(([0-9]+) of 360 rows\\)" _ "${out}")
if(NOT CMAKE_MATCH_2 OR CMAKE_MATCH_2 LESS 342)
  message(FATAL_ERROR "held-out accuracy below 95% (${CMAKE_MATCH_2} of 360 right)")
endif()
