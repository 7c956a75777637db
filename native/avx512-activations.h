// AVX-512 float32 activations shared by native/step-avx512.h and native/kernels-addon.c: op for op
// as exp32 / sigmoid32 / tanh32 in src/models/kernels/activations.ts and v_exp / v_sigmoid / v_tanh in
// wasm/kernels.c, so every engine gives the same bits. min/max take the constant first so that a NaN
// input stays NaN, as Math.min / Math.max do. The includer enables AVX-512 (a target pragma or -march).
#ifndef TIDECAST_AVX512_ACTIVATIONS_H
#define TIDECAST_AVX512_ACTIVATIONS_H
#include <immintrin.h>

typedef __m512 v16;

static inline v16 x_exp(v16 x) {
  x = _mm512_min_ps(_mm512_set1_ps(87.0f), _mm512_max_ps(_mm512_set1_ps(-87.0f), x));
  v16 n =
      _mm512_roundscale_ps(_mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _mm512_set1_ps(0.5f)),
                           _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  v16 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
  r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.12194440e-4f)));
  v16 z = _mm512_mul_ps(r, r);
  v16 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_add_ps(_mm512_mul_ps(y, r), _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_add_ps(_mm512_mul_ps(y, z), r);
  y = _mm512_add_ps(y, _mm512_set1_ps(1.0f));
  __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(e));
}

static inline v16 x_neg(v16 a) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u)));
}

static inline v16 x_sigmoid(v16 x) {
  v16 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, x_exp(x_neg(x))));
}

static inline v16 x_tanh(v16 x) {
  x = _mm512_min_ps(_mm512_set1_ps(7.90531110763549805f), _mm512_max_ps(_mm512_set1_ps(-7.90531110763549805f), x));
  v16 x2 = _mm512_mul_ps(x, x);
  v16 p = _mm512_set1_ps(-2.76076847742355e-16f);
  p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(2.00018790482477e-13f));
  p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(-8.60467152213735e-11f));
  p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(5.12229709037114e-08f));
  p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(1.48572235717979e-05f));
  p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(6.37261928875436e-04f));
  p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(4.89352455891786e-03f));
  p = _mm512_mul_ps(p, x);
  v16 q = _mm512_set1_ps(1.19825839466702e-06f);
  q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(1.18534705686654e-04f));
  q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(2.26843463243900e-03f));
  q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(4.89352518554385e-03f));
  return _mm512_div_ps(p, q);
}

#endif
