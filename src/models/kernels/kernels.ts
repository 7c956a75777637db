// The numeric backend interface of the model core. Arrays are row-major Float32Arrays addressed by
// (array, offset) pairs so that hot paths allocate no subarray views per call.
//
// Every backend gives the same bits as the portable one (portable.ts, portable-pointwise.ts): GEMMs
// sum products in increasing k with float32 rounding after each op (no FMA); pointwise kernels run
// the float32 operation sequence written in portable-pointwise.ts, activations from activations.ts.

/** Activation codes shared with the cells (cell-config.ts) and the native/WASM kernels. */
export type ActivationCode = number;

export interface Kernels {
  readonly name: string;
  /** A zeroed array this backend computes on without copying (for WASM: a view into its memory). */
  alloc(length: number): Float32Array;
  /** c[m×n] = beta·c + a[m×k] · b[k×n]. beta is 0 or 1. */
  gemm(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    beta: 0 | 1,
  ): void;
  /** c[m×n] = beta·c + a[k×m]ᵀ · b[k×n] (weight gradients). */
  gemmTransA(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    beta: 0 | 1,
  ): void;
  /** c[m×n] = beta·c + a[m×k] · b[n×k]ᵀ (input gradients). */
  gemmTransB(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    b: Float32Array,
    bOff: number,
    c: Float32Array,
    cOff: number,
    beta: 0 | 1,
  ): void;
  /** out[j] += Σ_r m[r×cols + j] over rows in order (bias gradients). */
  addColumnSums(rows: number, cols: number, m: Float32Array, mOff: number, out: Float32Array, outOff: number): void;
  /**
   * LSTM gate math of one step for `batch` rows (gates i, f, c̃, o; `pre` holds x·W + h·U).
   * peep ([3×units]: p_i, p_f, p_o) is null without peepholes. Writes c_t, h_t and the cache rows
   * (i, f, g, o, act(c_t)), 5·units per row.
   */
  lstmForward(
    batch: number,
    units: number,
    gateAct: ActivationCode,
    act: ActivationCode,
    pre: Float32Array,
    preOff: number,
    bias: Float32Array,
    peep: Float32Array | null,
    cPrev: Float32Array,
    cPrevOff: number,
    hOut: Float32Array,
    hOutOff: number,
    cOut: Float32Array,
    cOutOff: number,
    cache: Float32Array,
    cacheOff: number,
  ): void;
  /**
   * LSTM backward through one step: from dh_t (dH), the carried dc (dC, batch×units, updated in
   * place to dc_{t-1}) and the forward cache, writes the gate pre-activation gradients dA
   * (batch×4·units) and adds the peephole gradients into peepGrad when given.
   */
  lstmBackward(
    batch: number,
    units: number,
    gateAct: ActivationCode,
    act: ActivationCode,
    cache: Float32Array,
    cacheOff: number,
    c: Float32Array,
    cPrevOff: number,
    cOff: number,
    dH: Float32Array,
    dHOff: number,
    dC: Float32Array,
    dA: Float32Array,
    dAOff: number,
    peep: Float32Array | null,
    peepGrad: Float32Array | null,
  ): void;
  /** GRU (reset-after) gate math of one step: pre = x·W, rec = h·U; bias [2×3·units]. Cache rows z, r, n, rh. */
  gruForward(
    batch: number,
    units: number,
    gateAct: ActivationCode,
    act: ActivationCode,
    pre: Float32Array,
    preOff: number,
    rec: Float32Array,
    bias: Float32Array,
    hPrev: Float32Array,
    hPrevOff: number,
    hOut: Float32Array,
    hOutOff: number,
    cache: Float32Array,
    cacheOff: number,
  ): void;
  /**
   * GRU (reset-after) backward through one step: writes dA (x-side) and dAr (recurrent side), both
   * batch×3·units, and when dHPrevOff ≥ 0 adds dh·z into dH at dHPrevOff (the direct path to h_{t-1}).
   */
  gruBackward(
    batch: number,
    units: number,
    gateAct: ActivationCode,
    act: ActivationCode,
    cache: Float32Array,
    cacheOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    dH: Float32Array,
    dHOff: number,
    dHPrevOff: number,
    dA: Float32Array,
    dAr: Float32Array,
    dAOff: number,
  ): void;
  /** Elman step: h = act(pre + bias) into hOut and cache (pre holds x·W + h·U). */
  elmanForward(
    batch: number,
    units: number,
    act: ActivationCode,
    pre: Float32Array,
    preOff: number,
    bias: Float32Array,
    hOut: Float32Array,
    hOutOff: number,
    cache: Float32Array,
    cacheOff: number,
  ): void;
  /** dA = dH ⊙ act'(h) over n elements, act' written in terms of h = cache. */
  elmanBackward(
    n: number,
    act: ActivationCode,
    dH: Float32Array,
    dHOff: number,
    cache: Float32Array,
    cacheOff: number,
    dA: Float32Array,
    dAOff: number,
  ): void;
  /**
   * Adam over n parameters in float32: m = β1·m + (1-β1)·g; v = β2·v + ((1-β2)·g)·g;
   * data -= (lrT·m) / (√v + ε). lrT folds in the bias corrections.
   */
  adam(
    n: number,
    data: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    lrT: number,
    beta1: number,
    beta2: number,
    epsilon: number,
  ): void;
}
