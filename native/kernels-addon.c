// N-API addon implementing the Kernels interface (src/models/kernels/kernels.ts) on AVX-512, loaded
// by src/models/kernels/native-kernels.ts; built by scripts/build-native.mjs (-march=native,
// -ffp-contract=off). It works in place on the callers' Float32Arrays (napi typed array info): no
// copies. Results equal portable.ts / portable-pointwise.ts bit for bit: every GEMM output sums
// float32 products in increasing k with separate mul and add (no FMA), vectorised across output
// columns only; pointwise kernels run the reference's float32 operation sequence lane by lane.
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>

typedef __m512 vf;
// Constants through double, then float: the same rounding as Math.fround(<double literal>) in TS.
#define F(x) ((float)(x))
#define SPLAT(x) _mm512_set1_ps(F(x))
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define MUL _mm512_mul_ps
#define DIV _mm512_div_ps

static inline __mmask16 tail_mask(int left) {
  return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}
static inline vf load(const float *p, __mmask16 k) {
  return _mm512_maskz_loadu_ps(k, p);
}
static inline void store(float *p, vf v, __mmask16 k) {
  _mm512_mask_storeu_ps(p, k, v);
}

// ---------------------------------------------------------------------------------------------
// GEMM: C[m×n] (row stride n) = beta·C + A·B, A(i,p) = a[i·ars + p·acs], B row-major (stride ldb).
// Tiles of MR rows × NV·16 columns keep MR·NV accumulators in registers; column blocks run outer
// so one block of B stays in L1 while the row tiles stream past it.

#define NV_MAX 4
#define COLS (16 * NV_MAX)

static inline __attribute__((always_inline)) void tile(const int MR, const int NV, int k, const float *a, long ars,
                                                       long acs, const float *b, long ldb, float *c, long ldc, int beta,
                                                       __mmask16 last) {
  vf acc[6][NV_MAX];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int p = 0; p < k; p++) {
    vf bv[NV_MAX];
    for (int v = 0; v < NV; v++) bv[v] = v == NV - 1 ? load(b + 16 * v, last) : _mm512_loadu_ps(b + 16 * v);
    for (int r = 0; r < MR; r++) {
      vf x = _mm512_set1_ps(a[r * ars]);
      for (int v = 0; v < NV; v++) acc[r][v] = ADD(acc[r][v], MUL(x, bv[v]));
    }
    a += acs;
    b += ldb;
  }
  for (int r = 0; r < MR; r++) {
    for (int v = 0; v < NV; v++) {
      __mmask16 km = v == NV - 1 ? last : (__mmask16)0xFFFF;
      float *cp = c + r * ldc + 16 * v;
      vf s = acc[r][v];
      if (beta) s = ADD(load(cp, km), s);
      store(cp, s, km);
    }
  }
}

#define ROWS_FOR(NV)                                                                                                   \
  for (; i + 4 <= m; i += 4) tile(4, NV, k, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, beta, last);              \
  for (; i < m; i++) tile(1, NV, k, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, beta, last);

static void gemm_core(int m, int n, int k, const float *a, long ars, long acs, const float *b0, long ldb, float *c0,
                      int beta) {
  const long ldc = n;
  for (int j = 0; j < n; j += COLS) {
    const int w = n - j < COLS ? n - j : COLS;
    const int nv = (w + 15) / 16;
    const __mmask16 last = tail_mask(w - 16 * (nv - 1));
    const float *b = b0 + j;
    float *c = c0 + j;
    int i = 0;
    switch (nv) {
    case 1:
      ROWS_FOR(1) break;
    case 2:
      ROWS_FOR(2) break;
    case 3:
      ROWS_FOR(3) break;
    default:
      ROWS_FOR(4) break;
    }
  }
}

// bᵀ for gemmTransB: the SIMD loop wants b's rows along the output columns. Grown once, reused;
// one per thread, since worker threads may load the addon and call it at the same time.
static _Thread_local float *scratch;
static _Thread_local size_t scratch_len;

static float *take_scratch(size_t floats) {
  if (floats > scratch_len) {
    free(scratch);
    scratch = aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64);
    scratch_len = scratch == NULL ? 0 : floats;
  }
  return scratch;
}

#define SHUF4(a, b, imm) _mm512_shuffle_f32x4(a, b, imm)

