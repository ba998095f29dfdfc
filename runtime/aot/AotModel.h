/* The descriptor through which the AOT executable's main (AotMain.cpp) finds
 * the compiled model. nutshell-compile emits one constant of this layout into
 * every model object, `<prefix>_model_info` (the generated C header's
 * `nutshell_model_info`, returned by `<prefix>_info()`), and for --emit=exe
 * also under the name `nutshell_aot_model` (backends/cpu/ModelDescriptor.cpp),
 * so main needs no generated source and start-up parses nothing: names, shapes
 * and weights are read-only data of the executable.
 *
 * Plain C so that the layout is the C ABI's; bump NUTSHELL_AOT_ABI_VERSION
 * (and aot/ModelDescriptor.cpp) whenever a field changes. */
#ifndef NUTSHELL_RUNTIME_AOT_AOTMODEL_H
#define NUTSHELL_RUNTIME_AOT_AOTMODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NUTSHELL_AOT_ABI_VERSION 2

/* Element types, as in the tensor files: 0 = float32, 1 = int64. */
#define NUTSHELL_AOT_F32 0
#define NUTSHELL_AOT_I64 1

/* What run answers: 0 = ran; otherwise it refused its arguments. */
#define NUTSHELL_AOT_OK 0

typedef struct NutshellAotTensor {
  const char* name;
  int32_t dtype; /* NUTSHELL_AOT_F32 or NUTSHELL_AOT_I64 */
  int32_t rank;
  const int64_t* shape; /* rank sizes, all static */
} NutshellAotTensor;

typedef struct NutshellAotModel {
  int32_t abi_version; /* NUTSHELL_AOT_ABI_VERSION */
  int32_t num_inputs;
  int32_t num_outputs;
  const char* name;      /* the symbol prefix, e.g. "trafficsign" */
  const char* signature; /* "(%x: f32[1,3,32,32]) -> (%y: f32[1,43])" */
  const char* target;    /* "znver4 (x86_64-pc-linux-gnu), 16 x f32 vectors, AVX-512, FMA" */
  const NutshellAotTensor* inputs;
  const NutshellAotTensor* outputs;
  int64_t workspace_bytes;
  /* <prefix>_run: inputs and outputs in graph order, 64-byte aligned workspace;
   * answers NUTSHELL_AOT_OK or a refusal (backends/Backend.h RunStatus). */
  int32_t (*run)(void* const* inputs, void* const* outputs, void* workspace);
} NutshellAotModel;

/* Defined by the model object of an executable built with --emit=exe. */
extern const NutshellAotModel nutshell_aot_model;

#ifdef __cplusplus
}
#endif

#endif /* NUTSHELL_RUNTIME_AOT_AOTMODEL_H */
