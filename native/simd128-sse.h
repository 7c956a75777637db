// The subset of <wasm_simd128.h> that wasm/kernels.c uses, on x86 SSE4.1, so the same source builds
// as a native addon. Each intrinsic has the same IEEE float32 semantics lane for lane (no FMA unless
// the build asks for contraction), so the native step equals the WASM one bit for bit.
#pragma once
#include <smmintrin.h>
#include <stdint.h>

typedef __m128 v128_t;

#define wasm_f32x4_const_splat(x) _mm_set1_ps(x)
#define wasm_f32x4_splat(x) _mm_set1_ps(x)
static inline v128_t wasm_v128_load(const void *p) {
  return _mm_loadu_ps((const float *)p);
}
static inline void wasm_v128_store(void *p, v128_t v) {
  _mm_storeu_ps((float *)p, v);
}
static inline v128_t wasm_v128_load32_splat(const void *p) {
  return _mm_set1_ps(*(const float *)p);
}
static inline v128_t wasm_f32x4_add(v128_t a, v128_t b) {
  return _mm_add_ps(a, b);
}
static inline v128_t wasm_f32x4_sub(v128_t a, v128_t b) {
  return _mm_sub_ps(a, b);
}
static inline v128_t wasm_f32x4_mul(v128_t a, v128_t b) {
  return _mm_mul_ps(a, b);
}
static inline v128_t wasm_f32x4_div(v128_t a, v128_t b) {
  return _mm_div_ps(a, b);
}
// Only used as min/max(x, constant): SSE returns its second operand when either is NaN, so x goes
// second and NaN propagates as in WASM; zeros of both signs never meet here.
static inline v128_t wasm_f32x4_min(v128_t a, v128_t b) {
  return _mm_min_ps(b, a);
}
static inline v128_t wasm_f32x4_max(v128_t a, v128_t b) {
  return _mm_max_ps(b, a);
}
static inline v128_t wasm_f32x4_neg(v128_t a) {
  return _mm_xor_ps(a, _mm_set1_ps(-0.0f));
}
static inline v128_t wasm_f32x4_floor(v128_t a) {
  return _mm_floor_ps(a);
}
static inline v128_t wasm_i32x4_trunc_sat_f32x4(v128_t a) {
  return _mm_castsi128_ps(_mm_cvttps_epi32(a));
}
static inline v128_t wasm_i32x4_splat(int32_t x) {
  return _mm_castsi128_ps(_mm_set1_epi32(x));
}
static inline v128_t wasm_i32x4_add(v128_t a, v128_t b) {
  return _mm_castsi128_ps(_mm_add_epi32(_mm_castps_si128(a), _mm_castps_si128(b)));
}
static inline v128_t wasm_i32x4_shl(v128_t a, int n) {
  return _mm_castsi128_ps(_mm_slli_epi32(_mm_castps_si128(a), n));
}
static inline float wasm_f32x4_extract_lane(v128_t a, int lane) {
  (void)lane;
  return _mm_cvtss_f32(a);
}
