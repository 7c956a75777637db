import type { Kernels } from './kernels/kernels.js';
import {
  ACT_SIGMOID, ACT_TANH, activate, activationCode, activationSlope, makeParam,
  type CellConfig, type LayerTape, type Param, type RecurrentCell,
} from './cell-config.js';
import { finishInputSide } from './elman-cell.js';

// LSTM in Keras layout, gate order i, f, c̃, o:
//   a = x·W + h_{t-1}·U + b;  i = σ(a_i [+ p_i⊙c_{t-1}]);  f = σ(a_f [+ p_f⊙c_{t-1}]);  g = act(a_c)
//   c_t = f⊙c_{t-1} + i⊙g;  o = σ(a_o [+ p_o⊙c_t]);  h_t = o⊙act(c_t)
// The bracketed peephole terms are on for kind 'lstm-peephole' (Gers & Schmidhuber); the peephole
// weights are one param [3, units] holding p_i, p_f, p_o. Cache per stream row: i, f, g, o, act(c_t).

export class LstmCell implements RecurrentCell {
  readonly config: CellConfig;
  readonly units: number;
  readonly inputSize: number;
  readonly gateWidth: number;
  readonly recWidth = 0;
  readonly hasCellState = true;
  readonly cacheWidth: number;
  readonly kernel: Float32Array;
  readonly params: readonly Param[];
  readonly peephole: boolean;
  private readonly recurrent: Float32Array;
  private readonly bias: Float32Array;
  private readonly peep: Float32Array;
  private readonly act: number;
  private readonly gate: number;
  /** Keras defaults (sigmoid gates, tanh, no peepholes): a specialised loop, same arithmetic. */
  private readonly fast: boolean;

  constructor(k: Kernels, config: CellConfig) {
    this.config = config;
    this.units = config.units;
    this.inputSize = config.inputSize;
    this.gateWidth = 4 * config.units;
    this.cacheWidth = 5 * config.units;
    this.peephole = config.kind === 'lstm-peephole';
    const u = config.units;
    const params = [
      makeParam(k, 'kernel', [config.inputSize, 4 * u]),
      makeParam(k, 'recurrent_kernel', [u, 4 * u]),
      makeParam(k, 'bias', [4 * u]),
    ];
    if (this.peephole) params.push(makeParam(k, 'peephole', [3, u]));
    this.params = params;
    this.kernel = params[0].data;
    this.recurrent = params[1].data;
    this.bias = params[2].data;
    this.peep = this.peephole ? params[3].data : new Float32Array(3 * u);
    this.act = activationCode(config.activation);
    this.gate = activationCode(config.recurrentActivation);
    this.fast = !this.peephole && this.act === ACT_TANH && this.gate === ACT_SIGMOID;
  }

  forwardScratchSize(): number { return 0; }
  backwardScratchSize(batch: number): number { return batch * this.units; }

  forward(
    k: Kernels, batch: number,
    pre: Float32Array, preOff: number,
    hPrev: Float32Array, hPrevOff: number, cPrev: Float32Array, cPrevOff: number,
    hOut: Float32Array, hOutOff: number, cOut: Float32Array, cOutOff: number,
    cache: Float32Array, cacheOff: number,
  ): void {
    const u = this.units;
    const g4 = 4 * u;
    k.gemm(batch, g4, u, hPrev, hPrevOff, this.recurrent, 0, pre, preOff, 1);
    if (this.fast) {
      forwardSigmoidTanh(batch, u, pre, preOff, this.bias, cPrev, cPrevOff, hOut, hOutOff, cOut, cOutOff, cache, cacheOff);
      return;
    }
    const { bias, peep, act, gate } = this;
    for (let b = 0; b < batch; b++) {
      const p = preOff + b * g4;
      const s = b * u;
      const q = cacheOff + b * 5 * u;
      for (let j = 0; j < u; j++) {
        const cp = cPrev[cPrevOff + s + j];
        const i = activate(gate, pre[p + j] + bias[j] + peep[j] * cp);
        const f = activate(gate, pre[p + u + j] + bias[u + j] + peep[u + j] * cp);
        const g = activate(act, pre[p + 2 * u + j] + bias[2 * u + j]);
        const c = Math.fround(f * cp + i * g);
        const o = activate(gate, pre[p + 3 * u + j] + bias[3 * u + j] + peep[2 * u + j] * c);
        const ac = Math.fround(activate(act, c));
        cOut[cOutOff + s + j] = c;
        hOut[hOutOff + s + j] = o * ac;
        cache[q + j] = i;
        cache[q + u + j] = f;
        cache[q + 2 * u + j] = g;
        cache[q + 3 * u + j] = o;
        cache[q + 4 * u + j] = ac;
      }
    }
  }

