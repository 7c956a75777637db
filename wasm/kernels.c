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
// native/step-addon.c includes this file: same source, SSE4.1 stand-ins, pointers relative to MEM_BASE.
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
  if (mode == EPI_STORE)
    wasm_v128_store(c, s);
  else if (mode == EPI_ADD_C)
    wasm_v128_store(c, wasm_f32x4_add(wasm_v128_load(c), s));
  else
    wasm_v128_store(c, wasm_f32x4_add(s, wasm_v128_load(bias)));
}

static inline void epi1(f32 *c, f32 s, int mode, const f32 *bias) {
  if (mode == EPI_STORE)
    *c = s;
  else if (mode == EPI_ADD_C)
    *c = *c + s;
  else
    *c = s + *bias;
}

// A(i,p) = a[i*ars + p*acs]; B(p,j) = panel[p*ldb + j] where the panel holds columns j0..j0+7.
static inline void mk_4x8(int k, const f32 *a, int ars, int acs, const f32 *b, int ldb, f32 *c, int ldc, int mode,
                          const f32 *bias) {
  vf s00 = wasm_f32x4_const_splat(0), s01 = s00, s10 = s00, s11 = s00;
  vf s20 = s00, s21 = s00, s30 = s00, s31 = s00;
  const f32 *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int p = 0; p < k; p++) {
    vf b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    vf x;
    x = wasm_v128_load32_splat(a0);
    s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x, b0));
    s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a1);
    s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x, b0));
    s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a2);
    s20 = wasm_f32x4_add(s20, wasm_f32x4_mul(x, b0));
    s21 = wasm_f32x4_add(s21, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a3);
    s30 = wasm_f32x4_add(s30, wasm_f32x4_mul(x, b0));
    s31 = wasm_f32x4_add(s31, wasm_f32x4_mul(x, b1));
    a0 += acs;
    a1 += acs;
    a2 += acs;
    a3 += acs;
    b += ldb;
  }
  epi4(c, s00, mode, bias);
  epi4(c + 4, s01, mode, bias + 4);
  c += ldc;
  epi4(c, s10, mode, bias);
  epi4(c + 4, s11, mode, bias + 4);
  c += ldc;
  epi4(c, s20, mode, bias);
  epi4(c + 4, s21, mode, bias + 4);
  c += ldc;
  epi4(c, s30, mode, bias);
  epi4(c + 4, s31, mode, bias + 4);
}

static inline void mk_1x8(int k, const f32 *a, int acs, const f32 *b, int ldb, f32 *c, int mode, const f32 *bias) {
  vf s0 = wasm_f32x4_const_splat(0), s1 = s0;
  for (int p = 0; p < k; p++) {
    vf x = wasm_v128_load32_splat(a);
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(x, wasm_v128_load(b)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(x, wasm_v128_load(b + 4)));
    a += acs;
    b += ldb;
  }
  epi4(c, s0, mode, bias);
  epi4(c + 4, s1, mode, bias + 4);
}

static inline void mk_1x4(int k, const f32 *a, int acs, const f32 *b, int ldb, f32 *c, int mode, const f32 *bias) {
  vf s0 = wasm_f32x4_const_splat(0);
  for (int p = 0; p < k; p++) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load32_splat(a), wasm_v128_load(b)));
    a += acs;
    b += ldb;
  }
  epi4(c, s0, mode, bias);
}

static inline void mk_1x1(int k, const f32 *a, int acs, const f32 *b, int ldb, f32 *c, int mode, const f32 *bias) {
  f32 s = 0.0f;
  for (int p = 0; p < k; p++) {
    s = s + *a * *b;
    a += acs;
    b += ldb;
  }
  epi1(c, s, mode, bias);
}

// C[m x n] (ldc) <- epilogue(A · B). B columns j live in panel (j / 8) at b + (j/8)*pstride, row
// stride ldb inside the panel; for a plain row-major B pass pstride = 8, ldb = n. Columns past the
// last full panel are read as plain row-major (only the unpacked case has them).
static void gemm_core(int m, int n, int k, const f32 *a, int ars, int acs, const f32 *b, int ldb, int pstride, f32 *c,
                      int ldc, int mode, const f32 *bias) {
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
  vf n = wasm_f32x4_floor(
      wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), wasm_f32x4_splat(0.5f)));
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

