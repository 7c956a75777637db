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
  /** Asked before each update: true stops the fit there (a safety cap on wall time). */
  readonly stop?: () => boolean;
}

export interface Seq2SeqFitReport {
  readonly updates: number;
  /** Whether `stop` ended the fit before its updates. */
  readonly stopped?: boolean;
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
  return trainLoop(
    model,
    o,
    (pick, b, inputs, last, targets) => {
      const s = origins[pick] % streams,
        origin = (origins[pick] - s) / streams;
      for (let t = 0; t < W; t++) inputs[t * B + b] = series[(origin - W + t) * streams + s];
      last[b] = series[(origin - 1) * streams + s];
      for (let h = 0; h < H; h++) targets[h * B + b] = series[(origin + h) * streams + s];
    },
    origins.length,
  );
}

/** Feature windows and per-horizon targets, time-major (the engine's offline fit data). */
export interface Seq2SeqFeatureData {
  readonly steps: number;
  readonly batch: number;
  /** steps × batch × inputSize */
  readonly inputs: Float32Array;
  /** steps × batch × horizon: the target at horizon h for the forecast made at step t (NaN: none). */
  readonly targets: Float32Array;
}

/**
 * The engine's form (model.decoder: seq2seq): the encoder reads the W feature vectors up to and
 * including step t (zeros before a stream's first step, as the served state starts), the decoder
 * predicts the H targets of step t from base 0 (they are changes from the level at t), teacher-forced
 * with those targets. Origins with no finite target are skipped. The model must be non-relative.
 */
export function fitSeq2SeqFeatures(model: Seq2SeqModel, data: Seq2SeqFeatureData, o: Seq2SeqFitOptions): Seq2SeqFitReport {
  const W = o.window,
    H = model.config.horizon,
    B = o.batch,
    S = data.batch,
    inSize = model.config.inputSize;
  if (model.relative) throw new RangeError('fitSeq2SeqFeatures feeds feature vectors: the model must be non-relative');
  if (data.inputs.length !== data.steps * S * inSize)
    throw new RangeError(`inputs hold ${data.inputs.length} floats, expected ${data.steps}×${S}×${inSize}`);
  const origins: number[] = []; // t · S + stream
  for (let i = 0; i < data.steps * S; i++) {
    let any = false;
    for (let h = 0; h < H; h++) if (Number.isFinite(data.targets[i * H + h])) any = true;
    if (any) origins.push(i);
  }
  if (origins.length === 0) throw new RangeError('no step with a target to fit the seq2seq model on');
  return trainLoop(
    model,
    o,
    (pick, b, inputs, last, targets) => {
      const s = origins[pick] % S,
        t0 = (origins[pick] - s) / S;
      for (let t = 0; t < W; t++) {
        const src = t0 - W + 1 + t;
        for (let j = 0; j < inSize; j++) inputs[(t * B + b) * inSize + j] = src < 0 ? 0 : data.inputs[(src * S + s) * inSize + j];
      }
      last[b] = 0;
      for (let h = 0; h < H; h++) targets[h * B + b] = data.targets[(t0 * S + s) * H + h];
    },
    origins.length,
  );
}

/** Scheduled-sampling Adam loop over batches drawn by `draw(pick, row, ...)` with pick in [0, count). */
function trainLoop(
  model: Seq2SeqModel,
  o: Seq2SeqFitOptions,
  draw: (pick: number, b: number, inputs: Float32Array, last: Float32Array, targets: Float32Array) => void,
  count: number,
): Seq2SeqFitReport {
  const W = o.window,
    H = model.config.horizon,
    B = o.batch;
  const rng = new Prng(o.seed ?? model.config.seed);
  const runner = new Seq2SeqRunner(model, W, B);
  const optimiser = o.optimiser ?? new Adam({ learningRate: o.learningRate ?? 3e-3 });
  const params: Param[] = model.params();
  const inputs = new Float32Array(W * B * model.config.inputSize),
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
  let done = o.updates;
  for (let u = 0; u < o.updates; u++) {
    if (o.stop?.() === true) {
      done = u;
      break;
    }
    const pTeacher = t0 + ((t1 - t0) * u) / Math.max(1, o.updates - 1);
    for (let b = 0; b < B; b++) {
      draw(rng.int(count), b, inputs, last, targets);
      for (let h = 0; h < H; h++) teacher[h * B + b] = rng.next() < pTeacher ? 1 : 0;
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
  return {
    updates: done - skipped,
    skipped,
    firstLoss,
    lastLoss: tailN > 0 ? tail / tailN : Number.NaN,
    ...(done < o.updates && { stopped: true }),
  };
}