  backward(k: Kernels, tape: LayerTape, dH: Float32Array, dX: Float32Array | null): void {
    const { T, B, cache, dA, c } = tape;
    const u = this.units;
    const g4 = 4 * u;
    const dC = tape.scratch; // dLoss/dc_t, carried backwards
    dC.fill(0, 0, B * u);
    const { peep, act, gate } = this;
    const peepGrad = this.peephole ? this.params[3].grad : null;
    for (let t = T - 1; t >= 0; t--) {
      const hOff = t * B * u;
      const cPrevOff = t * B * u;
      const cOff = (t + 1) * B * u;
      for (let b = 0; b < B; b++) {
        const q = (t * B + b) * 5 * u;
        const a = (t * B + b) * g4;
        for (let j = 0; j < u; j++) {
          const i = cache[q + j], f = cache[q + u + j], g = cache[q + 2 * u + j];
          const o = cache[q + 3 * u + j], ac = cache[q + 4 * u + j];
          const cp = c[cPrevOff + b * u + j];
          const ct = c[cOff + b * u + j];
          const dh = dH[hOff + b * u + j];
          const dao = dh * ac * activationSlope(gate, o);
          let dc = dC[b * u + j] + dh * o * activationSlope(act, ac) + dao * peep[2 * u + j];
          const dai = dc * g * activationSlope(gate, i);
          const daf = dc * cp * activationSlope(gate, f);
          const dag = dc * i * activationSlope(act, g);
          dA[a + j] = dai;
          dA[a + u + j] = daf;
          dA[a + 2 * u + j] = dag;
          dA[a + 3 * u + j] = dao;
          dc = dc * f + dai * peep[j] + daf * peep[u + j];
          dC[b * u + j] = dc;
          if (peepGrad !== null) {
            peepGrad[j] += dai * cp;
            peepGrad[u + j] += daf * cp;
            peepGrad[2 * u + j] += dao * ct;
          }
        }
      }
      if (t > 0) k.gemmTransB(B, u, g4, dA, t * B * g4, this.recurrent, 0, dH, hOff - B * u, 1);
    }
    finishInputSide(k, this, tape, dX);
    k.gemmTransA(u, g4, T * B, tape.h, 0, dA, 0, this.params[1].grad, 0, 1);
  }
}

function forwardSigmoidTanh(
  batch: number, u: number, pre: Float32Array, preOff: number, bias: Float32Array,
  cPrev: Float32Array, cPrevOff: number, hOut: Float32Array, hOutOff: number,
  cOut: Float32Array, cOutOff: number, cache: Float32Array, cacheOff: number,
): void {
  const g4 = 4 * u;
  for (let b = 0; b < batch; b++) {
    const p = preOff + b * g4;
    const s = b * u;
    const q = cacheOff + b * 5 * u;
    for (let j = 0; j < u; j++) {
      const cp = cPrev[cPrevOff + s + j];
      const i = 1 / (1 + Math.exp(-(pre[p + j] + bias[j])));
      const f = 1 / (1 + Math.exp(-(pre[p + u + j] + bias[u + j])));
      const g = Math.tanh(pre[p + 2 * u + j] + bias[2 * u + j]);
      const c = Math.fround(f * cp + i * g);
      const o = 1 / (1 + Math.exp(-(pre[p + 3 * u + j] + bias[3 * u + j])));
      const ac = Math.fround(Math.tanh(c));
      cOut[cOutOff + s + j] = c;
      hOut[hOutOff + s + j] = o * ac;
      cache[q + j] = i;
      cache[q + u + j] = f;
      cache[q + 2 * u + j] = g;
      cache[q + 3 * u + j] = o;
      cache[q + 4 * u + j] = ac;
    }
  }
}
