// N-API addon for the fused batched step (built by scripts/build-native.mjs; loaded by
// src/models/kernels/native-step.ts). Plan, packed weights and scratch live in the stepper's WASM
// memory (JS passes memory.buffer and the plan's byte offset); slots, inputs, the state arena and
// the outputs are the caller's own typed arrays, read and written in place (no copies in JS).
// Two engines, same bits: AVX-512 (16 lanes, step-avx512.h, weights in 16-column panels) where the
// CPU has it, else wasm/step.c on SSE4.1 stand-ins (8-column panels, as the WASM module).
#include <node_api.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>

#define TIDECAST_NATIVE 1
// Plan offsets are relative to the memory of the current call (thread-local: workers may load us).
static __thread uintptr_t tc_mem_base;
#define MEM_BASE tc_mem_base
#include "../wasm/kernels.c"
#include "step-avx512.h"

typedef void (*step_fn)(const int32_t *plan, int count, const int32_t *slots, const f32 *x, f32 *state, f32 *out);

static int avx512_ok; // set once at load

static int has_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}

static void *typed(napi_env env, napi_value v, napi_typedarray_type want, size_t *length) {
  bool is = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  return data;
}

#define FAIL(kind, msg)                                                                                                \
  do {                                                                                                                 \
    napi_throw_##kind(env, NULL, msg);                                                                                 \
    return NULL;                                                                                                       \
  } while (0)

// step(memory, planOffset, count, slots: Int32Array, x: Float32Array, state: Float32Array, out: Float32Array)
static napi_value run_step(napi_env env, napi_callback_info info, step_fn fn) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7)
    FAIL(type_error, "step(memory, plan, count, slots, x, state, out)");
  void *mem = NULL;
  size_t memLength = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &mem, &memLength) != napi_ok)
    FAIL(type_error, "step: memory must be an ArrayBuffer");
  int32_t planAt = 0, count = 0;
  if (napi_get_value_int32(env, argv[1], &planAt) != napi_ok || planAt < 0 || (planAt & 3) != 0 ||
      (size_t)planAt + 16 * 4 > memLength)
    FAIL(range_error, "step: plan offset outside the memory");
  if (napi_get_value_int32(env, argv[2], &count) != napi_ok || count < 0) FAIL(range_error, "step: bad count");
  size_t nSlots = 0, nX = 0, nState = 0, nOut = 0;
  const int32_t *slots = typed(env, argv[3], napi_int32_array, &nSlots);
  const f32 *x = typed(env, argv[4], napi_float32_array, &nX);
  f32 *state = typed(env, argv[5], napi_float32_array, &nState);
  f32 *out = typed(env, argv[6], napi_float32_array, &nOut);
  if ((!slots && nSlots) || (!x && nX) || (!state && nState) || (!out && nOut))
    FAIL(type_error, "step: slots must be an Int32Array, x, state and out Float32Arrays");
  const int32_t *plan = (const int32_t *)((uint8_t *)mem + planAt);
  int32_t layers = plan[1], inSize = plan[2], outSize = plan[3], ss = plan[4];
  if (layers < 1 || (size_t)planAt + (16 + 24 * (size_t)layers) * 4 > memLength || ss <= 0)
    FAIL(range_error, "step: not a step plan");
  if ((size_t)count > nSlots || (size_t)count * inSize > nX || (size_t)count * outSize > nOut)
    FAIL(range_error, "step: slots, x or out shorter than count rows");
  size_t rowsInState = nState / (size_t)ss;
  for (int32_t r = 0; r < count; r++)
    if (slots[r] < 0 || (size_t)slots[r] >= rowsInState) FAIL(range_error, "step: slot outside the state arena");
  if (count == 0) return NULL;
  tc_mem_base = (uintptr_t)mem;
  fn(plan, count, slots, x, state, out);
  return NULL;
}

// Register-only loop of 24 independent 16-lane accumulators: the core's float32 limit for the step's
// arithmetic (fused = 0: mul then add, as the step runs; 1: FMA, for comparison). GFLOP/s.
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
__attribute__((noinline)) static double x_peak(long iters, int fused) {
  v16 acc[24], b0 = _mm512_set1_ps(0.999f), b1 = _mm512_set1_ps(1.001f);
  for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps(0.001f * (float)i);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long it = 0; it < iters; it++) {
    __asm__ volatile("" : "+v"(b0), "+v"(b1)); // keeps the operands opaque: no hoisting
#pragma GCC unroll 24
    for (int i = 0; i < 24; i++) {
      v16 b = (i & 1) ? b1 : b0;
      acc[i] = fused ? _mm512_fmadd_ps(b, b1, acc[i]) : _mm512_add_ps(acc[i], _mm512_mul_ps(b, b1));
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  float sink = 0;
  for (int i = 0; i < 24; i++) sink += _mm512_reduce_add_ps(acc[i]);
  __asm__ volatile("" : : "x"(sink));
  double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  return (double)iters * 24 * 32 / sec / 1e9;
}
#pragma GCC pop_options

// peakGflops(iterations, fused) → GFLOP/s of x_peak, or 0 without AVX-512.
static napi_value peak_gflops(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int64_t iters = 0;
  bool fused = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int64(env, argv[0], &iters) != napi_ok || napi_get_value_bool(env, argv[1], &fused) != napi_ok ||
      iters <= 0)
    FAIL(type_error, "peakGflops(iterations, fused)");
  napi_create_double(env, avx512_ok ? x_peak(iters, fused) : 0, &result);
  return result;
}

static napi_value step_best(napi_env env, napi_callback_info info) {
  return run_step(env, info, avx512_ok ? step_avx512 : step);
}
static napi_value step_sse(napi_env env, napi_callback_info info) {
  return run_step(env, info, step);
}

NAPI_MODULE_INIT() {
  napi_value fn, isa;
  avx512_ok = has_avx512();
  napi_create_function(env, "step", NAPI_AUTO_LENGTH, step_best, NULL, &fn);
  napi_set_named_property(env, exports, "step", fn);
  napi_create_function(env, "stepSse", NAPI_AUTO_LENGTH, step_sse, NULL, &fn);
  napi_set_named_property(env, exports, "stepSse", fn);
  napi_create_function(env, "peakGflops", NAPI_AUTO_LENGTH, peak_gflops, NULL, &fn);
  napi_set_named_property(env, exports, "peakGflops", fn);
  // Panel width the TS side must pack for `step`: 16 (AVX-512) or 8 (SSE, same as WASM).
  napi_create_string_utf8(env, avx512_ok ? "avx512" : "sse4.1", NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, exports, "isa", isa);
  return exports;
}