#ifndef TIDECAST_NATIVE
// ---- Pointwise training kernels (Kernels interface; reference: portable-pointwise.ts) ----------
// Four lanes at a time; a row's last u % 4 columns run the same vector ops on one lane (splat in,
// lane 0 out), so every element sees the reference's float32 sequence. The native addon keeps its
// own AVX-512 copy (native/kernels-addon.c), so this part is WASM only.

enum { ACT_TANH = 0, ACT_RELU = 1, ACT_LINEAR = 2, ACT_SIGMOID = 3, ACT_HARD_SIGMOID = 4 };

static inline vf pw_ld(const f32 *p, int lanes) {
  return lanes == 4 ? wasm_v128_load(p) : wasm_v128_load32_splat(p);
}
static inline void pw_st(f32 *p, vf v, int lanes) {
  if (lanes == 4)
    wasm_v128_store(p, v);
  else
    *p = wasm_f32x4_extract_lane(v, 0);
}
static inline vf pw_gt0(vf x) {
  return wasm_f32x4_gt(x, wasm_f32x4_splat(0.0f));
}

static inline vf v_act(int code, vf x) {
  switch (code) {
  case ACT_TANH:
    return v_tanh(x);
  case ACT_RELU:
    return wasm_v128_and(x, pw_gt0(x)); // x > 0 ? x : 0 (NaN -> 0)
  case ACT_SIGMOID:
    return v_sigmoid(x);
  case ACT_HARD_SIGMOID: {
    vf y = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_splat(0.2f), x), wasm_f32x4_splat(0.5f));
    vf zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
    y = wasm_v128_bitselect(zero, y, wasm_f32x4_lt(y, zero));
    return wasm_v128_bitselect(one, y, wasm_f32x4_gt(y, one));
  }
  default:
    return x;
  }
}

static inline vf v_slope(int code, vf y) {
  vf zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  switch (code) {
  case ACT_TANH:
    return wasm_f32x4_sub(one, wasm_f32x4_mul(y, y));
  case ACT_RELU:
    return wasm_v128_and(one, pw_gt0(y));
  case ACT_SIGMOID:
    return wasm_f32x4_mul(y, wasm_f32x4_sub(one, y));
  case ACT_HARD_SIGMOID:
    return wasm_v128_and(wasm_f32x4_splat(0.2f), wasm_v128_and(wasm_f32x4_gt(y, zero), wasm_f32x4_lt(y, one)));
  default:
    return one;
  }
}

#define PW_ADD wasm_f32x4_add
#define PW_SUB wasm_f32x4_sub
#define PW_MUL wasm_f32x4_mul

EXPORT("lstm_forward")
void lstm_forward(int batch, int u, int gate, int act, const f32 *pre, const f32 *bias, const f32 *peep,
                  const f32 *c_prev, f32 *h_out, f32 *c_out, f32 *cache) {
  for (int b = 0; b < batch; b++) {
    const f32 *p = pre + b * 4 * u, *cpr = c_prev + b * u;
    f32 *q = cache + b * 5 * u, *ho = h_out + b * u, *co = c_out + b * u;
    for (int j = 0; j < u;) {
      const int n = u - j >= 4 ? 4 : 1;
      vf cp = pw_ld(cpr + j, n);
      vf ai = PW_ADD(pw_ld(p + j, n), pw_ld(bias + j, n));
      vf af = PW_ADD(pw_ld(p + u + j, n), pw_ld(bias + u + j, n));
      if (peep) {
        ai = PW_ADD(ai, PW_MUL(pw_ld(peep + j, n), cp));
        af = PW_ADD(af, PW_MUL(pw_ld(peep + u + j, n), cp));
      }
      vf i = v_act(gate, ai), f = v_act(gate, af);
      vf g = v_act(act, PW_ADD(pw_ld(p + 2 * u + j, n), pw_ld(bias + 2 * u + j, n)));
      vf c = PW_ADD(PW_MUL(f, cp), PW_MUL(i, g));
      vf ao = PW_ADD(pw_ld(p + 3 * u + j, n), pw_ld(bias + 3 * u + j, n));
      if (peep) ao = PW_ADD(ao, PW_MUL(pw_ld(peep + 2 * u + j, n), c));
      vf o = v_act(gate, ao), ac = v_act(act, c);
      pw_st(co + j, c, n);
      pw_st(ho + j, PW_MUL(o, ac), n);
      pw_st(q + j, i, n);
      pw_st(q + u + j, f, n);
      pw_st(q + 2 * u + j, g, n);
      pw_st(q + 3 * u + j, o, n);
      pw_st(q + 4 * u + j, ac, n);
      j += n;
    }
  }
}

