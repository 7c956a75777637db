import { TidecastError } from '../core/errors.js';
import type { Kernels } from './kernels/kernels.js';
import { ACT_TANH, makeParam, type CellConfig, type LayerTape, type Param, type RecurrentCell } from './cell-config.js';

// Echo state network reservoir (leaky-integrator ESN, Jaeger 2007):
//   h_t = (1 − a)·h_{t−1} + a·tanh(x_t·W_in + h_{t−1}·W + b)
// with a fixed random W_in, W and b (esn-init.ts: seeded, sparse, W scaled to a spectral radius).
// Only the dense head (the readout) learns, in closed form (esn-readout.ts); the reservoir is never
// trained, so backward() refuses. The state row is h alone, as for the Elman cell, so the reservoir
// lives in the same StateArena and steps in the same BatchedStepper as every other cell.

export class EsnCell implements RecurrentCell {
  readonly config: CellConfig;
  readonly units: number;
  readonly inputSize: number;
  readonly gateWidth: number;
  readonly recWidth = 0;
  readonly hasCellState = false;
  readonly cacheWidth = 0;
  readonly kernel: Float32Array;
  readonly params: readonly Param[];
  /** The leak rate a in (0, 1]: 1 is a plain tanh reservoir, small values a slow one. */
  readonly leakRate: number;
  private readonly recurrent: Float32Array;
  private readonly bias: Float32Array;

  constructor(k: Kernels, config: CellConfig) {
    const leak = config.leakRate ?? 1;
    if (!(leak > 0 && leak <= 1)) throw new TidecastError(`ESN leak rate must be in (0, 1], got ${leak}.`, 'config_invalid', false);
    this.config = config;
    this.units = config.units;
    this.inputSize = config.inputSize;
    this.gateWidth = config.units;
    this.leakRate = leak;
    const u = config.units;
    // Keras SimpleRNN names and shapes, so checkpoints and model files carry the fixed reservoir.
    const params = [makeParam(k, 'kernel', [config.inputSize, u]), makeParam(k, 'recurrent_kernel', [u, u]), makeParam(k, 'bias', [u])];
    this.params = params;
    this.kernel = params[0].data;
    this.recurrent = params[1].data;
    this.bias = params[2].data;
  }

  forwardScratchSize(): number {
    return 0;
  }
  backwardScratchSize(): number {
    return 0;
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
  ): void {
    const u = this.units;
    const a = Math.fround(this.leakRate);
    const keep = Math.fround(1 - a);
    k.gemm(batch, u, u, hPrev, hPrevOff, this.recurrent, 0, pre, preOff, 1);
    // tanh(pre + b) by the backend's fused Elman kernel (same bits on every backend), into hOut;
    // then the leak mixes in the previous state.
    k.elmanForward(batch, u, ACT_TANH, pre, preOff, this.bias, hOut, hOutOff, hOut, hOutOff);
    if (a === 1) return;
    const n = batch * u;
    for (let i = 0; i < n; i++) {
      hOut[hOutOff + i] = Math.fround(Math.fround(keep * hPrev[hPrevOff + i]) + Math.fround(a * hOut[hOutOff + i]));
    }
  }

  backward(_k: Kernels, _tape: LayerTape): void {
    throw new TidecastError(
      'The echo state reservoir is fixed: only its readout is fitted (ridge), never by backpropagation.',
      'config_invalid',
      false,
    );
  }
}
