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

// Elman (Keras SimpleRNN): h_t = act(x_t·W + h_{t-1}·U + b). The cache is h_t itself.

export class ElmanCell implements RecurrentCell {
  readonly config: CellConfig;
  readonly units: number;
  readonly inputSize: number;
  readonly gateWidth: number;
  readonly recWidth = 0;
  readonly hasCellState = false;
  readonly cacheWidth: number;
  readonly kernel: Float32Array;
  readonly params: readonly Param[];
  private readonly recurrent: Float32Array;
  private readonly bias: Float32Array;
  private readonly act: number;

  constructor(k: Kernels, config: CellConfig) {
    this.config = config;
    this.units = config.units;
    this.inputSize = config.inputSize;
    this.gateWidth = config.units;
    this.cacheWidth = config.units;
    const u = config.units;
    const params = [makeParam(k, 'kernel', [config.inputSize, u]), makeParam(k, 'recurrent_kernel', [u, u]), makeParam(k, 'bias', [u])];
    this.params = params;
    this.kernel = params[0].data;
    this.recurrent = params[1].data;
    this.bias = params[2].data;
    this.act = activationCode(config.activation);
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
    _cOut: Float32Array,
    _cOutOff: number,
    cache: Float32Array,
    cacheOff: number,
  ): void {
    const u = this.units;
    k.gemm(batch, u, u, hPrev, hPrevOff, this.recurrent, 0, pre, preOff, 1);
    k.elmanForward(batch, u, this.act, pre, preOff, this.bias, hOut, hOutOff, cache, cacheOff);
  }

  backward(k: Kernels, tape: LayerTape, dH: Float32Array, dX: Float32Array | null, carried: CarriedStateGrad | null = null): void {
    const { T, B } = tape;
    const u = this.units;
    const step = B * u;
    for (let t = T - 1; t >= 0; t--) {
      const off = t * step;
      k.elmanBackward(step, this.act, dH, off, tape.cache, off, tape.dA, off);
      // dh_{t-1} += dA_t·Uᵀ (at t = 0 into the carried-in state's gradient, if asked for).
      if (t > 0) k.gemmTransB(B, u, u, tape.dA, off, this.recurrent, 0, dH, off - step, 1);
      else if (carried !== null) k.gemmTransB(B, u, u, tape.dA, 0, this.recurrent, 0, carried.dh0, 0, 0);
    }
    finishInputSide(k, this, tape, dX);
    k.gemmTransA(u, u, T * B, tape.h, 0, tape.dA, 0, this.params[1].grad, 0, 1);
  }
}

/** dW += Xᵀ·dA, db += Σ dA, dX = dA·Wᵀ: the input side, shared by all cells (bias is params[2]). */
export function finishInputSide(k: Kernels, cell: RecurrentCell, tape: LayerTape, dX: Float32Array | null): void {
  const rows = tape.T * tape.B;
  const g = cell.gateWidth;
  k.gemmTransA(cell.inputSize, g, rows, tape.x, tape.xOff, tape.dA, 0, cell.params[0].grad, 0, 1);
  k.addColumnSums(rows, g, tape.dA, 0, cell.params[2].grad, 0);
  if (dX !== null) k.gemmTransB(rows, cell.inputSize, g, tape.dA, 0, cell.kernel, 0, dX, 0, 0);
}
