# nutshell-compile and the compile cache: the second compile of the same
# model and options is a hit ("from the compile cache") and its executable
# computes the same bits; another --name is a miss; --no-cache neither reads
# nor writes; a damaged entry is rebuilt with a warning.
#   cmake -DCOMPILER=nutshell-compile -DTOOL=aot_tensor_tool -DMODEL=model.onnx -DINPUT=x.pb -DWORK=dir
#         -P AotCacheTest.cmake   (MODEL: the mlp, f32[2,1,28,28])
set(AOT_REQUIRED_VARS COMPILER TOOL MODEL INPUT WORK)
include(${CMAKE_CURRENT_LIST_DIR}/AotTestUtil.cmake)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(ENV{NUTSHELL_CACHE_DIR} ${WORK}/cache)
aot_run(_ 0 ${TOOL} convert ${INPUT} ${WORK}/x.npy)
# One --name: the prefix defaults to the output's name, and another prefix is other code.
set(compile ${COMPILER} ${MODEL} --input-shape x=2x1x28x28 --name mlp)

aot_run(log 0 ${compile} -o ${WORK}/first --time-passes)
aot_expect_match("${log}" "compile cache: miss" "the first compile")
aot_expect_match("${log}" "nutshell-compile: wrote [^\n]*first: \\(%x: f32\\[2,1,28,28\\]\\) -> [^\n]*, [0-9]+ kernels, [0-9.]+ s\n"
                 "the line saying what was written")
aot_run(log 0 ${compile} -o ${WORK}/second --time-passes)
aot_expect_match("${log}" "compile cache: hit" "the second compile")
aot_expect_match("${log}" "from the compile cache" "the second compile's summary")
aot_run(_ 0 ${WORK}/first --input x=${WORK}/x.npy --output y=${WORK}/first.npy)
aot_run(_ 0 ${WORK}/second --input x=${WORK}/x.npy --output y=${WORK}/second.npy)
aot_run(_ 0 ${TOOL} compare ${WORK}/second.npy ${WORK}/first.npy --rtol 0 --atol 0)

aot_run(log 0 ${COMPILER} ${MODEL} --input-shape x=2x1x28x28 --emit=obj --name other -o ${WORK}/other.o --time-passes -q)
aot_expect_match("${log}" "compile cache: miss" "another prefix")
if(log MATCHES "nutshell-compile: wrote")
  message(FATAL_ERROR "-q printed the summary line")
endif()

file(GLOB entries ${WORK}/cache/*.nscache)
list(LENGTH entries count)
aot_run(log 0 ${compile} -o ${WORK}/third --no-cache --time-passes)
aot_expect_match("${log}" "compile cache: off" "--no-cache")
file(GLOB after ${WORK}/cache/*.nscache)
list(LENGTH after countAfter)
if(NOT count EQUAL countAfter)
  message(FATAL_ERROR "--no-cache wrote an entry (${count} before, ${countAfter} after)")
endif()

# Damage every entry: the next compile warns, rebuilds and still works.
foreach(entry ${entries})
  file(WRITE ${entry} "not an entry")
endforeach()
aot_run(log 0 ${compile} -o ${WORK}/fourth --time-passes)
aot_expect_match("${log}" "warning: compile cache: .* is not a nutshell cache entry of this version; it was removed"
                 "the damaged entry")
aot_expect_match("${log}" "compile cache: miss" "the rebuilt compile")
aot_run(_ 0 ${WORK}/fourth --input x=${WORK}/x.npy --output y=${WORK}/fourth.npy)
aot_run(_ 0 ${TOOL} compare ${WORK}/fourth.npy ${WORK}/first.npy --rtol 0 --atol 0)