/** dst row i (stride ds) = column i of the 16×16 block at src (stride ss): shuffles only, exact. */
static inline void transpose16(const float *src, long ss, float *dst, long ds) {
  vf r[16], t[16];
  for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * ss);
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; i++) {
    t[i] = SHUF4(r[i], r[i + 4], 0x88);
    t[i + 4] = SHUF4(r[i], r[i + 4], 0xDD);
    t[i + 8] = SHUF4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = SHUF4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; i++) {
    r[i] = SHUF4(t[i], t[i + 8], 0x88);
    r[i + 8] = SHUF4(t[i], t[i + 8], 0xDD);
  }
  for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + i * ds, r[i]);
}

/** bt[p·n + j] = b[j·k + p]: 16×16 register blocks, scalar edges. */
static void transpose(int n, int k, const float *b, float *bt) {
  const int n16 = n & ~15, k16 = k & ~15;
  for (int j0 = 0; j0 < n16; j0 += 16)
    for (int p0 = 0; p0 < k16; p0 += 16) transpose16(b + (long)j0 * k + p0, k, bt + (long)p0 * n + j0, n);
  for (int j = 0; j < n; j++)
    for (int p = j < n16 ? k16 : 0; p < k; p++) bt[(long)p * n + j] = b[(long)j * k + p];
}

// ---------------------------------------------------------------------------------------------
// Float32 activations, shared with the fused step (bit-identical to activations.ts).
#include "avx512-activations.h"

enum { ACT_TANH = 0, ACT_RELU = 1, ACT_LINEAR = 2, ACT_SIGMOID = 3, ACT_HARD_SIGMOID = 4 };

static inline vf v_act(int code, vf x) {
  switch (code) {
  case ACT_TANH:
    return x_tanh(x);
  case ACT_RELU:
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), x);
  case ACT_SIGMOID:
    return x_sigmoid(x);
  case ACT_HARD_SIGMOID: {
    vf y = ADD(MUL(SPLAT(0.2), x), SPLAT(0.5));
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_ps());
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, SPLAT(1), _CMP_GT_OQ), SPLAT(1));
  }
  default:
    return x;
  }
}

/** The derivative in terms of the output y, as slope32 in portable-pointwise.ts. */
static inline vf v_slope(int code, vf y) {
  const vf zero = _mm512_setzero_ps(), one = SPLAT(1);
  switch (code) {
  case ACT_TANH:
    return SUB(one, MUL(y, y));
  case ACT_RELU:
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ), one);
  case ACT_SIGMOID:
    return MUL(y, SUB(one, y));
  case ACT_HARD_SIGMOID: {
    __mmask16 in = _mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ) & _mm512_cmp_ps_mask(y, one, _CMP_LT_OQ);
    return _mm512_maskz_mov_ps(in, SPLAT(0.2));
  }
  default:
    return one;
  }
}

// ---------------------------------------------------------------------------------------------
// Pointwise training kernels (the TS reference is portable-pointwise.ts, same names and order).

static void lstm_forward(int batch, int u, int gate, int act, const float *pre, const float *bias, const float *peep,
                         const float *c_prev, float *h_out, float *c_out, float *cache) {
  for (int b = 0; b < batch; b++) {
    const float *p = pre + (long)b * 4 * u;
    const float *cpr = c_prev + (long)b * u;
    float *q = cache + (long)b * 5 * u;
    for (int j = 0; j < u; j += 16) {
      const __mmask16 k = tail_mask(u - j);
      vf cp = load(cpr + j, k);
      vf ai = ADD(load(p + j, k), load(bias + j, k));
      vf af = ADD(load(p + u + j, k), load(bias + u + j, k));
      if (peep) {
        ai = ADD(ai, MUL(load(peep + j, k), cp));
        af = ADD(af, MUL(load(peep + u + j, k), cp));
      }
      vf i = v_act(gate, ai), f = v_act(gate, af);
      vf g = v_act(act, ADD(load(p + 2 * u + j, k), load(bias + 2 * u + j, k)));
      vf c = ADD(MUL(f, cp), MUL(i, g));
      vf ao = ADD(load(p + 3 * u + j, k), load(bias + 3 * u + j, k));
      if (peep) ao = ADD(ao, MUL(load(peep + 2 * u + j, k), c));
      vf o = v_act(gate, ao);
      vf ac = v_act(act, c);
      store(c_out + (long)b * u + j, c, k);
      store(h_out + (long)b * u + j, MUL(o, ac), k);
      store(q + j, i, k);
      store(q + u + j, f, k);
      store(q + 2 * u + j, g, k);
      store(q + 3 * u + j, o, k);
      store(q + 4 * u + j, ac, k);
    }
  }
}

