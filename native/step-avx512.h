// AVX-512 (16-lane) fused batched step, included by native/step-addon.c. It reads the same plan
// record as wasm/step.c, except that the TS side packs the gate weights in 16-column panels
// (pstride = k·16, n padded to 16) for this engine.
//
// Bit-identity contract (same as wasm/kernels.c): every gate pre-activation is a sum that starts at
// 0 and adds the float32-rounded products A[p]·W[p][j] in increasing p, then the bias. Lanes run
// across output columns j, never across p, and mul and add stay separate instructions (the build
// passes -ffp-contract=off; no FMA intrinsics here). On Zen 4 mul and add issue on different
// pipes, so the unfused pair costs little against FMA. The activations repeat v_exp / v_sigmoid /
// v_tanh of wasm/kernels.c op for op (and so src/models/kernels/activations.ts).

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw")
#include <immintrin.h>

#define X_MR 6 // rows per micro-kernel
#define X_NV 4 // 16-column vectors per micro-kernel: 6 × 4 = 24 accumulators of 32 registers

static inline __mmask16 x_mask(int lanes) {
  return lanes >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << lanes) - 1u);
}

#include "avx512-activations.h"

// ---- Blocked GEMM: C[rows × np] = A[rows × k]·W (+ bias), W in 16-column panels ---------------------

// mr × nv·16 block. mr and nv are constants at every call site, so after inlining the accumulator
// array lives in registers and the loops unroll. Each accumulator adds its products in p order.
static inline __attribute__((always_inline)) void x_block(const int mr, const int nv, int k, const f32 *a, int lda,
                                                          const f32 *w, int pstride, f32 *c, int ldc, const f32 *bias) {
  v16 s[X_MR][X_NV];
  for (int i = 0; i < mr; i++)
    for (int v = 0; v < nv; v++) s[i][v] = _mm512_setzero_ps();
  for (int p = 0; p < k; p++) {
    v16 b[X_NV];
    for (int v = 0; v < nv; v++) b[v] = _mm512_load_ps(w + v * pstride + p * 16);
    for (int i = 0; i < mr; i++) {
      v16 x = _mm512_set1_ps(a[i * lda + p]);
      for (int v = 0; v < nv; v++) s[i][v] = _mm512_add_ps(s[i][v], _mm512_mul_ps(x, b[v]));
    }
  }
  for (int v = 0; v < nv; v++) {
    v16 bv = bias ? _mm512_loadu_ps(bias + 16 * v) : _mm512_setzero_ps();
    for (int i = 0; i < mr; i++) _mm512_storeu_ps(c + i * ldc + 16 * v, bias ? _mm512_add_ps(s[i][v], bv) : s[i][v]);
  }
}

#define X_ROWS(nv)                                                                                                     \
  do {                                                                                                                 \
    int i = 0;                                                                                                         \
    for (; i + X_MR <= rows; i += X_MR) x_block(X_MR, nv, k, a + i * lda, lda, wq, pstride, cq + i * ldc, ldc, bq);    \
    switch (rows - i) {                                                                                                \
    case 5:                                                                                                            \
      x_block(5, nv, k, a + i * lda, lda, wq, pstride, cq + i * ldc, ldc, bq);                                         \
      break;                                                                                                           \
    case 4:                                                                                                            \
      x_block(4, nv, k, a + i * lda, lda, wq, pstride, cq + i * ldc, ldc, bq);                                         \
      break;                                                                                                           \
    case 3:                                                                                                            \
      x_block(3, nv, k, a + i * lda, lda, wq, pstride, cq + i * ldc, ldc, bq);                                         \
      break;                                                                                                           \
    case 2:                                                                                                            \
      x_block(2, nv, k, a + i * lda, lda, wq, pstride, cq + i * ldc, ldc, bq);                                         \
      break;                                                                                                           \
    case 1:                                                                                                            \
      x_block(1, nv, k, a + i * lda, lda, wq, pstride, cq + i * ldc, ldc, bq);                                         \
      break;                                                                                                           \
    default:                                                                                                           \
      break;                                                                                                           \
    }                                                                                                                  \
  } while (0)

