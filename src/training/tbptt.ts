import { TidecastError } from '../core/errors.js';
import type { Param } from '../models/cell-config.js';
import type { StackedModel } from '../models/stacked-model.js';
import { clipByGlobalNorm, clipByValue } from './clip.js';
import { lossFunction, type LossName } from './losses.js';
import type { Optimiser } from './optimisers.js';
import { Prng } from './prng.js';
import { SequenceRunner } from './sequence.js';

// Truncated backpropagation through time, TBPTT(k1, k2) (Williams & Peng): every k1 steps, run
// forward over the last k2 steps from the state carried in at that point, take the loss on the
// last min(k1, k2) of them, backpropagate all k2, update. With k2 < k1 the steps between windows
// only advance the state (no loss). Each stream's state is carried between windows and between
// calls of train(); look-back does not reach into earlier calls.

export interface SequenceBatch {
  readonly steps: number;
  readonly batch: number;
  /** steps × batch × inputSize */
  readonly inputs: Float32Array;
  /** steps × batch × horizon × outputSize; NaN = no target */
  readonly targets: Float32Array;
}

export interface TbpttOptions {
  readonly k1: number;
  readonly k2: number;
  readonly loss: LossName;
  readonly optimiser: Optimiser;
  readonly clipNorm?: number;
  readonly clipValue?: number;
  /** Seeds dropout masks. */
  readonly seed?: number;
}

export interface TbpttReport {
  readonly updates: number;
  /** Windows whose gradient was not finite: no update was applied for them. */
  readonly skipped: number;
  /** Mean over updates of each window's loss. */
  readonly meanLoss: number;
  /** Global gradient norms before clipping, one per update. */
  readonly gradNorms: readonly number[];
}

export class TbpttTrainer {
  readonly model: StackedModel;
  readonly options: TbpttOptions;
  readonly maxBatch: number;
  private readonly runner: SequenceRunner;
  private readonly state: Float32Array;
  private readonly windowTargets: Float32Array;
  private readonly dOut: Float32Array;
  private readonly rng: Prng;
  private readonly params: readonly Param[];

  constructor(model: StackedModel, options: TbpttOptions, maxBatch: number) {
    const { k1, k2 } = options;
    if (!Number.isInteger(k1) || !Number.isInteger(k2) || k1 < 1 || k2 < 1) {
      throw new TidecastError(`TBPTT needs positive integers k1 and k2, got k1=${k1}, k2=${k2}.`, 'config_invalid', false);
    }
    this.model = model;
    this.options = options;
    this.maxBatch = maxBatch;
    this.runner = new SequenceRunner(model, k2, maxBatch);
    this.state = new Float32Array(maxBatch * model.stateSize);
    const targetWidth = model.config.horizon * model.config.outputSize;
    this.windowTargets = new Float32Array(k2 * maxBatch * targetWidth);
    this.dOut = new Float32Array(k2 * maxBatch * model.outputWidth);
    this.rng = new Prng(options.seed ?? model.config.seed);
    this.params = model.params();
  }

  /** Starts every stream from the zero state again. */
  resetState(): void {
    this.state.fill(0);
  }

  /** The carried state rows (batch × stateSize) after the last train() call. */
  carriedState(): Float32Array {
    return this.state;
  }

