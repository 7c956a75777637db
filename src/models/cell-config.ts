import type { Kernels } from './kernels/kernels.js';

// What every recurrent cell shares: its configuration, its trainable parameters and the batched
// step contract used both by online inference and by training.

export type CellKind = 'rnn' | 'lstm' | 'lstm-peephole' | 'gru' | 'esn';
export type ActivationName = 'tanh' | 'relu' | 'linear';
export type GateActivationName = 'sigmoid' | 'hard_sigmoid';

export interface CellConfig {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly units: number;
  /** rnn: the state activation; lstm/gru: the candidate and cell-output activation (Keras `activation`). */
  readonly activation: ActivationName;
  /** The gates' activation (Keras `recurrent_activation`). */
  readonly recurrentActivation: GateActivationName;
  /** LSTM: initialise the forget-gate bias to 1. */
  readonly unitForgetBias: boolean;
  /** GRU: apply the reset gate after the recurrent matmul (Keras default, CuDNN-compatible). */
  readonly resetAfter: boolean;
  /** ESN: the reservoir's leak rate in (0, 1] (default 1). */
  readonly leakRate?: number;
}

/** A trainable array with its gradient accumulator; `shape` is the internal (row-major) shape. */
export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
  readonly grad: Float32Array;
}

/** Buffers of one layer over a training window of T steps for B streams (all row-major). */
export interface LayerTape {
  readonly T: number;
  readonly B: number;
  /** Layer input, T×B×inputSize, starting at xOff. */
  readonly x: Float32Array;
  readonly xOff: number;
  /** Hidden states h_0..h_T, (T+1)×B×units; h_0 is the carried-in state. */
  readonly h: Float32Array;
  /** LSTM cell states c_0..c_T, (T+1)×B×units (length 0 for other cells). */
  readonly c: Float32Array;
  /** x·W per step, T×B×gateWidth (overwritten by the forward step). */
  readonly pre: Float32Array;
  /** What backward needs from forward, T×B×cacheWidth, laid out as the cell chooses. */
  readonly cache: Float32Array;
  /** Gradient of the pre-activations fed by x·W, T×B×gateWidth. */
  readonly dA: Float32Array;
  /** Gradient of the pre-activations fed by the recurrent matmul, T×B×recWidth (may be dA itself). */
  readonly dAr: Float32Array;
  /** Cell-private backward scratch. */
  readonly scratch: Float32Array;
}

export interface RecurrentCell {
  readonly config: CellConfig;
  readonly units: number;
  readonly inputSize: number;
  /** Columns of x·W. */
  readonly gateWidth: number;
  /** Columns of the recurrent pre-activation gradient kept over a window (dAr), 0 if it is dA. */
  readonly recWidth: number;
  readonly hasCellState: boolean;
  readonly cacheWidth: number;
  /** [inputSize × gateWidth]: the input projection, multiplied by the caller (once per window in training). */
  readonly kernel: Float32Array;
  readonly params: readonly Param[];
  /** Floats of forward scratch for `batch` streams. */
  forwardScratchSize(batch: number): number;
  backwardScratchSize(batch: number): number;
  /**
   * One step for `batch` streams. `pre` holds x·W (no bias) and is overwritten. cPrev/cOut are
   * ignored by cells without cell state. Allocates nothing.
   */
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
    scratch: Float32Array,
  ): void;
  /**
   * Backpropagation through the whole tape. dH (T×B×units) holds dLoss/dh_t for t = 1..T from
   * above and is consumed. Accumulates parameter gradients; writes dLoss/dx into dX if given.
   * Without `carried` the gradient into the carried-in state h_0 (c_0) is dropped (truncation);
   * with it, it is written there (an encoder-decoder passes its decoder's start state back).
   */
  backward(k: Kernels, tape: LayerTape, dH: Float32Array, dX: Float32Array | null, carried?: CarriedStateGrad | null): void;
}

/** The carried state's gradient in and out of one backward call (each B×units). */
export interface CarriedStateGrad {
  /** Written: dLoss/dh_0. */
  readonly dh0: Float32Array;
  /** LSTM: read as dLoss/dc_T from after the window (null: zero), then overwritten with dLoss/dc_0. */
  readonly dc: Float32Array | null;
}

export const ACT_TANH = 0;
export const ACT_RELU = 1;
export const ACT_LINEAR = 2;
export const ACT_SIGMOID = 3;
export const ACT_HARD_SIGMOID = 4;

export function activationCode(name: ActivationName | GateActivationName): number {
  switch (name) {
    case 'tanh':
      return ACT_TANH;
    case 'relu':
      return ACT_RELU;
    case 'linear':
      return ACT_LINEAR;
    case 'sigmoid':
      return ACT_SIGMOID;
    case 'hard_sigmoid':
      return ACT_HARD_SIGMOID;
  }
}

export function activate(code: number, x: number): number {
  switch (code) {
    case ACT_TANH:
      return Math.tanh(x);
    case ACT_RELU:
      return x > 0 ? x : 0;
    case ACT_SIGMOID:
      return 1 / (1 + Math.exp(-x));
    case ACT_HARD_SIGMOID: {
      const y = 0.2 * x + 0.5;
      return y < 0 ? 0 : y > 1 ? 1 : y;
    }
    default:
      return x;
  }
}

/** The derivative written in terms of the activation's output y (all ours allow that). */
export function activationSlope(code: number, y: number): number {
  switch (code) {
    case ACT_TANH:
      return 1 - y * y;
    case ACT_RELU:
      return y > 0 ? 1 : 0;
    case ACT_SIGMOID:
      return y * (1 - y);
    case ACT_HARD_SIGMOID:
      return y > 0 && y < 1 ? 0.2 : 0;
    default:
      return 1;
  }
}

export function makeParam(k: Kernels, name: string, shape: readonly number[]): Param {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: k.alloc(n), grad: k.alloc(n) };
}
