import { TidecastError } from '../core/errors.js';
import { glorotUniform, orthogonal } from '../training/init.js';
import { Prng } from '../training/prng.js';
import { makeParam, type CellConfig, type Param, type RecurrentCell } from './cell-config.js';
import type { Kernels } from './kernels/kernels.js';
import { portableKernels } from './kernels/portable.js';
import { createCell } from './stacked-model.js';

// Encoder-decoder forecaster (model.decoder: seq2seq). The encoder reads the recent window of
// features; its final state starts the decoder, which unrolls the horizon one step at a time with
// its own previous mean as input (the last observed value at the first step). A dense head on the
// decoder state gives, per step, the change from the last observed value and a log-variance, so a
// zero head is persistence. Univariate per stream: the model is shared by the streams (batched).
// The cells are the stacked model's (Keras layouts; GRU reset-after), whose backward can hand the
// gradient of the carried-in state back: that is how the decoder's loss reaches the encoder.

export type Seq2SeqCellKind = 'lstm' | 'gru';

export interface Seq2SeqConfig {
  readonly kind: Seq2SeqCellKind;
  /** Encoder input features per step. */
  readonly inputSize: number;
  readonly units: number;
  readonly horizon: number;
  /**
   * Translation-invariant: the encoder reads each value minus the last one and the decoder its
   * previous value minus the last one (inputSize must be 1, the value). Default true: a level the
   * fit window never saw looks like one it did (the drift of ETTh2's test years).
   */
  readonly relative?: boolean;
  readonly seed: number;
}

export class Seq2SeqModel {
  readonly config: Seq2SeqConfig;
  readonly kernels: Kernels;
  readonly relative: boolean;
  readonly encoder: RecurrentCell;
  /** Input: the previous step's value (own mean or, in teacher forcing, the observed one). */
  readonly decoder: RecurrentCell;
  /** [units × 2]: change of the mean from the last value, log-variance. */
  readonly headKernel: Param;
  readonly headBias: Param;

  constructor(config: Seq2SeqConfig, kernels: Kernels = portableKernels) {
    const bad = (['inputSize', 'units', 'horizon'] as const).filter((k) => !(Number.isInteger(config[k]) && config[k] > 0));
    if (bad.length > 0 || (config.kind !== 'lstm' && config.kind !== 'gru')) {
      throw new TidecastError(
        `Invalid seq2seq config: kind must be lstm or gru and ${['inputSize', 'units', 'horizon'].join(', ')} positive integers (${JSON.stringify(config)}).`,
        'config_invalid',
        false,
      );
    }
    if (config.relative !== false && config.inputSize !== 1) {
      throw new TidecastError(
        `A relative seq2seq reads the value only (inputSize 1, got ${config.inputSize}); set relative: false for more features.`,
        'config_invalid',
        false,
      );
    }
    this.config = config;
    this.relative = config.relative !== false;
    this.kernels = kernels;
    this.encoder = createCell(kernels, cellConfig(config.kind, config.inputSize, config.units));
    this.decoder = createCell(kernels, cellConfig(config.kind, 1, config.units));
    this.headKernel = makeParam(kernels, 'head/kernel', [config.units, 2]);
    this.headBias = makeParam(kernels, 'head/bias', [2]);
  }

  params(): Param[] {
    return [...this.encoder.params, ...this.decoder.params, this.headKernel, this.headBias];
  }

  zeroGrads(): void {
    for (const p of this.params()) p.grad.fill(0);
  }

  clone(): Seq2SeqModel {
    const copy = new Seq2SeqModel(this.config, this.kernels);
    const from = this.params();
    copy.params().forEach((p, i) => {
      p.data.set(from[i].data);
    });
    return copy;
  }
}

/** Keras defaults, seeded: Glorot input kernels, orthogonal recurrent kernels, LSTM forget bias 1; head Glorot scaled down (starts near persistence). */
export function initialiseSeq2Seq(model: Seq2SeqModel, seed = model.config.seed): void {
  const rng = new Prng(seed);
  const u = model.config.units;
  for (const cell of [model.encoder, model.decoder]) {
    const [w, rec, bias] = cell.params;
    glorotUniform(rng, w.data, w.shape[0], w.shape[1]);
    orthogonal(rng, rec.data, rec.shape[0], rec.shape[1]);
    bias.data.fill(0);
    if (cell.config.kind === 'lstm') bias.data.fill(1, u, 2 * u);
  }
  glorotUniform(rng, model.headKernel.data, u, 2);
  for (let i = 0; i < model.headKernel.data.length; i++) model.headKernel.data[i] *= 0.1;
  model.headBias.data.fill(0);
}

function cellConfig(kind: Seq2SeqCellKind, inputSize: number, units: number): CellConfig {
  return { kind, inputSize, units, activation: 'tanh', recurrentActivation: 'sigmoid', unitForgetBias: true, resetAfter: true };
}
