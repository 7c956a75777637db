import type { Param } from '../models/cell-config.js';
import type { Seq2SeqModel } from '../models/seq2seq-model.js';
import { clipByGlobalNorm } from './clip.js';
import { gaussianNllLoss } from './losses.js';
import { Adam, type Optimiser } from './optimisers.js';
import { Prng } from './prng.js';
import { Seq2SeqRunner } from './seq2seq-runner.js';

// Fits the encoder-decoder on windows drawn from per-stream series: each sample is (stream, origin)
// with the W values before the origin as the encoder's input and the H after it as targets, Gaussian
// NLL on mean and log-variance, Adam and global-norm clipping as the other fits. Scheduled sampling
// (Bengio et al. 2015): the chance that the decoder is fed the observed previous value instead of its
// own mean falls linearly from teacherStart to teacherEnd over the updates.

export interface Seq2SeqFitOptions {
  readonly window: number;
  readonly updates: number;
  readonly batch: number;
  readonly learningRate?: number;
  readonly clipNorm?: number;
  readonly teacherStart?: number;
  readonly teacherEnd?: number;
  readonly seed?: number;
  readonly optimiser?: Optimiser;
}

export interface Seq2SeqFitReport {
  readonly updates: number;
  readonly skipped: number;
  readonly firstLoss: number;
  /** Mean loss over the last tenth of the updates. */
  readonly lastLoss: number;
}

/**
 * series: steps × streams values (time-major), already on the model's scale; the model's inputSize
 * must be 1 (the value). Windows need W + H steps; origins with a NaN in the window are skipped.
 */
export function fitSeq2Seq(
  model: Seq2SeqModel,
  series: Float32Array,
  steps: number,
  streams: number,
  o: Seq2SeqFitOptions,
): Seq2SeqFitReport {
  const W = o.window,
    H = model.config.horizon,
    B = o.batch;
  if (model.config.inputSize !== 1) throw new RangeError('fitSeq2Seq feeds the value only: inputSize must be 1');
  const origins: number[] = []; // flattened (origin, stream) pairs with complete windows
  for (let s = 0; s < streams; s++) {
    let run = 0; // finite values ending at t
    for (let t = 0; t < steps; t++) {
      run = Number.isFinite(series[t * streams + s]) ? run + 1 : 0;
      // origin = t + 1 - H: the window [origin - W, origin + H) ends at t
      if (run >= W + H) origins.push((t + 1 - H) * streams + s);
    }
  }
  if (origins.length === 0) throw new RangeError(`no complete window of ${W} + ${H} steps in the series`);
  const rng = new Prng(o.seed ?? model.config.seed);
  const runner = new Seq2SeqRunner(model, W, B);
  const optimiser = o.optimiser ?? new Adam({ learningRate: o.learningRate ?? 3e-3 });
  const params: Param[] = model.params();
  const inputs = new Float32Array(W * B),
    last = new Float32Array(B),
    targets = new Float32Array(H * B);
  const teacher = new Uint8Array(H * B),
    dOut = new Float32Array(H * B * 2);
  const t0 = o.teacherStart ?? 1,
    t1 = o.teacherEnd ?? 0;
  let firstLoss = NaN,
    tail = 0,
    tailN = 0,
    skipped = 0;
  for (let u = 0; u < o.updates; u++) {
    const pTeacher = t0 + ((t1 - t0) * u) / Math.max(1, o.updates - 1);
    for (let b = 0; b < B; b++) {
      const pick = origins[rng.int(origins.length)];
      const s = pick % streams,
        origin = (pick - s) / streams;
      for (let t = 0; t < W; t++) inputs[t * B + b] = series[(origin - W + t) * streams + s];
      last[b] = series[(origin - 1) * streams + s];
      for (let h = 0; h < H; h++) {
        targets[h * B + b] = series[(origin + h) * streams + s];
        teacher[h * B + b] = rng.next() < pTeacher ? 1 : 0;
      }
    }
    const out = runner.forward(W, B, inputs, 0, last, targets, teacher);
    const loss = gaussianNllLoss(out, targets, H * B, dOut);
    model.zeroGrads();
    runner.backward(dOut);
    const norm = clipByGlobalNorm(params, o.clipNorm ?? 1);
    if (Number.isFinite(norm)) optimiser.step(params, model.kernels);
    else skipped++;
    if (u === 0) firstLoss = loss;
    if (u >= o.updates - Math.max(1, Math.floor(o.updates / 10))) {
      tail += loss;
      tailN++;
    }
  }
  return { updates: o.updates - skipped, skipped, firstLoss, lastLoss: tail / tailN };
}