EXPORT("lstm_backward")
void lstm_backward(int batch, int u, int gate, int act, const f32 *cache, const f32 *c_prev, const f32 *c_cur,
                   const f32 *dh_in, f32 *dc_io, f32 *da, const f32 *peep, f32 *peep_grad) {
  for (int b = 0; b < batch; b++) {
    const f32 *q = cache + b * 5 * u;
    f32 *a = da + b * 4 * u;
    const int s = b * u;
    for (int j = 0; j < u;) {
      const int n = u - j >= 4 ? 4 : 1;
      vf i = pw_ld(q + j, n), f = pw_ld(q + u + j, n), g = pw_ld(q + 2 * u + j, n);
      vf o = pw_ld(q + 3 * u + j, n), ac = pw_ld(q + 4 * u + j, n);
      vf cp = pw_ld(c_prev + s + j, n), dh = pw_ld(dh_in + s + j, n);
      vf dao = PW_MUL(PW_MUL(dh, ac), v_slope(gate, o));
      vf dc = PW_ADD(pw_ld(dc_io + s + j, n), PW_MUL(PW_MUL(dh, o), v_slope(act, ac)));
      if (peep) dc = PW_ADD(dc, PW_MUL(dao, pw_ld(peep + 2 * u + j, n)));
      vf dai = PW_MUL(PW_MUL(dc, g), v_slope(gate, i));
      vf daf = PW_MUL(PW_MUL(dc, cp), v_slope(gate, f));
      vf dag = PW_MUL(PW_MUL(dc, i), v_slope(act, g));
      pw_st(a + j, dai, n);
      pw_st(a + u + j, daf, n);
      pw_st(a + 2 * u + j, dag, n);
      pw_st(a + 3 * u + j, dao, n);
      dc = PW_MUL(dc, f);
      if (peep) dc = PW_ADD(PW_ADD(dc, PW_MUL(dai, pw_ld(peep + j, n))), PW_MUL(daf, pw_ld(peep + u + j, n)));
      pw_st(dc_io + s + j, dc, n);
      if (peep_grad) {
        pw_st(peep_grad + j, PW_ADD(pw_ld(peep_grad + j, n), PW_MUL(dai, cp)), n);
        pw_st(peep_grad + u + j, PW_ADD(pw_ld(peep_grad + u + j, n), PW_MUL(daf, cp)), n);
        pw_st(peep_grad + 2 * u + j, PW_ADD(pw_ld(peep_grad + 2 * u + j, n), PW_MUL(dao, pw_ld(c_cur + s + j, n))), n);
      }
      j += n;
    }
  }
}

