import { makeParam, type Param } from './cell-config.js';
import type { Kernels } from './kernels/kernels.js';
import { portableKernels } from './kernels/portable.js';

// Single-step LSTM and GRU cells for the encoder-decoder (seq2seq-model.ts). Unlike the window
// cells of the stacked model, whose backward drops the gradient into the carried-in state, these
// step one step at a time and return dLoss/dh_{t-1} (and dc_{t-1}): the decoder needs it to reach
// the encoder through its initial state, and its fed-back outputs need dLoss/dx per step.
// Keras gate layouts: LSTM i, f, g, o with one bias; GRU z, r, n reset-after (input and recurrent bias).
// Per-step planes are B×units (h, c); caches are B×cacheWidth. Nothing is allocated per step.

export type Seq2SeqCellKind = 'lstm' | 'gru';

export interface StepCell {
  readonly kind: Seq2SeqCellKind;
  readonly inputSize: number;
  readonly units: number;
  readonly hasCellState: boolean;
  readonly cacheWidth: number;
  readonly params: readonly Param[];
  /** Floats of scratch for `batch` rows (shared by forward and backward). */
  scratchSize(batch: number): number;
  /** h_t (and c_t) from x_t and h_{t-1} (c_{t-1}); cache keeps what backward needs. */
  forward(
    batch: number,
    x: Float32Array,
    xOff: number,
    h: Float32Array,
    hOff: number,
    c: Float32Array,
    cOff: number,
    hOut: Float32Array,
    hOutOff: number,
    cOut: Float32Array,
    cOutOff: number,
    cache: Float32Array,
    cacheOff: number,
    scratch: Float32Array,
  ): void;
  /**
   * One step back. dh (B×units) holds dLoss/dh_t and dc dLoss/dc_t (LSTM); both are read, and dc is
   * overwritten with dLoss/dc_{t-1}. Writes dLoss/dh_{t-1} into dhPrev and dLoss/dx_t into dx (if
   * not null); accumulates the parameter gradients.
   */
  backward(
    batch: number,
    x: Float32Array,
    xOff: number,
    h: Float32Array,
    hOff: number,
    c: Float32Array,
    cOff: number,
    cache: Float32Array,
    cacheOff: number,
    dh: Float32Array,
    dc: Float32Array,
    dhPrev: Float32Array,
    dx: Float32Array | null,
    scratch: Float32Array,
  ): void;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export class LstmStepCell implements StepCell {
  readonly kind = 'lstm';
  readonly hasCellState = true;
  readonly cacheWidth: number;
  readonly params: readonly Param[];
  private readonly w: Param; // [in, 4u]
  private readonly u: Param; // [u, 4u]
  private readonly b: Param; // [4u]

  constructor(
    readonly inputSize: number,
    readonly units: number,
    private readonly k: Kernels = portableKernels,
  ) {
    this.cacheWidth = 5 * units;
    this.w = makeParam(k, 'kernel', [inputSize, 4 * units]);
    this.u = makeParam(k, 'recurrent_kernel', [units, 4 * units]);
    this.b = makeParam(k, 'bias', [4 * units]);
    this.params = [this.w, this.u, this.b];
  }

  scratchSize(batch: number): number {
    return 4 * batch * this.units;
  }

  forward(
    B: number,
    x: Float32Array,
    xOff: number,
    h: Float32Array,
    hOff: number,
    c: Float32Array,
    cOff: number,
    hOut: Float32Array,
    hOutOff: number,
    cOut: Float32Array,
    cOutOff: number,
    cache: Float32Array,
    cacheOff: number,
    a: Float32Array,
  ): void {
    const n = this.units,
      g4 = 4 * n;
    this.k.gemm(B, g4, this.inputSize, x, xOff, this.w.data, 0, a, 0, 0);
    this.k.gemm(B, g4, n, h, hOff, this.u.data, 0, a, 0, 1);
    const bias = this.b.data;
    for (let r = 0; r < B; r++) {
      const ar = r * g4,
        cr = cacheOff + r * 5 * n;
      for (let j = 0; j < n; j++) {
        const i = sigmoid(a[ar + j] + bias[j]);
        const f = sigmoid(a[ar + n + j] + bias[n + j]);
        const g = Math.tanh(a[ar + 2 * n + j] + bias[2 * n + j]);
        const o = sigmoid(a[ar + 3 * n + j] + bias[3 * n + j]);
        const ct = f * c[cOff + r * n + j] + i * g;
        const tc = Math.tanh(ct);
        cOut[cOutOff + r * n + j] = ct;
        hOut[hOutOff + r * n + j] = o * tc;
        cache[cr + j] = i;
        cache[cr + n + j] = f;
        cache[cr + 2 * n + j] = g;
        cache[cr + 3 * n + j] = o;
        cache[cr + 4 * n + j] = tc;
      }
    }
  }

  backward(
    B: number,
    x: Float32Array,
    xOff: number,
    h: Float32Array,
    hOff: number,
    c: Float32Array,
    cOff: number,
    cache: Float32Array,
    cacheOff: number,
    dh: Float32Array,
    dc: Float32Array,
    dhPrev: Float32Array,
    dx: Float32Array | null,
    da: Float32Array,
  ): void {
    const n = this.units,
      g4 = 4 * n;
    for (let r = 0; r < B; r++) {
      const ar = r * g4,
        cr = cacheOff + r * 5 * n;
      for (let j = 0; j < n; j++) {
        const i = cache[cr + j],
          f = cache[cr + n + j],
          g = cache[cr + 2 * n + j],
          o = cache[cr + 3 * n + j],
          tc = cache[cr + 4 * n + j];
        const s = r * n + j;
        const dht = dh[s];
        const dct = dc[s] + dht * o * (1 - tc * tc);
        da[ar + j] = dct * g * i * (1 - i);
        da[ar + n + j] = dct * c[cOff + s] * f * (1 - f);
        da[ar + 2 * n + j] = dct * i * (1 - g * g);
        da[ar + 3 * n + j] = dht * tc * o * (1 - o);
        dc[s] = dct * f;
      }
    }
    const k = this.k;
    k.gemmTransA(this.inputSize, g4, B, x, xOff, da, 0, this.w.grad, 0, 1);
    k.gemmTransA(n, g4, B, h, hOff, da, 0, this.u.grad, 0, 1);
    k.addColumnSums(B, g4, da, 0, this.b.grad, 0);
    k.gemmTransB(B, n, g4, da, 0, this.u.data, 0, dhPrev, 0, 0);
    if (dx !== null) k.gemmTransB(B, this.inputSize, g4, da, 0, this.w.data, 0, dx, 0, 0);
  }
}

export class GruStepCell implements StepCell {
  readonly kind = 'gru';
  readonly hasCellState = false;
  readonly cacheWidth: number;
  readonly params: readonly Param[];
  private readonly w: Param; // [in, 3u]
  private readonly u: Param; // [u, 3u]
  private readonly b: Param; // [2, 3u]: input bias, recurrent bias

