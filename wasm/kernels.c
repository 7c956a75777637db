// Tidecast WASM SIMD128 kernels: GEMM family and the fused batched recurrent step.
//
// Bit-identity contract (shared with src/models/kernels/portable.ts and step-portable.ts): every output
// element is a sum s that starts at 0 and adds the float32-rounded products a*b in increasing k, then
// an epilogue (store s, c + s, or s + bias). Vectorisation runs across output columns only, so each
// lane performs exactly the scalar sequence. No FMA exists in SIMD128 and clang does not contract.
//
// Build: scripts/build-kernels.sh (clang --target=wasm32 -msimd128 -O3 -nostdlib).

#include <stdint.h>
#ifdef TIDECAST_NATIVE
// native/addon.c includes this file: same source, SSE4.1 stand-ins, pointers relative to MEM_BASE.
#include "../native/simd128-sse.h"
#define EXPORT(name) static
#else
#include <wasm_simd128.h>
#define EXPORT(name) __attribute__((export_name(name)))
#define MEM_BASE 0
#endif
#define MR 4
#define NR 8

typedef float f32;
typedef v128_t vf;

// Epilogue modes.
#define EPI_STORE 0
#define EPI_ADD_C 1
#define EPI_BIAS 2

static inline void epi4(f32 *c, vf s, int mode, const f32 *bias) {
  if (mode == EPI_STORE) wasm_v128_store(c, s);
  else if (mode == EPI_ADD_C) wasm_v128_store(c, wasm_f32x4_add(wasm_v128_load(c), s));
  else wasm_v128_store(c, wasm_f32x4_add(s, wasm_v128_load(bias)));
}

static inline void epi1(f32 *c, f32 s, int mode, const f32 *bias) {
  if (mode == EPI_STORE) *c = s;
  else if (mode == EPI_ADD_C) *c = *c + s;
  else *c = s + *bias;
}

// A(i,p) = a[i*ars + p*acs]; B(p,j) = panel[p*ldb + j] where the panel holds columns j0..j0+7.
static inline void mk_4x8(int k, const f32 *a, int ars, int acs, const f32 *b, int ldb,
                          f32 *c, int ldc, int mode, const f32 *bias) {
  vf s00 = wasm_f32x4_const_splat(0), s01 = s00, s10 = s00, s11 = s00;
  vf s20 = s00, s21 = s00, s30 = s00, s31 = s00;
  const f32 *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int p = 0; p < k; p++) {
    vf b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    vf x;
    x = wasm_v128_load32_splat(a0);
    s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x, b0)); s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a1);
    s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x, b0)); s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a2);
    s20 = wasm_f32x4_add(s20, wasm_f32x4_mul(x, b0)); s21 = wasm_f32x4_add(s21, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a3);
    s30 = wasm_f32x4_add(s30, wasm_f32x4_mul(x, b0)); s31 = wasm_f32x4_add(s31, wasm_f32x4_mul(x, b1));
    a0 += acs; a1 += acs; a2 += acs; a3 += acs; b += ldb;
  }
  epi4(c, s00, mode, bias); epi4(c + 4, s01, mode, bias + 4); c += ldc;
  epi4(c, s10, mode, bias); epi4(c + 4, s11, mode, bias + 4); c += ldc;
  epi4(c, s20, mode, bias); epi4(c + 4, s21, mode, bias + 4); c += ldc;
  epi4(c, s30, mode, bias); epi4(c + 4, s31, mode, bias + 4);
}

static inline void mk_1x8(int k, const f32 *a, int acs, const f32 *b, int ldb,
                          f32 *c, int mode, const f32 *bias) {
  vf s0 = wasm_f32x4_const_splat(0), s1 = s0;
  for (int p = 0; p < k; p++) {
    vf x = wasm_v128_load32_splat(a);
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(x, wasm_v128_load(b)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(x, wasm_v128_load(b + 4)));
    a += acs; b += ldb;
  }
  epi4(c, s0, mode, bias); epi4(c + 4, s1, mode, bias + 4);
}

static inline void mk_1x4(int k, const f32 *a, int acs, const f32 *b, int ldb,
                          f32 *c, int mode, const f32 *bias) {
  vf s0 = wasm_f32x4_const_splat(0);
  for (int p = 0; p < k; p++) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load32_splat(a), wasm_v128_load(b)));
    a += acs; b += ldb;
  }
  epi4(c, s0, mode, bias);
}

static inline void mk_1x1(int k, const f32 *a, int acs, const f32 *b, int ldb,
                          f32 *c, int mode, const f32 *bias) {
  f32 s = 0.0f;
  for (int p = 0; p < k; p++) { s = s + *a * *b; a += acs; b += ldb; }
  epi1(c, s, mode, bias);
}