// Column blocks outer, row blocks inner: a block's weight panels (k × 64 floats) are reused by every
// row block of the chunk while they are hot in L1. bias may be null (store the plain sums).
static void x_gemm(int rows, int np, int k, const f32 *a, int lda, const f32 *w, f32 *c, int ldc, const f32 *bias) {
  int pstride = k * 16;
  int nvec = np / 16;
  int q = 0;
  for (; q + X_NV <= nvec; q += X_NV) {
    const f32 *wq = w + q * pstride, *bq = bias ? bias + 16 * q : 0;
    f32 *cq = c + 16 * q;
    X_ROWS(X_NV);
  }
  const f32 *wq = w + q * pstride, *bq = bias ? bias + 16 * q : 0;
  f32 *cq = c + 16 * q;
  switch (nvec - q) {
  case 3:
    X_ROWS(3);
    break;
  case 2:
    X_ROWS(2);
    break;
  case 1:
    X_ROWS(1);
    break;
  default:
    break;
  }
}

// ---- Pointwise gate updates, 16 units at a time (masked tail) -------------------------------------

static inline v16 x_ld(const f32 *p, __mmask16 m) {
  return _mm512_maskz_loadu_ps(m, p);
}
static inline void x_st(f32 *p, v16 v, __mmask16 m) {
  _mm512_mask_storeu_ps(p, m, v);
}

static void x_lstm_pointwise(int rows, int u, const f32 *g, int ldg, const f32 *peep, f32 *state, int ss,
                             const int32_t *slots, int so) {
  for (int r = 0; r < rows; r++) {
    const f32 *gr = g + r * ldg;
    f32 *h = state + (size_t)slots[r] * ss + so, *cs = h + u;
    for (int j = 0; j < u; j += 16) {
      __mmask16 m = x_mask(u - j);
      v16 c = x_ld(cs + j, m);
      v16 zi = x_ld(gr + j, m), zf = x_ld(gr + u + j, m), zc = x_ld(gr + 2 * u + j, m), zo = x_ld(gr + 3 * u + j, m);
      if (peep) {
        zi = _mm512_add_ps(zi, _mm512_mul_ps(x_ld(peep + j, m), c));
        zf = _mm512_add_ps(zf, _mm512_mul_ps(x_ld(peep + u + j, m), c));
      }
      v16 i = x_sigmoid(zi), f = x_sigmoid(zf), gg = x_tanh(zc);
      v16 cn = _mm512_add_ps(_mm512_mul_ps(f, c), _mm512_mul_ps(i, gg));
      if (peep) zo = _mm512_add_ps(zo, _mm512_mul_ps(x_ld(peep + 2 * u + j, m), cn));
      v16 o = x_sigmoid(zo);
      x_st(cs + j, cn, m);
      x_st(h + j, _mm512_mul_ps(o, x_tanh(cn)), m);
    }
  }
}

static void x_elman_pointwise(int rows, int u, const f32 *g, int ldg, f32 *state, int ss, const int32_t *slots,
                              int so) {
  for (int r = 0; r < rows; r++) {
    f32 *h = state + (size_t)slots[r] * ss + so;
    for (int j = 0; j < u; j += 16) {
      __mmask16 m = x_mask(u - j);
      x_st(h + j, x_tanh(x_ld(g + r * ldg + j, m)), m);
    }
  }
}

// h' = z·h + (1 − z)·hh
static inline v16 x_gru_mix(v16 z, v16 h, v16 hh) {
  return _mm512_add_ps(_mm512_mul_ps(z, h), _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), z), hh));
}