EXPORT("gru_forward")
void gru_forward(int batch, int u, int gate, int act, const f32 *pre, const f32 *rec, const f32 *bias,
                 const f32 *h_prev, f32 *h_out, f32 *cache) {
  const int g3 = 3 * u;
  const f32 *rb = bias + g3;
  for (int b = 0; b < batch; b++) {
    const f32 *p = pre + b * g3, *r0 = rec + b * g3;
    f32 *q = cache + b * 4 * u;
    const int s = b * u;
    for (int j = 0; j < u;) {
      const int n = u - j >= 4 ? 4 : 1;
      vf z =
          v_act(gate, PW_ADD(PW_ADD(pw_ld(p + j, n), pw_ld(bias + j, n)), PW_ADD(pw_ld(r0 + j, n), pw_ld(rb + j, n))));
      vf r = v_act(gate, PW_ADD(PW_ADD(pw_ld(p + u + j, n), pw_ld(bias + u + j, n)),
                                PW_ADD(pw_ld(r0 + u + j, n), pw_ld(rb + u + j, n))));
      vf rh = PW_ADD(pw_ld(r0 + 2 * u + j, n), pw_ld(rb + 2 * u + j, n));
      vf nn = v_act(act, PW_ADD(PW_ADD(pw_ld(p + 2 * u + j, n), pw_ld(bias + 2 * u + j, n)), PW_MUL(r, rh)));
      vf h = PW_ADD(PW_MUL(z, pw_ld(h_prev + s + j, n)), PW_MUL(PW_SUB(wasm_f32x4_splat(1.0f), z), nn));
      pw_st(h_out + s + j, h, n);
      pw_st(q + j, z, n);
      pw_st(q + u + j, r, n);
      pw_st(q + 2 * u + j, nn, n);
      pw_st(q + 3 * u + j, rh, n);
      j += n;
    }
  }
}

EXPORT("gru_backward")
void gru_backward(int batch, int u, int gate, int act, const f32 *cache, const f32 *h_prev, const f32 *dh_in,
                  f32 *dh_prev, f32 *da, f32 *dar) {
  const int g3 = 3 * u;
  for (int b = 0; b < batch; b++) {
    const f32 *q = cache + b * 4 * u;
    f32 *a = da + b * g3, *ar = dar + b * g3;
    const int s = b * u;
    for (int j = 0; j < u;) {
      const int n = u - j >= 4 ? 4 : 1;
      vf z = pw_ld(q + j, n), r = pw_ld(q + u + j, n), nn = pw_ld(q + 2 * u + j, n), rh = pw_ld(q + 3 * u + j, n);
      vf dh = pw_ld(dh_in + s + j, n), hp = pw_ld(h_prev + s + j, n);
      vf dan = PW_MUL(PW_MUL(dh, PW_SUB(wasm_f32x4_splat(1.0f), z)), v_slope(act, nn));
      vf dr = PW_MUL(PW_MUL(dan, rh), v_slope(gate, r));
      vf dz = PW_MUL(PW_MUL(dh, PW_SUB(hp, nn)), v_slope(gate, z));
      pw_st(a + j, dz, n);
      pw_st(a + u + j, dr, n);
      pw_st(a + 2 * u + j, dan, n);
      pw_st(ar + j, dz, n);
      pw_st(ar + u + j, dr, n);
      pw_st(ar + 2 * u + j, PW_MUL(dan, r), n);
      if (dh_prev) pw_st(dh_prev + s + j, PW_ADD(pw_ld(dh_prev + s + j, n), PW_MUL(dh, z)), n);
      j += n;
    }
  }
}

EXPORT("elman_forward")
void elman_forward(int batch, int u, int act, const f32 *pre, const f32 *bias, f32 *h_out, f32 *cache) {
  for (int b = 0; b < batch; b++)
    for (int j = 0; j < u;) {
      const int n = u - j >= 4 ? 4 : 1;
      const int s = b * u + j;
      vf h = v_act(act, PW_ADD(pw_ld(pre + s, n), pw_ld(bias + j, n)));
      pw_st(h_out + s, h, n);
      pw_st(cache + s, h, n);
      j += n;
    }
}

EXPORT("elman_backward") void elman_backward(int count, int act, const f32 *dh, const f32 *cache, f32 *da) {
  for (int i = 0; i < count;) {
    const int n = count - i >= 4 ? 4 : 1;
    pw_st(da + i, PW_MUL(pw_ld(dh + i, n), v_slope(act, pw_ld(cache + i, n))), n);
    i += n;
  }
}

EXPORT("column_sums") void column_sums(int rows, int cols, const f32 *m, f32 *out) {
  for (int j = 0; j < cols;) {
    const int n = cols - j >= 4 ? 4 : 1;
    vf s = pw_ld(out + j, n);
    for (int r = 0; r < rows; r++) s = PW_ADD(s, pw_ld(m + r * cols + j, n));
    pw_st(out + j, s, n);
    j += n;
  }
}
#endif

#include "step.c"