  constructor(
    readonly inputSize: number,
    readonly units: number,
    private readonly k: Kernels = portableKernels,
  ) {
    this.cacheWidth = 4 * units;
    this.w = makeParam(k, 'kernel', [inputSize, 3 * units]);
    this.u = makeParam(k, 'recurrent_kernel', [units, 3 * units]);
    this.b = makeParam(k, 'bias', [2, 3 * units]);
    this.params = [this.w, this.u, this.b];
  }

  /** Input-side and recurrent-side pre-activations (forward), or their gradients (backward). */
  scratchSize(batch: number): number {
    return 6 * batch * this.units;
  }

  forward(
    B: number,
    x: Float32Array,
    xOff: number,
    h: Float32Array,
    hOff: number,
    _c: Float32Array,
    _cOff: number,
    hOut: Float32Array,
    hOutOff: number,
    _cOut: Float32Array,
    _cOutOff: number,
    cache: Float32Array,
    cacheOff: number,
    s: Float32Array,
  ): void {
    const n = this.units,
      g3 = 3 * n,
      rec = B * g3;
    this.k.gemm(B, g3, this.inputSize, x, xOff, this.w.data, 0, s, 0, 0);
    this.k.gemm(B, g3, n, h, hOff, this.u.data, 0, s, rec, 0);
    const bias = this.b.data;
    for (let r = 0; r < B; r++) {
      const ar = r * g3,
        cr = cacheOff + r * 4 * n;
      for (let j = 0; j < n; j++) {
        const z = sigmoid(s[ar + j] + bias[j] + s[rec + ar + j] + bias[g3 + j]);
        const rr = sigmoid(s[ar + n + j] + bias[n + j] + s[rec + ar + n + j] + bias[g3 + n + j]);
        const hn = s[rec + ar + 2 * n + j] + bias[g3 + 2 * n + j];
        const nn = Math.tanh(s[ar + 2 * n + j] + bias[2 * n + j] + rr * hn);
        hOut[hOutOff + r * n + j] = z * h[hOff + r * n + j] + (1 - z) * nn;
        cache[cr + j] = z;
        cache[cr + n + j] = rr;
        cache[cr + 2 * n + j] = nn;
        cache[cr + 3 * n + j] = hn;
      }
    }
  }