// C[m x n] (ldc) <- epilogue(A · B). B columns j live in panel (j / 8) at b + (j/8)*pstride, row
// stride ldb inside the panel; for a plain row-major B pass pstride = 8, ldb = n. Columns past the
// last full panel are read as plain row-major (only the unpacked case has them).
static void gemm_core(int m, int n, int k, const f32 *a, int ars, int acs,
                      const f32 *b, int ldb, int pstride, f32 *c, int ldc, int mode, const f32 *bias) {
  int nfull = n & ~(NR - 1);
  int i = 0;
  for (; i + MR <= m; i += MR) {
    const f32 *ai = a + i * ars;
    f32 *ci = c + i * ldc;
    for (int j = 0; j < nfull; j += NR)
      mk_4x8(k, ai, ars, acs, b + (j / NR) * pstride, ldb, ci + j, ldc, mode, bias + j);
  }
  for (; i < m; i++) {
    for (int j = 0; j < nfull; j += NR)
      mk_1x8(k, a + i * ars, acs, b + (j / NR) * pstride, ldb, c + i * ldc + j, mode, bias + j);
  }
  if (nfull == n) return;
  for (i = 0; i < m; i++) {
    int j = nfull;
    for (; j + 4 <= n; j += 4) mk_1x4(k, a + i * ars, acs, b + j, ldb, c + i * ldc + j, mode, bias + j);
    for (; j < n; j++) mk_1x1(k, a + i * ars, acs, b + j, ldb, c + i * ldc + j, mode, bias + j);
  }
}

// ---- Kernels interface -------------------------------------------------------------------------

// c[m×n] = beta·c + A·b[k×n], A(i,p) = a[i*ars + p*acs] (gemm: ars=k, acs=1; transA: ars=1, acs=m).
EXPORT("gemm") void gemm(int m, int n, int k, const f32 *a, int ars, int acs, const f32 *b, f32 *c, int beta) {
  if (m <= 0 || n <= 0) return;
  gemm_core(m, n, k, a, ars, acs, b, n, NR, c, n, beta ? EPI_ADD_C : EPI_STORE, c);
}

// dst[cols×rows] = src[rows×cols]ᵀ, so that gemmTransB becomes a plain gemm on the transposed b.
EXPORT("transpose") void transpose(int rows, int cols, const f32 *src, f32 *dst) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

// ---- Activations (mirrored op for op in src/models/kernels/activations.ts) ------------------------

// exp for x in [-87, 87]: Cody-Waite reduction x = n·ln2 + r, degree-5 polynomial on r, scale by
// 2^n built from bits (n stays within [-126, 126], so 2^n is a normal float).
static inline vf v_exp(vf x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(87.0f));
  vf n = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)),
                                         wasm_f32x4_splat(0.5f)));
  vf r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  vf z = wasm_f32x4_mul(r, r);
  vf y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, z), r);
  y = wasm_f32x4_add(y, wasm_f32x4_splat(1.0f));
  vf scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, scale);
}

static inline vf v_sigmoid(vf x) {
  vf one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, v_exp(wasm_f32x4_neg(x))));
}

// Rational 13/6 minimax tanh (Eigen / XLA / MLAS coefficients), clamped where tanh rounds to ±1.
static inline vf v_tanh(vf x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-7.90531110763549805f)),
                     wasm_f32x4_splat(7.90531110763549805f));
  vf x2 = wasm_f32x4_mul(x, x);
  vf p = wasm_f32x4_splat(-2.76076847742355e-16f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(2.00018790482477e-13f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-8.60467152213735e-11f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(5.12229709037114e-08f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(1.48572235717979e-05f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(6.37261928875436e-04f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(4.89352455891786e-03f));
  p = wasm_f32x4_mul(p, x);
  vf q = wasm_f32x4_splat(1.19825839466702e-06f);
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.18534705686654e-04f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(2.26843463243900e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(4.89352518554385e-03f));
  return wasm_f32x4_div(p, q);
}

// Elementwise exports so the TS tests can pin the approximations lane by lane.
EXPORT("vsigmoid") void vsigmoid(const f32 *x, f32 *y, int n) {
  for (int i = 0; i < n; i += 4) wasm_v128_store(y + i, v_sigmoid(wasm_v128_load(x + i)));
}
EXPORT("vtanh") void vtanh(const f32 *x, f32 *y, int n) {
  for (int i = 0; i < n; i += 4) wasm_v128_store(y + i, v_tanh(wasm_v128_load(x + i)));
}

#include "step.c"
