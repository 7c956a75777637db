// Fused batched recurrent step (included by kernels.c). The plan is an int32 record the TS side
// writes once per stepper (src/models/kernels/step-wasm.ts, writePlan). native/step-avx512.h reads
// the same record with 16-column panels; keep the two in step when either changes:
//   header: [kind, layers, inSize, outSize, stateSize, headW, headB, headIn, chunk, 0...] (16 ints)
//   layer l at 16 + 24·l: [in, units, stateOff, A, lda, W1, N1, b1, G1, peep,
//                          W2, N2, b2, G2, W3, N3, b3, G3, A3, 0...]
// Pointers are byte offsets into this memory (native: from MEM_BASE). W* are packed in 8-column panels (pstride = k·8).
// Rows are processed in chunks so that a chunk's activations stay in L1 while weights stream.

#define K_ELMAN 0
#define K_LSTM 1
#define K_LSTM_PEEP 2
#define K_GRU_AFTER 3
#define K_GRU_BEFORE 4

#define P(x) ((f32 *)(MEM_BASE + (uintptr_t)(x)))

static inline void packed_gemm(int rows, int n, int k, const f32 *a, int lda, const f32 *w, f32 *c, int mode,
                               const f32 *bias) {
  gemm_core(rows, n, k, a, lda, 1, w, NR, k * NR, c, n, mode, bias);
}

static inline void copy_f(f32 *dst, const f32 *src, int n) {
  for (int i = 0; i < n; i++) dst[i] = src[i];
}

// LSTM cell update for 4 lanes; the scalar tail runs it on splats and keeps lane 0.
static inline void lstm_lanes(vf zi, vf zf, vf zc, vf zo, vf c, const f32 *peep, int j, int u, int lanes, vf *hOut,
                              vf *cOut) {
  if (peep) {
    vf pi, pf;
    if (lanes == 4) {
      pi = wasm_v128_load(peep + j);
      pf = wasm_v128_load(peep + u + j);
    } else {
      pi = wasm_v128_load32_splat(peep + j);
      pf = wasm_v128_load32_splat(peep + u + j);
    }
    zi = wasm_f32x4_add(zi, wasm_f32x4_mul(pi, c));
    zf = wasm_f32x4_add(zf, wasm_f32x4_mul(pf, c));
  }
  vf i = v_sigmoid(zi), f = v_sigmoid(zf), g = v_tanh(zc);
  vf cn = wasm_f32x4_add(wasm_f32x4_mul(f, c), wasm_f32x4_mul(i, g));
  if (peep) {
    vf po = lanes == 4 ? wasm_v128_load(peep + 2 * u + j) : wasm_v128_load32_splat(peep + 2 * u + j);
    zo = wasm_f32x4_add(zo, wasm_f32x4_mul(po, cn));
  }
  vf o = v_sigmoid(zo);
  *cOut = cn;
  *hOut = wasm_f32x4_mul(o, v_tanh(cn));
}

static inline vf ld(const f32 *p, int lanes) {
  return lanes == 4 ? wasm_v128_load(p) : wasm_v128_load32_splat(p);
}
static inline void st(f32 *p, vf v, int lanes) {
  if (lanes == 4)
    wasm_v128_store(p, v);
  else
    *p = wasm_f32x4_extract_lane(v, 0);
}

static void lstm_pointwise(int rows, int u, const f32 *g, int ldg, const f32 *peep, f32 *state, int ss,
                           const int32_t *slots, int stateOff) {
  for (int r = 0; r < rows; r++) {
    const f32 *gr = g + r * ldg;
    f32 *h = state + slots[r] * ss + stateOff, *c = h + u;
    for (int j = 0; j < u;) {
      int lanes = j + 4 <= u ? 4 : 1;
      vf hn, cn;
      lstm_lanes(ld(gr + j, lanes), ld(gr + u + j, lanes), ld(gr + 2 * u + j, lanes), ld(gr + 3 * u + j, lanes),
                 ld(c + j, lanes), peep, j, u, lanes, &hn, &cn);
      st(c + j, cn, lanes);
      st(h + j, hn, lanes);
      j += lanes;
    }
  }
}

static void elman_pointwise(int rows, int u, const f32 *g, int ldg, f32 *state, int ss, const int32_t *slots,
                            int stateOff) {
  for (int r = 0; r < rows; r++) {
    const f32 *gr = g + r * ldg;
    f32 *h = state + slots[r] * ss + stateOff;
    for (int j = 0; j < u;) {
      int lanes = j + 4 <= u ? 4 : 1;
      st(h + j, v_tanh(ld(gr + j, lanes)), lanes);
      j += lanes;
    }
  }
}

// h' = z·h + (1 − z)·hh
static inline vf gru_mix(vf z, vf h, vf hh) {
  return wasm_f32x4_add(wasm_f32x4_mul(z, h), wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_splat(1.0f), z), hh));
}

// reset_after: hh = tanh(G2 + r·G3) with G3 = h·Rh + b_rec.
static void gru_after_pointwise(int rows, int u, const f32 *g1, int ld1, const f32 *g2, int ld2, const f32 *g3, int ld3,
                                f32 *state, int ss, const int32_t *slots, int stateOff) {
  for (int r = 0; r < rows; r++) {
    const f32 *a = g1 + r * ld1, *x = g2 + r * ld2, *y = g3 + r * ld3;
    f32 *h = state + slots[r] * ss + stateOff;
    for (int j = 0; j < u;) {
      int lanes = j + 4 <= u ? 4 : 1;
      vf z = v_sigmoid(ld(a + j, lanes)), rr = v_sigmoid(ld(a + u + j, lanes));
      vf hh = v_tanh(wasm_f32x4_add(ld(x + j, lanes), wasm_f32x4_mul(rr, ld(y + j, lanes))));
      st(h + j, gru_mix(z, ld(h + j, lanes), hh), lanes);
      j += lanes;
    }
  }
}

