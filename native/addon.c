// Optional native N-API build of the fused step (scripts/build-kernels.sh --native). It runs the
// same C source as the WASM module, on the WASM instance's own memory: JS passes memory.buffer and
// the byte offsets it would pass to the WASM `step` export. Not built on install (npm 11 runs no
// install scripts); the TS loader falls back to WASM when the .node file is absent.
#include <node_api.h>
#include <stdint.h>

#define TIDECAST_NATIVE 1
static uintptr_t tc_mem_base;
#define MEM_BASE tc_mem_base
#include "../wasm/kernels.c"

static napi_value native_step(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) {
    napi_throw_type_error(env, NULL, "step(buffer, plan, count, slots, x, state, out)");
    return NULL;
  }
  void *data = NULL;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "step: first argument must be an ArrayBuffer");
    return NULL;
  }
  int32_t v[6];
  for (int i = 0; i < 6; i++) {
    if (napi_get_value_int32(env, argv[i + 1], &v[i]) != napi_ok || v[i] < 0 || (size_t)v[i] > length) {
      napi_throw_range_error(env, NULL, "step: offsets must be integers inside the buffer");
      return NULL;
    }
  }
  uint8_t *base = (uint8_t *)data;
  tc_mem_base = (uintptr_t)base;
  step((const int32_t *)(base + v[0]), v[1], (const int32_t *)(base + v[2]), (const f32 *)(base + v[3]),
       (f32 *)(base + v[4]), (f32 *)(base + v[5]));
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "step", NAPI_AUTO_LENGTH, native_step, NULL, &fn);
  napi_set_named_property(env, exports, "step", fn);
  return exports;
}
