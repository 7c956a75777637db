import type { Kernels } from './kernels/kernels.js';
import {
  activate,
  activationCode,
  activationSlope,
  makeParam,
  type CarriedStateGrad,
  type CellConfig,
  type LayerTape,
  type Param,
  type RecurrentCell,
} from './cell-config.js';
import { finishInputSide } from './elman-cell.js';

// GRU in Keras layout, gate order z, r, h; h_t = z⊙h_{t-1} + (1-z)⊙n.
// reset-after (Keras default): bias [2, 3u] = input bias, recurrent bias;
//   z = σ(x·W_z + b_z + h·U_z + c_z), r likewise, n = act(x·W_h + b_h + r⊙(h·U_h + c_h)).
//   Cache rows: z, r, n, h·U_h + c_h.
// reset-before (tfjs's only variant): bias [3u]; n = act(x·W_h + b_h + (r⊙h)·U_h). The recurrent
//   kernel is kept split as U_zr [u, 2u] and U_h [u, u] so each product is one contiguous matmul.
//   Cache is planar per step: Z, R, N, Q = r⊙h, each B×u.

export class GruCell implements RecurrentCell {
  readonly config: CellConfig;
  readonly units: number;
  readonly inputSize: number;
  readonly gateWidth: number;
  readonly recWidth: number;
  readonly hasCellState = false;
  readonly cacheWidth: number;
  readonly kernel: Float32Array;
  readonly params: readonly Param[];
  readonly resetAfter: boolean;
  private readonly act: number;
  private readonly gate: number;

  constructor(k: Kernels, config: CellConfig) {
    this.config = config;
    const u = config.units;
    this.units = u;
    this.inputSize = config.inputSize;
    this.gateWidth = 3 * u;
    this.cacheWidth = 4 * u;
    this.resetAfter = config.resetAfter;
    this.recWidth = this.resetAfter ? 3 * u : 2 * u;
    this.params = this.resetAfter
      ? [makeParam(k, 'kernel', [config.inputSize, 3 * u]), makeParam(k, 'recurrent_kernel', [u, 3 * u]), makeParam(k, 'bias', [2, 3 * u])]
      : [
          makeParam(k, 'kernel', [config.inputSize, 3 * u]),
          makeParam(k, 'recurrent_kernel_zr', [u, 2 * u]),
          makeParam(k, 'bias', [3 * u]),
          makeParam(k, 'recurrent_kernel_h', [u, u]),
        ];
    this.kernel = this.params[0].data;
    this.act = activationCode(config.activation);
    this.gate = activationCode(config.recurrentActivation);
  }

  forwardScratchSize(batch: number): number {
    return 3 * batch * this.units;
  }
  backwardScratchSize(batch: number): number {
    return 2 * batch * this.units;
  }

  forward(
    k: Kernels,
    batch: number,
    pre: Float32Array,
    preOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    _cPrev: Float32Array,
    _cPrevOff: number,
    hOut: Float32Array,
    hOutOff: number,
    _cOut: Float32Array,
    _cOutOff: number,
    cache: Float32Array,
    cacheOff: number,
    scratch: Float32Array,
  ): void {
    if (this.resetAfter) this.forwardAfter(k, batch, pre, preOff, hPrev, hPrevOff, hOut, hOutOff, cache, cacheOff, scratch);
    else this.forwardBefore(k, batch, pre, preOff, hPrev, hPrevOff, hOut, hOutOff, cache, cacheOff, scratch);
  }

  private forwardAfter(
    k: Kernels,
    batch: number,
    pre: Float32Array,
    preOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    hOut: Float32Array,
    hOutOff: number,
    cache: Float32Array,
    cacheOff: number,
    rec: Float32Array,
  ): void {
    const u = this.units;
    const g3 = 3 * u;
    k.gemm(batch, g3, u, hPrev, hPrevOff, this.params[1].data, 0, rec, 0, 0);
    k.gruForward(batch, u, this.gate, this.act, pre, preOff, rec, this.params[2].data, hPrev, hPrevOff, hOut, hOutOff, cache, cacheOff);
  }

  private forwardBefore(
    k: Kernels,
    batch: number,
    pre: Float32Array,
    preOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    hOut: Float32Array,
    hOutOff: number,
    cache: Float32Array,
    cacheOff: number,
    scratch: Float32Array,
  ): void {
    const u = this.units;
    const g3 = 3 * u;
    const plane = batch * u;
    k.gemm(batch, 2 * u, u, hPrev, hPrevOff, this.params[1].data, 0, scratch, 0, 0);
    const bias = this.params[2].data;
    const { act, gate } = this;
    for (let b = 0; b < batch; b++) {
      const p = preOff + b * g3;
      for (let j = 0; j < u; j++) {
        const s = b * u + j;
        const z = activate(gate, pre[p + j] + bias[j] + scratch[b * 2 * u + j]);
        const r = activate(gate, pre[p + u + j] + bias[u + j] + scratch[b * 2 * u + u + j]);
        cache[cacheOff + s] = z;
        cache[cacheOff + plane + s] = r;
        cache[cacheOff + 3 * plane + s] = r * hPrev[hPrevOff + s];
      }
    }
    const recH = 2 * plane;
    k.gemm(batch, u, u, cache, cacheOff + 3 * plane, this.params[3].data, 0, scratch, recH, 0);
    for (let b = 0; b < batch; b++) {
      const p = preOff + b * g3 + 2 * u;
      for (let j = 0; j < u; j++) {
        const s = b * u + j;
        const n = activate(act, pre[p + j] + bias[2 * u + j] + scratch[recH + s]);
        const z = cache[cacheOff + s];
        cache[cacheOff + 2 * plane + s] = n;
        hOut[hOutOff + s] = z * hPrev[hPrevOff + s] + (1 - z) * n;
      }
    }
  }