static void lstm_backward(int batch, int u, int gate, int act, const float *cache, const float *c_prev,
                          const float *c_cur, const float *dh_in, float *dc_io, float *da, const float *peep,
                          float *peep_grad) {
  for (int b = 0; b < batch; b++) {
    const float *q = cache + (long)b * 5 * u;
    float *a = da + (long)b * 4 * u;
    const long s = (long)b * u;
    for (int j = 0; j < u; j += 16) {
      const __mmask16 k = tail_mask(u - j);
      vf i = load(q + j, k), f = load(q + u + j, k), g = load(q + 2 * u + j, k);
      vf o = load(q + 3 * u + j, k), ac = load(q + 4 * u + j, k);
      vf cp = load(c_prev + s + j, k);
      vf dh = load(dh_in + s + j, k);
      vf dao = MUL(MUL(dh, ac), v_slope(gate, o));
      vf dc = ADD(load(dc_io + s + j, k), MUL(MUL(dh, o), v_slope(act, ac)));
      if (peep) dc = ADD(dc, MUL(dao, load(peep + 2 * u + j, k)));
      vf dai = MUL(MUL(dc, g), v_slope(gate, i));
      vf daf = MUL(MUL(dc, cp), v_slope(gate, f));
      vf dag = MUL(MUL(dc, i), v_slope(act, g));
      store(a + j, dai, k);
      store(a + u + j, daf, k);
      store(a + 2 * u + j, dag, k);
      store(a + 3 * u + j, dao, k);
      dc = MUL(dc, f);
      if (peep) dc = ADD(ADD(dc, MUL(dai, load(peep + j, k))), MUL(daf, load(peep + u + j, k)));
      store(dc_io + s + j, dc, k);
      if (peep_grad) {
        store(peep_grad + j, ADD(load(peep_grad + j, k), MUL(dai, cp)), k);
        store(peep_grad + u + j, ADD(load(peep_grad + u + j, k), MUL(daf, cp)), k);
        store(peep_grad + 2 * u + j, ADD(load(peep_grad + 2 * u + j, k), MUL(dao, load(c_cur + s + j, k))), k);
      }
    }
  }
}

static void gru_forward(int batch, int u, int gate, int act, const float *pre, const float *rec, const float *bias,
                        const float *h_prev, float *h_out, float *cache) {
  const int g3 = 3 * u;
  const float *rb = bias + g3;
  for (int b = 0; b < batch; b++) {
    const float *p = pre + (long)b * g3, *r0 = rec + (long)b * g3;
    float *q = cache + (long)b * 4 * u;
    const long s = (long)b * u;
    for (int j = 0; j < u; j += 16) {
      const __mmask16 k = tail_mask(u - j);
      vf z = v_act(gate, ADD(ADD(load(p + j, k), load(bias + j, k)), ADD(load(r0 + j, k), load(rb + j, k))));
      vf r = v_act(gate,
                   ADD(ADD(load(p + u + j, k), load(bias + u + j, k)), ADD(load(r0 + u + j, k), load(rb + u + j, k))));
      vf rh = ADD(load(r0 + 2 * u + j, k), load(rb + 2 * u + j, k));
      vf n = v_act(act, ADD(ADD(load(p + 2 * u + j, k), load(bias + 2 * u + j, k)), MUL(r, rh)));
      vf h = ADD(MUL(z, load(h_prev + s + j, k)), MUL(SUB(SPLAT(1), z), n));
      store(h_out + s + j, h, k);
      store(q + j, z, k);
      store(q + u + j, r, k);
      store(q + 2 * u + j, n, k);
      store(q + 3 * u + j, rh, k);
    }
  }
}

