import type { Kernels } from '../models/kernels/kernels.js';
import { portableKernels } from '../models/kernels/portable.js';
import type { Param } from '../models/cell-config.js';
import { StackedModel } from '../models/stacked-model.js';
import { initialiseWeights } from '../training/init.js';
import { SequenceRunner } from '../training/sequence.js';

// A bidirectional recurrent layer with a dense output per step, as Keras
// Bidirectional(GRU|LSTM, return_sequences, merge_mode='concat') followed by Dense(1):
//   y_t = [h→_t, h←_t]·W + b,  h→ read over x_0..x_t, h← over x_{T-1}..x_t.
// Built from two one-layer StackedModels, one fed the window reversed in time; the Dense splits
// into their heads (W = [W→; W←], the bias on the forward head; the backward head's bias stays 0),
// so forward, backward (BPTT over the whole window) and the kernels are the model core's own.
// Only the heads' mean column is used (column 0 of mean/log-variance).

export type RepairCell = 'gru' | 'lstm';

export interface BidirectionalConfig {
  readonly cell: RepairCell;
  readonly inputSize: number;
  readonly units: number;
  readonly seed: number;
}

export class BidirectionalRnn {
  readonly config: BidirectionalConfig;
  readonly forwardModel: StackedModel;
  readonly backwardModel: StackedModel;
  private readonly fwd: SequenceRunner;
  private readonly bwd: SequenceRunner;
  private reversed: Float32Array;
  private output: Float32Array;
  private dF: Float32Array;
  private dB: Float32Array;
  private T = 0;
  private B = 0;

  constructor(config: BidirectionalConfig, maxSteps: number, maxBatch: number, kernels: Kernels = portableKernels) {
    this.config = config;
    // GRU reset-before: the variant tfjs (and so tf.layers.bidirectional) has.
    const model = (seed: number) =>
      new StackedModel(
        {
          kind: config.cell,
          inputSize: config.inputSize,
          units: config.units,
          layers: 1,
          horizon: 1,
          outputSize: 1,
          resetAfter: false,
          seed,
        },
        kernels,
      );
    this.forwardModel = model(config.seed);
    this.backwardModel = model(config.seed + 1);
    initialiseWeights(this.forwardModel);
    initialiseWeights(this.backwardModel);
    this.backwardModel.headBias.data.fill(0);
    this.fwd = new SequenceRunner(this.forwardModel, maxSteps, maxBatch);
    this.bwd = new SequenceRunner(this.backwardModel, maxSteps, maxBatch);
    this.reversed = new Float32Array(maxSteps * maxBatch * config.inputSize);
    this.output = new Float32Array(maxSteps * maxBatch);
    this.dF = new Float32Array(maxSteps * maxBatch * 2);
    this.dB = new Float32Array(maxSteps * maxBatch * 2);
  }

  /** Every trainable parameter (the backward head's bias excluded: the Dense has one bias). */
  params(): Param[] {
    return [...this.forwardModel.params(), ...this.backwardModel.params().filter((p) => p !== this.backwardModel.headBias)];
  }

  zeroGrads(): void {
    this.forwardModel.zeroGrads();
    this.backwardModel.zeroGrads();
  }

  /** inputs T×B×inputSize (time-major) → one output per step and window, T×B (a view, reused). */
  forward(T: number, B: number, inputs: Float32Array): Float32Array {
    const F = this.config.inputSize;
    this.T = T;
    this.B = B;
    for (let t = 0; t < T; t++) {
      const from = (T - 1 - t) * B * F;
      for (let i = 0; i < B * F; i++) this.reversed[t * B * F + i] = inputs[from + i];
    }
    this.fwd.resetInitialState(B);
    this.bwd.resetInitialState(B);
    const yf = this.fwd.forward(T, B, inputs, 0, false);
    const yb = this.bwd.forward(T, B, this.reversed, 0, false);
    const out = this.output;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) out[t * B + b] = yf[(t * B + b) * 2] + yb[((T - 1 - t) * B + b) * 2];
    }
    return out.subarray(0, T * B);
  }

  /** Accumulates the gradients of both directions from dLoss/dOutputs (T×B) of the last forward. */
  backward(dOut: Float32Array): void {
    const { T, B } = this;
    this.dF.fill(0, 0, T * B * 2);
    this.dB.fill(0, 0, T * B * 2);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const g = dOut[t * B + b];
        this.dF[(t * B + b) * 2] = g;
        this.dB[((T - 1 - t) * B + b) * 2] = g;
      }
    }
    this.fwd.backward(this.dF.subarray(0, T * B * 2));
    this.bwd.backward(this.dB.subarray(0, T * B * 2));
    this.backwardModel.headBias.grad.fill(0);
  }

  /** Keras Bidirectional + Dense(1) weights: forward cell, backward cell, dense kernel [2u, 1], bias [1]. */
  kerasDense(): { kernel: Float32Array; bias: Float32Array } {
    const u = this.config.units;
    const kernel = new Float32Array(2 * u);
    const fk = this.forwardModel.headKernel.data,
      bk = this.backwardModel.headKernel.data;
    for (let j = 0; j < u; j++) {
      kernel[j] = fk[j * 2];
      kernel[u + j] = bk[j * 2];
    }
    return { kernel, bias: new Float32Array([this.forwardModel.headBias.data[0]]) };
  }
}