  backward(
    B: number,
    x: Float32Array,
    xOff: number,
    h: Float32Array,
    hOff: number,
    _c: Float32Array,
    _cOff: number,
    cache: Float32Array,
    cacheOff: number,
    dh: Float32Array,
    _dc: Float32Array,
    dhPrev: Float32Array,
    dx: Float32Array | null,
    s: Float32Array,
  ): void {
    const n = this.units,
      g3 = 3 * n,
      rec = B * g3;
    for (let r = 0; r < B; r++) {
      const ar = r * g3,
        cr = cacheOff + r * 4 * n;
      for (let j = 0; j < n; j++) {
        const z = cache[cr + j],
          rr = cache[cr + n + j],
          nn = cache[cr + 2 * n + j],
          hn = cache[cr + 3 * n + j];
        const q = r * n + j;
        const d = dh[q];
        const daz = d * (h[hOff + q] - nn) * z * (1 - z);
        const dan = d * (1 - z) * (1 - nn * nn);
        const dar = dan * hn * rr * (1 - rr);
        s[ar + j] = daz;
        s[ar + n + j] = dar;
        s[ar + 2 * n + j] = dan;
        s[rec + ar + j] = daz;
        s[rec + ar + n + j] = dar;
        s[rec + ar + 2 * n + j] = dan * rr;
      }
    }
    const k = this.k;
    k.gemmTransA(this.inputSize, g3, B, x, xOff, s, 0, this.w.grad, 0, 1);
    k.gemmTransA(n, g3, B, h, hOff, s, rec, this.u.grad, 0, 1);
    k.addColumnSums(B, g3, s, 0, this.b.grad, 0);
    k.addColumnSums(B, g3, s, rec, this.b.grad, g3);
    k.gemmTransB(B, n, g3, s, rec, this.u.data, 0, dhPrev, 0, 0);
    for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) dhPrev[r * n + j] += dh[r * n + j] * cache[cacheOff + r * 4 * n + j];
    if (dx !== null) k.gemmTransB(B, this.inputSize, g3, s, 0, this.w.data, 0, dx, 0, 0);
  }
}

export function createStepCell(kind: Seq2SeqCellKind, inputSize: number, units: number, k: Kernels = portableKernels): StepCell {
  return kind === 'lstm' ? new LstmStepCell(inputSize, units, k) : new GruStepCell(inputSize, units, k);
}