static void gru_backward(int batch, int u, int gate, int act, const float *cache, const float *h_prev,
                         const float *dh_in, float *dh_prev, float *da, float *dar) {
  const int g3 = 3 * u;
  for (int b = 0; b < batch; b++) {
    const float *q = cache + (long)b * 4 * u;
    float *a = da + (long)b * g3, *ar = dar + (long)b * g3;
    const long s = (long)b * u;
    for (int j = 0; j < u; j += 16) {
      const __mmask16 k = tail_mask(u - j);
      vf z = load(q + j, k), r = load(q + u + j, k), n = load(q + 2 * u + j, k), rh = load(q + 3 * u + j, k);
      vf dh = load(dh_in + s + j, k);
      vf hp = load(h_prev + s + j, k);
      vf dan = MUL(MUL(dh, SUB(SPLAT(1), z)), v_slope(act, n));
      vf dar_ = MUL(MUL(dan, rh), v_slope(gate, r));
      vf daz = MUL(MUL(dh, SUB(hp, n)), v_slope(gate, z));
      store(a + j, daz, k);
      store(a + u + j, dar_, k);
      store(a + 2 * u + j, dan, k);
      store(ar + j, daz, k);
      store(ar + u + j, dar_, k);
      store(ar + 2 * u + j, MUL(dan, r), k);
      if (dh_prev) store(dh_prev + s + j, ADD(load(dh_prev + s + j, k), MUL(dh, z)), k);
    }
  }
}

static void elman_forward(int batch, int u, int act, const float *pre, const float *bias, float *h_out, float *cache) {
  for (int b = 0; b < batch; b++)
    for (int j = 0; j < u; j += 16) {
      const __mmask16 k = tail_mask(u - j);
      const long s = (long)b * u + j;
      vf h = v_act(act, ADD(load(pre + s, k), load(bias + j, k)));
      store(h_out + s, h, k);
      store(cache + s, h, k);
    }
}

static void elman_backward(int n, int act, const float *dh, const float *cache, float *da) {
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    store(da + i, MUL(load(dh + i, k), v_slope(act, load(cache + i, k))), k);
  }
}

static void column_sums(int rows, int cols, const float *m, float *out) {
  for (int j = 0; j < cols; j += COLS) {
    const int w = cols - j < COLS ? cols - j : COLS;
    vf s[NV_MAX];
    for (int v = 0; v < NV_MAX; v++)
      s[v] = 16 * v < w ? load(out + j + 16 * v, tail_mask(w - 16 * v)) : _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
      const float *row = m + (long)r * cols + j;
      for (int v = 0; v < NV_MAX; v++)
        if (16 * v < w) s[v] = ADD(s[v], load(row + 16 * v, tail_mask(w - 16 * v)));
    }
    for (int v = 0; v < NV_MAX; v++)
      if (16 * v < w) store(out + j + 16 * v, s[v], tail_mask(w - 16 * v));
  }
}

static void adam(int n, float *data, const float *grad, float *m, float *v, float lr, float b1, float b2, float eps) {
  const vf vb1 = _mm512_set1_ps(b1), vb2 = _mm512_set1_ps(b2), c1 = _mm512_set1_ps(1.0f - b1),
           c2 = _mm512_set1_ps(1.0f - b2);
  const vf veps = _mm512_set1_ps(eps), vlr = _mm512_set1_ps(lr);
  for (int i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    vf g = load(grad + i, k);
    vf mi = ADD(MUL(vb1, load(m + i, k)), MUL(c1, g));
    vf vi = ADD(MUL(vb2, load(v + i, k)), MUL(MUL(c2, g), g));
    store(m + i, mi, k);
    store(v + i, vi, k);
    vf step = DIV(MUL(vlr, mi), ADD(_mm512_sqrt_ps(vi), veps));
    store(data + i, SUB(load(data + i, k), step), k);
  }
}

// ---------------------------------------------------------------------------------------------
// N-API glue. Every array is checked against the extent the kernel touches, so a wrong call
// throws a RangeError instead of writing outside the array.

#define MAX_ARGS 16

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  bool failed;
} Args;

static bool args_init(Args *s, napi_env env, napi_callback_info info, size_t want, const char *name) {
  s->env = env;
  s->argc = MAX_ARGS;
  s->failed = false;
  if (napi_get_cb_info(env, info, &s->argc, s->argv, NULL, NULL) != napi_ok || s->argc < want) {
    napi_throw_type_error(env, NULL, name);
    return false;
  }
  return true;
}

static void fail(Args *s, const char *msg, bool range) {
  if (s->failed) return;
  s->failed = true;
  if (range)
    napi_throw_range_error(s->env, NULL, msg);
  else
    napi_throw_type_error(s->env, NULL, msg);
}

