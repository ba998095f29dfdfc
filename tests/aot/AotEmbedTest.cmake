# The embedding example of docs/aot.md, exactly as the page shows it: the C
# program after the `<!-- embed.c -->` marker is extracted, built with the
# system's C compiler against the traffic-sign model compiled with
# --emit=lib (or --emit=obj + the runtime archive), run on the ONNX test
# data's input, and its output compared with output_0.
#   cmake -DCOMPILER=nutshell-compile -DTOOL=aot_tensor_tool -DDOC=docs/aot.md
#         -DMODELS=tests/models -DRUNTIME_LIB=libnutshell_runtime.a -DWORK=dir
#         -DEMIT=lib|obj -P AotEmbedTest.cmake
set(AOT_REQUIRED_VARS COMPILER TOOL DOC MODELS RUNTIME_LIB WORK EMIT)
include(${CMAKE_CURRENT_LIST_DIR}/AotTestUtil.cmake)

file(READ ${DOC} doc)
string(FIND "${doc}" "<!-- embed.c -->" marker)
if(marker EQUAL -1)
  message(FATAL_ERROR "${DOC} has no '<!-- embed.c -->' marker")
endif()
string(SUBSTRING "${doc}" ${marker} -1 doc)
string(FIND "${doc}" "```c\n" begin)
string(FIND "${doc}" "\n```\n" end)
if(begin EQUAL -1 OR end EQUAL -1 OR end LESS begin)
  message(FATAL_ERROR "no ```c code block after the embed.c marker in ${DOC}")
endif()
math(EXPR begin "${begin} + 5")
math(EXPR length "${end} - ${begin} + 1")
string(SUBSTRING "${doc}" ${begin} ${length} program)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/embed.c "${program}")

set(data ${MODELS}/trafficsign/test_data_set_0)
set(cc cc)
if(DEFINED ENV{CC} AND NOT "$ENV{CC}" STREQUAL "")
  separate_arguments(cc UNIX_COMMAND "$ENV{CC}")  # e.g. "ccache gcc"
endif()
# The commands of docs/aot.md, with the test data's batch of 2.
if(EMIT STREQUAL "lib")
  aot_run(_ 0 ${COMPILER} ${MODELS}/trafficsign/model.onnx --input-shape x=2x3x32x32 --emit=lib
          -o ${WORK}/libtrafficsign.a)
  set(link ${WORK}/libtrafficsign.a)
else()
  aot_run(_ 0 ${COMPILER} ${MODELS}/trafficsign/model.onnx --input-shape x=2x3x32x32 --emit=obj
          -o ${WORK}/trafficsign.o)
  set(link ${WORK}/trafficsign.o ${RUNTIME_LIB})
endif()
if(NOT EXISTS ${WORK}/trafficsign.h)
  message(FATAL_ERROR "nutshell-compile wrote no header ${WORK}/trafficsign.h")
endif()
aot_run(_ 0 ${cc} -std=c11 -O2 -Wall -Wextra -Werror -I${WORK} ${WORK}/embed.c ${link} -lstdc++ -lm -lpthread
        ${EXTRA_LINK_FLAGS} -o ${WORK}/embed)
aot_run(_ 0 ${TOOL} to-raw ${data}/input_0.pb ${WORK}/input.f32)
aot_run(out 0 ${WORK}/embed ${WORK}/input.f32 ${WORK}/scores.f32)
aot_expect_match("${out}" "image 1: class [0-9]+" "embed")
aot_expect_match("${out}" "model trafficsign: input 'x' of rank 4, output '[^']+' of 43 classes" "the info table")
aot_expect_match("${out}" "no workspace: a NULL pointer" "the run status")
aot_expect_match("${out}" "misaligned workspace: a misaligned pointer" "the run status")
aot_run(_ 0 ${TOOL} compare ${WORK}/scores.f32 ${data}/output_0.pb --raw --rtol 1e-4 --atol 1e-5)
# Its error path: a short input file is reported, exit 2.
file(WRITE ${WORK}/short.f32 "1234")
aot_run(out 2 ${WORK}/embed ${WORK}/short.f32 ${WORK}/scores.f32)
