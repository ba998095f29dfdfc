# An executable compiled for one image runs a batch: the mlp compiled for
# f32[1,1,28,28] is given its test data's [2,1,28,28] input in one file, runs
# twice and writes the stacked [2,10] output, which must match output_0.
# --labels prints the accuracy of the top classes (100% against labels made
# from the expected output; 0% when every label is shifted), and a label file
# of the wrong length is refused.
#   cmake -DCOMPILER=nutshell-compile -DTOOL=aot_tensor_tool -DMODEL=mlp.onnx
#         -DTEST_DATA=dir -DWORK=dir -P AotBatchTest.cmake
set(AOT_REQUIRED_VARS COMPILER TOOL MODEL TEST_DATA WORK)
include(${CMAKE_CURRENT_LIST_DIR}/AotTestUtil.cmake)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(exe ${WORK}/mlp1)
aot_run(_ 0 ${COMPILER} ${MODEL} --input-shape x=1x1x28x28 -o ${exe})
aot_run(_ 0 ${TOOL} convert ${TEST_DATA}/input_0.pb ${WORK}/batch.npy)
aot_run(out 0 ${exe} --input x=${WORK}/batch.npy --output y=${WORK}/scores.npy --bench 3)
aot_expect_match("${out}" "batch: 2 runs per pass\nms_per_run: [0-9.]+" "the batch's timing")
aot_run(_ 0 ${TOOL} compare ${WORK}/scores.npy ${TEST_DATA}/output_0.pb --rtol 1e-4 --atol 1e-5)

aot_run(_ 0 ${TOOL} argmax ${TEST_DATA}/output_0.pb ${WORK}/labels.npy)
aot_run(out 0 ${exe} --input x=${WORK}/batch.npy --labels ${WORK}/labels.npy)
aot_expect_match("${out}" "row 1: top class [0-9]+ \\(score [^)]+\\), label [0-9]+" "labels beside the classes")
aot_expect_match("${out}" "accuracy: 100.00% \\(2 of 2 rows\\)" "accuracy")
aot_run(_ 0 ${TOOL} argmax ${TEST_DATA}/output_0.pb ${WORK}/wrong.npy --shift 1)
aot_run(out 0 ${exe} --input x=${WORK}/batch.npy --labels ${WORK}/wrong.npy)
aot_expect_match("${out}" "accuracy: 0.00% \\(0 of 2 rows\\)" "accuracy of wrong labels")

# A label file that is not one int64 per row is refused.
aot_run(out 2 ${exe} --input x=${WORK}/batch.npy --labels ${TEST_DATA}/input_0.pb)
aot_expect_match("${out}" "--labels: .* holds f32\\[2,1,28,28\\] but the output has 2 rows: give i64\\[2\\]" "bad labels")