static int arg_int(Args *s, int i) {
  int32_t v = 0;
  if (!s->failed && napi_get_value_int32(s->env, s->argv[i], &v) != napi_ok)
    fail(s, "expected an integer argument", false);
  return v;
}

static double arg_num(Args *s, int i) {
  double v = 0;
  if (!s->failed && napi_get_value_double(s->env, s->argv[i], &v) != napi_ok)
    fail(s, "expected a number argument", false);
  return v;
}

/** The Float32Array at argument i from element off, with at least `need` elements there (NULL if null allowed). */
static float *arg_f32(Args *s, int i, long off, long need, bool nullable) {
  if (s->failed) return NULL;
  napi_valuetype t;
  if (nullable && napi_typeof(s->env, s->argv[i], &t) == napi_ok && t == napi_null) return NULL;
  bool is = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(s->env, s->argv[i], &is) != napi_ok || !is ||
      napi_get_typedarray_info(s->env, s->argv[i], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    fail(s, "expected a Float32Array argument", false);
    return NULL;
  }
  if (off < 0 || need < 0 || (need > 0 && off + need > (long)length)) {
    fail(s, "array too short for the given sizes and offset", true);
    return NULL;
  }
  return (float *)data + off;
}

static bool dims_ok(Args *s, int a, int b, int c) {
  if (!s->failed && (a < 0 || b < 0 || c < 0)) fail(s, "sizes must be non-negative", true);
  return !s->failed;
}

typedef enum { PLAIN, TRANS_A, TRANS_B } GemmKind;

/** gemm(m, n, k, a, aOff, b, bOff, c, cOff, beta) in its three layouts. */
static napi_value gemm_any(napi_env env, napi_callback_info info, GemmKind kind) {
  Args s;
  if (!args_init(&s, env, info, 10, "gemm(m, n, k, a, aOff, b, bOff, c, cOff, beta)")) return NULL;
  const int m = arg_int(&s, 0), n = arg_int(&s, 1), k = arg_int(&s, 2);
  if (!dims_ok(&s, m, n, k)) return NULL;
  const long mk = (long)m * k, kn = (long)k * n, mn = (long)m * n;
  const float *a = arg_f32(&s, 3, arg_int(&s, 4), mk, false);
  const float *b = arg_f32(&s, 5, arg_int(&s, 6), kn, false);
  float *c = arg_f32(&s, 7, arg_int(&s, 8), mn, false);
  const int beta = arg_int(&s, 9);
  if (s.failed || m == 0 || n == 0) return NULL;
  if (kind == PLAIN)
    gemm_core(m, n, k, a, k, 1, b, n, c, beta);
  else if (kind == TRANS_A)
    gemm_core(m, n, k, a, 1, m, b, n, c, beta);
  else {
    float *bt = take_scratch((size_t)kn);
    if (bt == NULL && kn > 0) {
      napi_throw_error(env, NULL, "gemmTransB: out of memory");
      return NULL;
    }
    transpose(n, k, b, bt);
    gemm_core(m, n, k, a, k, 1, bt, n, c, beta);
  }
  return NULL;
}

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  return gemm_any(env, info, PLAIN);
}
static napi_value js_gemm_trans_a(napi_env env, napi_callback_info info) {
  return gemm_any(env, info, TRANS_A);
}
static napi_value js_gemm_trans_b(napi_env env, napi_callback_info info) {
  return gemm_any(env, info, TRANS_B);
}

/** addColumnSums(rows, cols, m, mOff, out, outOff) */
static napi_value js_column_sums(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 6, "addColumnSums(rows, cols, m, mOff, out, outOff)")) return NULL;
  const int rows = arg_int(&s, 0), cols = arg_int(&s, 1);
  if (!dims_ok(&s, rows, cols, 0)) return NULL;
  const float *m = arg_f32(&s, 2, arg_int(&s, 3), (long)rows * cols, false);
  float *out = arg_f32(&s, 4, arg_int(&s, 5), cols, false);
  if (!s.failed) column_sums(rows, cols, m, out);
  return NULL;
}

/** lstmForward(batch, units, gate, act, pre, preOff, bias, peep, cPrev, cPrevOff, hOut, hOutOff, cOut, cOutOff, cache,
 * cacheOff) */