// reset_before, phase 1: z kept in G1 (in place), A3 = r·h for the (r·h)·Rh product.
static void gru_before_gates(int rows, int u, f32 *g1, int ld1, f32 *a3, const f32 *state, int ss, const int32_t *slots,
                             int stateOff) {
  for (int r = 0; r < rows; r++) {
    f32 *a = g1 + r * ld1;
    const f32 *h = state + slots[r] * ss + stateOff;
    for (int j = 0; j < u;) {
      int lanes = j + 4 <= u ? 4 : 1;
      st(a + j, v_sigmoid(ld(a + j, lanes)), lanes);
      st(a3 + r * u + j, wasm_f32x4_mul(v_sigmoid(ld(a + u + j, lanes)), ld(h + j, lanes)), lanes);
      j += lanes;
    }
  }
}

// reset_before, phase 2: hh = tanh(G2 + G3).
static void gru_before_update(int rows, int u, const f32 *g1, int ld1, const f32 *g2, int ld2, const f32 *g3, int ld3,
                              f32 *state, int ss, const int32_t *slots, int stateOff) {
  for (int r = 0; r < rows; r++) {
    const f32 *a = g1 + r * ld1, *x = g2 + r * ld2, *y = g3 + r * ld3;
    f32 *h = state + slots[r] * ss + stateOff;
    for (int j = 0; j < u;) {
      int lanes = j + 4 <= u ? 4 : 1;
      vf hh = v_tanh(wasm_f32x4_add(ld(x + j, lanes), ld(y + j, lanes)));
      st(h + j, gru_mix(ld(a + j, lanes), ld(h + j, lanes), hh), lanes);
      j += lanes;
    }
  }
}

static void step_layer(int kind, const int32_t *L, int rows, const int32_t *slots, const f32 *xin, int xld, f32 *state,
                       int ss) {
  int in = L[0], u = L[1], so = L[2], lda = L[4];
  f32 *A = P(L[3]);
  // Gather [layer input | own previous h] rows.
  for (int r = 0; r < rows; r++) {
    copy_f(A + r * lda, xin == 0 ? state + slots[r] * ss + L[19] : xin + r * xld, in);
    copy_f(A + r * lda + in, state + slots[r] * ss + so, u);
  }
  int n1 = L[6];
  f32 *G1 = P(L[8]);
  packed_gemm(rows, n1, in + u, A, lda, P(L[5]), G1, EPI_BIAS, P(L[7]));
  if (kind == K_LSTM || kind == K_LSTM_PEEP) {
    lstm_pointwise(rows, u, G1, n1, kind == K_LSTM_PEEP ? P(L[9]) : 0, state, ss, slots, so);
    return;
  }
  if (kind == K_ELMAN) {
    elman_pointwise(rows, u, G1, n1, state, ss, slots, so);
    return;
  }
  int n2 = L[11], n3 = L[15];
  f32 *G2 = P(L[13]), *G3 = P(L[17]);
  packed_gemm(rows, n2, in, A, lda, P(L[10]), G2, EPI_BIAS, P(L[12]));
  if (kind == K_GRU_AFTER) {
    packed_gemm(rows, n3, u, A + in, lda, P(L[14]), G3, EPI_BIAS, P(L[16]));
    gru_after_pointwise(rows, u, G1, n1, G2, n2, G3, n3, state, ss, slots, so);
  } else {
    f32 *A3 = P(L[18]);
    gru_before_gates(rows, u, G1, n1, A3, state, ss, slots, so);
    packed_gemm(rows, n3, u, A3, u, P(L[14]), G3, EPI_STORE, G3);
    gru_before_update(rows, u, G1, n1, G2, n2, G3, n3, state, ss, slots, so);
  }
}

// One step for `count` streams: x is count×inSize, out is count×outSize, state rows live at
// state + slots[r]·stateSize. Slots within one call must be distinct.
EXPORT("step") void step(const int32_t *plan, int count, const int32_t *slots, const f32 *x, f32 *state, f32 *out) {
  int kind = plan[0], layers = plan[1], inSize = plan[2], outSize = plan[3], ss = plan[4];
  int chunk = plan[8];
  const int32_t *last = plan + 16 + 24 * (layers - 1);
  int ulast = last[1];
  f32 *headIn = P(plan[7]);
  for (int r0 = 0; r0 < count; r0 += chunk) {
    int rows = count - r0 < chunk ? count - r0 : chunk;
    const int32_t *sl = slots + r0;
    for (int l = 0; l < layers; l++)
      step_layer(kind, plan + 16 + 24 * l, rows, sl, l == 0 ? x + r0 * inSize : 0, inSize, state, ss);
    if (outSize > 0) {
      for (int r = 0; r < rows; r++) copy_f(headIn + r * ulast, state + sl[r] * ss + last[2], ulast);
      gemm_core(rows, outSize, ulast, headIn, ulast, 1, P(plan[5]), outSize, NR, out + r0 * outSize, outSize, EPI_BIAS,
                P(plan[6]));
    }
  }
}
