/* Runs a model compiled ahead of time with --name model (any model with one
 * input and one output): raw input bytes in, raw output bytes out, for
 * InstallTest.cmake to compare with the model's test data. Built with CMake
 * (nutshell::runtime) and with pkg-config's link line (nutshell-runtime).
 *   aot_consumer IN.raw OUT.raw
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

/* Reads exactly `size` bytes; returns 0 on success. */
static int read_exactly(const char* path, void* data, size_t size) {
  FILE* f = fopen(path, "rb");
  if (!f) return -1;
  size_t got = fread(data, 1, size, f);
  int extra = fgetc(f) != EOF;
  fclose(f);
  return got == size && !extra ? 0 : -1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s IN.raw OUT.raw\n", argv[0]);
    return 2;
  }
  int status = 2;
  void* input = malloc(MODEL_INPUT_0_BYTES);
  void* output = malloc(MODEL_OUTPUT_0_BYTES);
  /* aligned_alloc wants a size that is a multiple of the alignment (and not 0). */
  size_t workspace_bytes = MODEL_WORKSPACE_BYTES == 0 ? 64 : (MODEL_WORKSPACE_BYTES + 63) / 64 * 64;
  void* workspace = aligned_alloc(MODEL_WORKSPACE_ALIGNMENT, workspace_bytes);
  FILE* f = NULL;
  if (!input || !output || !workspace) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }
  if (read_exactly(argv[1], input, MODEL_INPUT_0_BYTES) != 0) {
    fprintf(stderr, "%s: expected %lld bytes for input '%s' of %s\n", argv[1], (long long)MODEL_INPUT_0_BYTES,
            MODEL_INPUT_0_NAME, MODEL_SIGNATURE);
    goto done;
  }
  void* inputs[MODEL_NUM_INPUTS] = {input};
  void* outputs[MODEL_NUM_OUTPUTS] = {output};
  model_run(inputs, outputs, workspace);

  f = fopen(argv[2], "wb");
  int written = f && fwrite(output, 1, MODEL_OUTPUT_0_BYTES, f) == MODEL_OUTPUT_0_BYTES;
  if (f && fclose(f) != 0) written = 0;
  if (!written) {
    fprintf(stderr, "cannot write %s\n", argv[2]);
    goto done;
  }
  printf("aot_consumer: ran %s\n", MODEL_SIGNATURE);
  status = fflush(stdout) == 0 ? 0 : 2;

done:
  free(input);
  free(output);
  free(workspace);
  return status;
}