static napi_value js_lstm_forward(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 16, "lstmForward(...16 arguments)")) return NULL;
  const int batch = arg_int(&s, 0), u = arg_int(&s, 1), gate = arg_int(&s, 2), act = arg_int(&s, 3);
  if (!dims_ok(&s, batch, u, 0)) return NULL;
  const long bu = (long)batch * u;
  const float *pre = arg_f32(&s, 4, arg_int(&s, 5), 4 * bu, false);
  const float *bias = arg_f32(&s, 6, 0, 4L * u, false);
  const float *peep = arg_f32(&s, 7, 0, 3L * u, true);
  const float *c_prev = arg_f32(&s, 8, arg_int(&s, 9), bu, false);
  float *h_out = arg_f32(&s, 10, arg_int(&s, 11), bu, false);
  float *c_out = arg_f32(&s, 12, arg_int(&s, 13), bu, false);
  float *cache = arg_f32(&s, 14, arg_int(&s, 15), 5 * bu, false);
  if (!s.failed) lstm_forward(batch, u, gate, act, pre, bias, peep, c_prev, h_out, c_out, cache);
  return NULL;
}

/** lstmBackward(batch, units, gate, act, cache, cacheOff, c, cPrevOff, cOff, dH, dHOff, dC, dA, dAOff, peep, peepGrad)
 */
static napi_value js_lstm_backward(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 16, "lstmBackward(...16 arguments)")) return NULL;
  const int batch = arg_int(&s, 0), u = arg_int(&s, 1), gate = arg_int(&s, 2), act = arg_int(&s, 3);
  if (!dims_ok(&s, batch, u, 0)) return NULL;
  const long bu = (long)batch * u;
  const float *cache = arg_f32(&s, 4, arg_int(&s, 5), 5 * bu, false);
  const float *c_prev = arg_f32(&s, 6, arg_int(&s, 7), bu, false);
  const float *c_cur = arg_f32(&s, 6, arg_int(&s, 8), bu, false);
  const float *dh = arg_f32(&s, 9, arg_int(&s, 10), bu, false);
  float *dc = arg_f32(&s, 11, 0, bu, false);
  float *da = arg_f32(&s, 12, arg_int(&s, 13), 4 * bu, false);
  const float *peep = arg_f32(&s, 14, 0, 3L * u, true);
  float *peep_grad = arg_f32(&s, 15, 0, 3L * u, true);
  if (!s.failed) lstm_backward(batch, u, gate, act, cache, c_prev, c_cur, dh, dc, da, peep, peep_grad);
  return NULL;
}

/** gruForward(batch, units, gate, act, pre, preOff, rec, bias, hPrev, hPrevOff, hOut, hOutOff, cache, cacheOff) */
static napi_value js_gru_forward(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 14, "gruForward(...14 arguments)")) return NULL;
  const int batch = arg_int(&s, 0), u = arg_int(&s, 1), gate = arg_int(&s, 2), act = arg_int(&s, 3);
  if (!dims_ok(&s, batch, u, 0)) return NULL;
  const long bu = (long)batch * u;
  const float *pre = arg_f32(&s, 4, arg_int(&s, 5), 3 * bu, false);
  const float *rec = arg_f32(&s, 6, 0, 3 * bu, false);
  const float *bias = arg_f32(&s, 7, 0, 6L * u, false);
  const float *h_prev = arg_f32(&s, 8, arg_int(&s, 9), bu, false);
  float *h_out = arg_f32(&s, 10, arg_int(&s, 11), bu, false);
  float *cache = arg_f32(&s, 12, arg_int(&s, 13), 4 * bu, false);
  if (!s.failed) gru_forward(batch, u, gate, act, pre, rec, bias, h_prev, h_out, cache);
  return NULL;
}

