import type { Kernels } from './kernels/kernels.js';
import {
  activationCode,
  makeParam,
  type CarriedStateGrad,
  type CellConfig,
  type LayerTape,
  type Param,
  type RecurrentCell,
} from './cell-config.js';
import { finishInputSide } from './elman-cell.js';

// LSTM in Keras layout, gate order i, f, c̃, o:
//   a = x·W + h_{t-1}·U + b;  i = σ(a_i [+ p_i⊙c_{t-1}]);  f = σ(a_f [+ p_f⊙c_{t-1}]);  g = act(a_c)
//   c_t = f⊙c_{t-1} + i⊙g;  o = σ(a_o [+ p_o⊙c_t]);  h_t = o⊙act(c_t)
// The bracketed peephole terms are on for kind 'lstm-peephole' (Gers & Schmidhuber); the peephole
// weights are one param [3, units] holding p_i, p_f, p_o. Cache per stream row: i, f, g, o, act(c_t).
// The gate math runs in the kernels (lstmForward/lstmBackward): one call per layer-step.

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
  /** p_i, p_f, p_o, or null without peepholes. */
  private readonly peep: Float32Array | null;
  private readonly act: number;
  private readonly gate: number;

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
    this.peep = this.peephole ? params[3].data : null;
    this.act = activationCode(config.activation);
    this.gate = activationCode(config.recurrentActivation);
  }

  forwardScratchSize(): number {
    return 0;
  }
  backwardScratchSize(batch: number): number {
    return batch * this.units;
  }

  forward(
    k: Kernels,
    batch: number,
    pre: Float32Array,
    preOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    cPrev: Float32Array,
    cPrevOff: number,
    hOut: Float32Array,
    hOutOff: number,
    cOut: Float32Array,
    cOutOff: number,
    cache: Float32Array,
    cacheOff: number,
  ): void {
    const u = this.units;
    const g4 = 4 * u;
    k.gemm(batch, g4, u, hPrev, hPrevOff, this.recurrent, 0, pre, preOff, 1);
    k.lstmForward(
      batch,
      u,
      this.gate,
      this.act,
      pre,
      preOff,
      this.bias,
      this.peep,
      cPrev,
      cPrevOff,
      hOut,
      hOutOff,
      cOut,
      cOutOff,
      cache,
      cacheOff,
    );
  }

  backward(k: Kernels, tape: LayerTape, dH: Float32Array, dX: Float32Array | null, carried: CarriedStateGrad | null = null): void {
    const { T, B, cache, dA, c } = tape;
    const u = this.units;
    const g4 = 4 * u;
    const dC = tape.scratch; // dLoss/dc_t, carried backwards
    if (carried?.dc != null) dC.set(carried.dc.subarray(0, B * u));
    else dC.fill(0, 0, B * u);
    const peepGrad = this.peephole ? this.params[3].grad : null;
    for (let t = T - 1; t >= 0; t--) {
      const hOff = t * B * u;
      k.lstmBackward(
        B,
        u,
        this.gate,
        this.act,
        cache,
        t * B * 5 * u,
        c,
        hOff,
        hOff + B * u,
        dH,
        hOff,
        dC,
        dA,
        t * B * g4,
        this.peep,
        peepGrad,
      );
      if (t > 0) k.gemmTransB(B, u, g4, dA, t * B * g4, this.recurrent, 0, dH, hOff - B * u, 1);
    }
    if (carried !== null) {
      k.gemmTransB(B, u, g4, dA, 0, this.recurrent, 0, carried.dh0, 0, 0);
      carried.dc?.set(dC.subarray(0, B * u));
    }
    finishInputSide(k, this, tape, dX);
    k.gemmTransA(u, g4, T * B, tape.h, 0, dA, 0, this.params[1].grad, 0, 1);
  }
}