  backward(k: Kernels, tape: LayerTape, dH: Float32Array, dX: Float32Array | null, carried: CarriedStateGrad | null = null): void {
    if (this.resetAfter) this.backwardAfter(k, tape, dH, carried);
    else this.backwardBefore(k, tape, dH, carried);
    finishInputSide(k, this, tape, dX);
    const { T, B } = tape;
    k.gemmTransA(this.units, this.recWidth, T * B, tape.h, 0, tape.dAr, 0, this.params[1].grad, 0, 1);
    if (this.resetAfter) k.addColumnSums(T * B, 3 * this.units, tape.dAr, 0, this.params[2].grad, 3 * this.units);
  }

  private backwardAfter(k: Kernels, tape: LayerTape, dH: Float32Array, carried: CarriedStateGrad | null): void {
    const { T, B, cache, dA, dAr, h } = tape;
    const u = this.units;
    const g3 = 3 * u;
    for (let t = T - 1; t >= 0; t--) {
      const hOff = t * B * u;
      k.gruBackward(B, u, this.gate, this.act, cache, t * B * 4 * u, h, hOff, dH, hOff, t > 0 ? hOff - B * u : -1, dA, dAr, t * B * g3);
      if (t > 0) k.gemmTransB(B, u, g3, dAr, t * B * g3, this.params[1].data, 0, dH, hOff - B * u, 1);
    }
    if (carried === null) return;
    // dh_0 = dh_1⊙z_1 + dAr_1·Uᵀ (the kernel skips the first term at t = 0; dH's plane 0 is dh_1).
    const dh0 = carried.dh0;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < u; j++) dh0[b * u + j] = Math.fround(dH[b * u + j] * cache[b * 4 * u + j]);
    }
    k.gemmTransB(B, u, g3, dAr, 0, this.params[1].data, 0, dh0, 0, 1);
  }

  private backwardBefore(k: Kernels, tape: LayerTape, dH: Float32Array, carried: CarriedStateGrad | null): void {
    const { T, B, cache, dA, dAr, h, scratch } = tape;
    const u = this.units;
    const g3 = 3 * u;
    const plane = B * u;
    const dq = plane; // scratch: dAn at 0, dq at plane
    const { act, gate } = this;
    const uH = this.params[3];
    for (let t = T - 1; t >= 0; t--) {
      const hOff = t * plane;
      const c0 = t * B * 4 * u;
      for (let b = 0; b < B; b++) {
        const a = (t * B + b) * g3 + 2 * u;
        for (let j = 0; j < u; j++) {
          const s = b * u + j;
          const z = cache[c0 + s],
            n = cache[c0 + 2 * plane + s];
          const dan = dH[hOff + s] * (1 - z) * activationSlope(act, n);
          scratch[s] = dan;
          dA[a + j] = dan;
        }
      }
      k.gemmTransB(B, u, u, scratch, 0, uH.data, 0, scratch, dq, 0);
      k.gemmTransA(u, u, B, cache, c0 + 3 * plane, scratch, 0, uH.grad, 0, 1);
      for (let b = 0; b < B; b++) {
        const a = (t * B + b) * g3;
        const ar = (t * B + b) * 2 * u;
        for (let j = 0; j < u; j++) {
          const s = b * u + j;
          const z = cache[c0 + s],
            r = cache[c0 + plane + s],
            n = cache[c0 + 2 * plane + s];
          const dh = dH[hOff + s];
          const hp = h[hOff + s];
          const daz = dh * (hp - n) * activationSlope(gate, z);
          const dar = scratch[dq + s] * hp * activationSlope(gate, r);
          dA[a + j] = daz;
          dA[a + u + j] = dar;
          dAr[ar + j] = daz;
          dAr[ar + u + j] = dar;
          if (t > 0) dH[hOff - plane + s] += dh * z + scratch[dq + s] * r;
          else if (carried !== null) carried.dh0[s] = dh * z + scratch[dq + s] * r;
        }
      }
      if (t > 0) k.gemmTransB(B, u, 2 * u, dAr, t * B * 2 * u, this.params[1].data, 0, dH, hOff - plane, 1);
      else if (carried !== null) k.gemmTransB(B, u, 2 * u, dAr, 0, this.params[1].data, 0, carried.dh0, 0, 1);
    }
  }
}