/** gruBackward(batch, units, gate, act, cache, cacheOff, hPrev, hPrevOff, dH, dHOff, dHPrevOff, dA, dAr, dAOff) */
static napi_value js_gru_backward(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 14, "gruBackward(...14 arguments)")) return NULL;
  const int batch = arg_int(&s, 0), u = arg_int(&s, 1), gate = arg_int(&s, 2), act = arg_int(&s, 3);
  if (!dims_ok(&s, batch, u, 0)) return NULL;
  const long bu = (long)batch * u;
  const float *cache = arg_f32(&s, 4, arg_int(&s, 5), 4 * bu, false);
  const float *h_prev = arg_f32(&s, 6, arg_int(&s, 7), bu, false);
  const float *dh = arg_f32(&s, 8, arg_int(&s, 9), bu, false);
  const int prev_off = arg_int(&s, 10);
  float *dh_prev = prev_off >= 0 ? arg_f32(&s, 8, prev_off, bu, false) : NULL;
  const int da_off = arg_int(&s, 13);
  float *da = arg_f32(&s, 11, da_off, 3 * bu, false);
  float *dar = arg_f32(&s, 12, da_off, 3 * bu, false);
  if (!s.failed) gru_backward(batch, u, gate, act, cache, h_prev, dh, dh_prev, da, dar);
  return NULL;
}

/** elmanForward(batch, units, act, pre, preOff, bias, hOut, hOutOff, cache, cacheOff) */
static napi_value js_elman_forward(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 10, "elmanForward(...10 arguments)")) return NULL;
  const int batch = arg_int(&s, 0), u = arg_int(&s, 1), act = arg_int(&s, 2);
  if (!dims_ok(&s, batch, u, 0)) return NULL;
  const long bu = (long)batch * u;
  const float *pre = arg_f32(&s, 3, arg_int(&s, 4), bu, false);
  const float *bias = arg_f32(&s, 5, 0, u, false);
  float *h_out = arg_f32(&s, 6, arg_int(&s, 7), bu, false);
  float *cache = arg_f32(&s, 8, arg_int(&s, 9), bu, false);
  if (!s.failed) elman_forward(batch, u, act, pre, bias, h_out, cache);
  return NULL;
}

/** elmanBackward(n, act, dH, dHOff, cache, cacheOff, dA, dAOff) */
static napi_value js_elman_backward(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 8, "elmanBackward(n, act, dH, dHOff, cache, cacheOff, dA, dAOff)")) return NULL;
  const int n = arg_int(&s, 0), act = arg_int(&s, 1);
  if (!dims_ok(&s, n, 0, 0)) return NULL;
  const float *dh = arg_f32(&s, 2, arg_int(&s, 3), n, false);
  const float *cache = arg_f32(&s, 4, arg_int(&s, 5), n, false);
  float *da = arg_f32(&s, 6, arg_int(&s, 7), n, false);
  if (!s.failed) elman_backward(n, act, dh, cache, da);
  return NULL;
}

/** adam(n, data, grad, m, v, lrT, beta1, beta2, epsilon) */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  Args s;
  if (!args_init(&s, env, info, 9, "adam(n, data, grad, m, v, lrT, beta1, beta2, epsilon)")) return NULL;
  const int n = arg_int(&s, 0);
  if (!dims_ok(&s, n, 0, 0)) return NULL;
  float *data = arg_f32(&s, 1, 0, n, false);
  const float *grad = arg_f32(&s, 2, 0, n, false);
  float *m = arg_f32(&s, 3, 0, n, false);
  float *v = arg_f32(&s, 4, 0, n, false);
  const float lr = (float)arg_num(&s, 5), b1 = (float)arg_num(&s, 6), b2 = (float)arg_num(&s, 7),
              eps = (float)arg_num(&s, 8);
  if (!s.failed) adam(n, data, grad, m, v, lr, b1, b2, eps);
  return NULL;
}

static bool cpu_has_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

NAPI_MODULE_INIT() {
  napi_value flag;
  const bool ok = cpu_has_avx512();
  napi_get_boolean(env, ok, &flag);
  napi_set_named_property(env, exports, "avx512", flag);
  if (!ok) return exports; // built here, run elsewhere: the loader falls back
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"gemm", js_gemm},
      {"gemmTransA", js_gemm_trans_a},
      {"gemmTransB", js_gemm_trans_b},
      {"addColumnSums", js_column_sums},
      {"lstmForward", js_lstm_forward},
      {"lstmBackward", js_lstm_backward},
      {"gruForward", js_gru_forward},
      {"gruBackward", js_gru_backward},
      {"elmanForward", js_elman_forward},
      {"elmanBackward", js_elman_backward},
      {"adam", js_adam},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

#else // no AVX-512 at build time: an addon that says so, and the loader uses WASM or portable.

NAPI_MODULE_INIT() {
  napi_value flag;
  napi_get_boolean(env, false, &flag);
  napi_set_named_property(env, exports, "avx512", flag);
  return exports;
}

#endif