static void x_gru_after_pointwise(int rows, int u, const f32 *g1, int ld1, const f32 *g2, int ld2, const f32 *g3,
                                  int ld3, f32 *state, int ss, const int32_t *slots, int so) {
  for (int r = 0; r < rows; r++) {
    const f32 *a = g1 + r * ld1, *x = g2 + r * ld2, *y = g3 + r * ld3;
    f32 *h = state + (size_t)slots[r] * ss + so;
    for (int j = 0; j < u; j += 16) {
      __mmask16 m = x_mask(u - j);
      v16 z = x_sigmoid(x_ld(a + j, m)), rr = x_sigmoid(x_ld(a + u + j, m));
      v16 hh = x_tanh(_mm512_add_ps(x_ld(x + j, m), _mm512_mul_ps(rr, x_ld(y + j, m))));
      x_st(h + j, x_gru_mix(z, x_ld(h + j, m), hh), m);
    }
  }
}

static void x_gru_before_gates(int rows, int u, f32 *g1, int ld1, f32 *a3, const f32 *state, int ss,
                               const int32_t *slots, int so) {
  for (int r = 0; r < rows; r++) {
    f32 *a = g1 + r * ld1;
    const f32 *h = state + (size_t)slots[r] * ss + so;
    for (int j = 0; j < u; j += 16) {
      __mmask16 m = x_mask(u - j);
      x_st(a + j, x_sigmoid(x_ld(a + j, m)), m);
      x_st(a3 + r * u + j, _mm512_mul_ps(x_sigmoid(x_ld(a + u + j, m)), x_ld(h + j, m)), m);
    }
  }
}

static void x_gru_before_update(int rows, int u, const f32 *g1, int ld1, const f32 *g2, int ld2, const f32 *g3, int ld3,
                                f32 *state, int ss, const int32_t *slots, int so) {
  for (int r = 0; r < rows; r++) {
    const f32 *a = g1 + r * ld1, *x = g2 + r * ld2, *y = g3 + r * ld3;
    f32 *h = state + (size_t)slots[r] * ss + so;
    for (int j = 0; j < u; j += 16) {
      __mmask16 m = x_mask(u - j);
      v16 hh = x_tanh(_mm512_add_ps(x_ld(x + j, m), x_ld(y + j, m)));
      x_st(h + j, x_gru_mix(x_ld(a + j, m), x_ld(h + j, m), hh), m);
    }
  }
}

static inline void x_copy(f32 *dst, const f32 *src, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
  if (i < n) x_st(dst + i, x_ld(src + i, x_mask(n - i)), x_mask(n - i));
}

// ---- Layer and step ---------------------------------------------------------------------------------

static void x_step_layer(int kind, const int32_t *L, int rows, const int32_t *slots, const f32 *xin, int xld,
                         f32 *state, int ss) {
  int in = L[0], u = L[1], so = L[2], lda = L[4];
  f32 *A = P(L[3]);
  for (int r = 0; r < rows; r++) {
    const f32 *row = state + (size_t)slots[r] * ss;
    x_copy(A + r * lda, xin == 0 ? row + L[19] : xin + r * xld, in);
    x_copy(A + r * lda + in, row + so, u);
  }
  int n1 = L[6];
  f32 *G1 = P(L[8]);
  x_gemm(rows, n1, in + u, A, lda, P(L[5]), G1, n1, P(L[7]));
  if (kind == K_LSTM || kind == K_LSTM_PEEP) {
    x_lstm_pointwise(rows, u, G1, n1, kind == K_LSTM_PEEP ? P(L[9]) : 0, state, ss, slots, so);
    return;
  }
  if (kind == K_ELMAN) {
    x_elman_pointwise(rows, u, G1, n1, state, ss, slots, so);
    return;
  }
  int n2 = L[11], n3 = L[15];
  f32 *G2 = P(L[13]), *G3 = P(L[17]);
  x_gemm(rows, n2, in, A, lda, P(L[10]), G2, n2, P(L[12]));
  if (kind == K_GRU_AFTER) {
    x_gemm(rows, n3, u, A + in, lda, P(L[14]), G3, n3, P(L[16]));
    x_gru_after_pointwise(rows, u, G1, n1, G2, n2, G3, n3, state, ss, slots, so);
  } else {
    f32 *A3 = P(L[18]);
    x_gru_before_gates(rows, u, G1, n1, A3, state, ss, slots, so);
    x_gemm(rows, n3, u, A3, u, P(L[14]), G3, n3, 0);
    x_gru_before_update(rows, u, G1, n1, G2, n2, G3, n3, state, ss, slots, so);
  }
}