  train(data: SequenceBatch): TbpttReport {
    const { k1, k2 } = this.options;
    const { steps: N, batch: B } = data;
    const m = this.model;
    const inSize = m.config.inputSize;
    const tw = m.config.horizon * m.config.outputSize;
    if (B > this.maxBatch) throw new RangeError(`batch ${B} exceeds ${this.maxBatch}`);
    if (data.inputs.length < N * B * inSize || data.targets.length < N * B * tw) {
      throw new RangeError(`sequence batch of ${N}×${B} needs ${N * B * inSize} inputs and ${N * B * tw} targets`);
    }
    assertFinite(data.inputs, N * B * inSize, 'input');
    assertFinite(data.targets, N * B * tw, 'target', true);
    const lossFn = lossFunction(this.options.loss);
    const params = this.params;
    const gradNorms: number[] = [];
    let lossSum = 0;
    let skipped = 0;
    let pos = 0; // the step this.state belongs to
    for (let end = Math.min(k1, N); ; end = Math.min(end + k1, N)) {
      const wStart = Math.max(pos, end - k2);
      this.advance(data, pos, wStart, B);
      const T = end - wStart;
      this.runner.setInitialState(this.state, B);
      const out = this.runner.forward(T, B, data.inputs, wStart * B * inSize, true, this.rng);
      // State for the next window, taken before the update: it is detached anyway.
      pos = end < N ? Math.min(Math.max(wStart, end + k1 - k2), end) : end;
      this.runner.getState(pos - wStart, this.state);
      const lossFrom = Math.max(wStart, end - k1);
      this.fillWindowTargets(data, wStart, T, B, lossFrom);
      const loss = lossFn(out, this.windowTargets, T * B * tw, this.dOut);
      for (let i = 0; i < params.length; i++) params[i].grad.fill(0);
      this.runner.backward(this.dOut);
      const norm = this.clip(params);
      gradNorms.push(norm);
      if (Number.isFinite(norm)) this.options.optimiser.step(params, m.kernels);
      else skipped++;
      lossSum += loss;
      if (end >= N) break;
    }
    return { updates: gradNorms.length - skipped, skipped, meanLoss: lossSum / gradNorms.length, gradNorms };
  }

  /** Moves the carried state from step `from` to step `to` without training (k2 < k1 gaps). */
  private advance(data: SequenceBatch, from: number, to: number, B: number): void {
    const inSize = this.model.config.inputSize;
    for (let t = from; t < to; t += this.runner.maxSteps) {
      const T = Math.min(this.runner.maxSteps, to - t);
      this.runner.setInitialState(this.state, B);
      this.runner.forward(T, B, data.inputs, t * B * inSize, false);
      this.runner.getState(T, this.state);
    }
  }

  private fillWindowTargets(data: SequenceBatch, wStart: number, T: number, B: number, lossFrom: number): void {
    const tw = this.model.config.horizon * this.model.config.outputSize;
    const row = B * tw;
    const out = this.windowTargets;
    for (let t = 0; t < T; t++) {
      const dst = t * row;
      if (wStart + t < lossFrom) out.fill(NaN, dst, dst + row);
      else for (let i = 0, src = (wStart + t) * row; i < row; i++) out[dst + i] = data.targets[src + i];
    }
  }

  private clip(params: readonly Param[]): number {
    const norm = this.options.clipNorm !== undefined ? clipByGlobalNorm(params, this.options.clipNorm) : clipByGlobalNorm(params, Infinity);
    if (this.options.clipValue !== undefined) clipByValue(params, this.options.clipValue);
    return norm;
  }
}

function assertFinite(a: Float32Array, n: number, what: string, nanAllowed = false): void {
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (v - v !== 0 && !(nanAllowed && Number.isNaN(v))) {
      throw new TidecastError(`Training ${what} ${i} is ${v}: inputs must be finite (targets may be NaN for "none").`, 'non_finite', false);
    }
  }
}

/** Mean loss of the model over whole sequences from the zero state, no dropout, no update. */
/**
 * runner: one to reuse (sized for data, over `model`): on a WASM kernel heap, which never frees,
 * a new runner per call would fill it up over many epochs.
 */
export function evaluateLoss(
  model: StackedModel,
  data: SequenceBatch,
  loss: LossName,
  runner = new SequenceRunner(model, data.steps, data.batch),
): number {
  runner.resetInitialState(data.batch);
  const out = runner.forward(data.steps, data.batch, data.inputs, 0, false);
  const tw = model.config.horizon * model.config.outputSize;
  const dOut = new Float32Array(out.length);
  return lossFunction(loss)(out, data.targets, data.steps * data.batch * tw, dOut);
}