// Dense head on one stream's last h: W is plain row-major [k × n] (not packed).
static void x_head_row(int k, int n, const f32 *h, const f32 *w, const f32 *bias, f32 *out) {
  for (int j = 0; j < n; j += 16) {
    __mmask16 m = x_mask(n - j);
    v16 s = _mm512_setzero_ps();
    for (int p = 0; p < k; p++) s = _mm512_add_ps(s, _mm512_mul_ps(_mm512_set1_ps(h[p]), x_ld(w + p * n + j, m)));
    x_st(out + j, _mm512_add_ps(s, x_ld(bias + j, m)), m);
  }
}

// Dense head for up to 8 outputs, 16 streams per vector (one lane per stream, so each output still
// sums its products over p in order): the per-row form above is one long dependent add chain when
// the head is narrow. hin holds the rows' last h, row-major with stride k.
static void x_head_rows(int rows, int k, int n, const f32 *hin, const f32 *w, const f32 *bias, f32 *out) {
  const __m512i lane =
      _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(k));
  const __m512i outLane =
      _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(n));
  for (int r0 = 0; r0 < rows; r0 += 16) {
    __mmask16 m = x_mask(rows - r0);
    const f32 *h = hin + (size_t)r0 * k;
    v16 s[8];
    for (int j = 0; j < 8; j++) s[j] = _mm512_setzero_ps();
    for (int p = 0; p < k; p++) {
      v16 hp = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, lane, h + p, 4);
      for (int j = 0; j < n; j++) s[j] = _mm512_add_ps(s[j], _mm512_mul_ps(hp, _mm512_set1_ps(w[p * n + j])));
    }
    for (int j = 0; j < n; j++)
      _mm512_mask_i32scatter_ps(out + (size_t)r0 * n + j, m, outLane, _mm512_add_ps(s[j], _mm512_set1_ps(bias[j])), 4);
  }
}

static void step_avx512(const int32_t *plan, int count, const int32_t *slots, const f32 *x, f32 *state, f32 *out) {
  int kind = plan[0], layers = plan[1], inSize = plan[2], outSize = plan[3], ss = plan[4];
  int chunk = plan[8];
  const int32_t *last = plan + 16 + 24 * (layers - 1);
  for (int r0 = 0; r0 < count; r0 += chunk) {
    int rows = count - r0 < chunk ? count - r0 : chunk;
    const int32_t *sl = slots + r0;
    for (int l = 0; l < layers; l++)
      x_step_layer(kind, plan + 16 + 24 * l, rows, sl, l == 0 ? x + (size_t)r0 * inSize : 0, inSize, state, ss);
    if (outSize > 0 && outSize <= 8) {
      f32 *hin = P(plan[7]);
      for (int r = 0; r < rows; r++) x_copy(hin + r * last[1], state + (size_t)sl[r] * ss + last[2], last[1]);
      x_head_rows(rows, last[1], outSize, hin, P(plan[5]), P(plan[6]), out + (size_t)r0 * outSize);
    } else {
      for (int r = 0; outSize > 0 && r < rows; r++)
        x_head_row(last[1], outSize, state + (size_t)sl[r] * ss + last[2], P(plan[5]), P(plan[6]),
                   out + (size_t)(r0 + r) * outSize);
    }
  }
}

#pragma GCC pop_options
