import { StackedModel } from '../models/stacked-model.js';
import { clipByGlobalNorm } from '../training/clip.js';
import { initialiseWeights } from '../training/init.js';
import { gaussianNllLoss } from '../training/losses.js';
import { Adam } from '../training/optimisers.js';
import { Prng } from '../training/prng.js';
import { SequenceRunner } from '../training/sequence.js';

// One recurrent model across a pipeline's streams with a learned embedding per stream (the word2vec
// idea for series): the model reads, per step, the stream's scaled change and its embedding, and
// forecasts the next change (mean, log-variance). Embeddings learn with the weights by
// backpropagation into the inputs. A new stream has no embedding: it starts from the mean of the
// embeddings of the training streams whose first steps it resembles most (the model's one-step errors
// on its first changes, up to `statSteps`, under each training stream's embedding; the mean embedding
// before it has 3 changes).
// Series here are the streams' changes divided by their scale (the caller's normalisation).

export const STAT_COUNT = 5;

export interface StreamEmbeddingsOptions {
  readonly kind?: 'gru' | 'lstm';
  readonly units?: number;
  readonly dims?: number;
  /** Changes of a new stream whose statistics choose its neighbours. */
  readonly statSteps?: number;
  /** Neighbours averaged. */
  readonly neighbours?: number;
  readonly seed?: number;
}

export interface EmbeddingFitOptions {
  readonly updates: number;
  readonly batch: number;
  readonly window: number;
  readonly learningRate?: number;
  readonly embeddingLearningRate?: number;
}

/**
 * Scale-free statistics of the first n changes into out (STAT_COUNT values): mean / RMS, lag-1 and
 * lag-2 autocorrelation, share of zero changes, mean |change| / RMS.
 */
export function firstStepStats(changes: ArrayLike<number>, n: number, out: Float64Array): void {
  let s = 0,
    s2 = 0,
    a = 0,
    zeros = 0;
  for (let i = 0; i < n; i++) {
    const d = changes[i];
    s += d;
    s2 += d * d;
    a += Math.abs(d);
    if (d === 0) zeros++;
  }
  const rms = Math.sqrt(s2 / Math.max(1, n)) || 1;
  const mean = s / Math.max(1, n);
  const ac = (lag: number) => {
    let num = 0,
      den = 0;
    for (let i = 0; i < n; i++) {
      const x = changes[i] - mean;
      den += x * x;
      if (i >= lag) num += x * (changes[i - lag] - mean);
    }
    return den > 0 ? num / den : 0;
  };
  out[0] = mean / rms;
  out[1] = ac(1);
  out[2] = ac(2);
  out[3] = zeros / Math.max(1, n);
  out[4] = a / Math.max(1, n) / rms;
}

export class StreamEmbeddings {
  readonly model: StackedModel;
  readonly dims: number;
  readonly statSteps: number;
  readonly neighbours: number;
  /** streams × dims, learned by fit. */
  table = new Float32Array(0);
  /** streams × STAT_COUNT: each training stream's first-step statistics. */
  stats = new Float64Array(0);
  streams = 0;
  private readonly seed: number;
  private readonly stat = new Float64Array(STAT_COUNT);
  private probe: SequenceRunner | undefined;
  private probeInputs = new Float32Array(0);

  constructor(o: StreamEmbeddingsOptions = {}) {
    this.dims = o.dims ?? 4;
    this.statSteps = o.statSteps ?? 10;
    this.neighbours = o.neighbours ?? 3;
    this.seed = o.seed ?? 1;
    this.model = new StackedModel({
      kind: o.kind ?? 'gru',
      inputSize: 1 + this.dims,
      units: o.units ?? 16,
      layers: 1,
      horizon: 1,
      outputSize: 1,
      seed: this.seed,
    });
    initialiseWeights(this.model);
  }

  /** Learns the weights and one embedding per series (scaled changes, each at least window + 1 long). */
  fit(series: readonly Float32Array[], o: EmbeddingFitOptions): { firstLoss: number; lastLoss: number } {
    const S = series.length,
      d = this.dims,
      T = o.window,
      B = o.batch,
      inSize = 1 + d;
    this.streams = S;
    const rng = new Prng(this.seed);
    this.table = new Float32Array(S * d);
    for (let i = 0; i < this.table.length; i++) this.table[i] = 0.1 * rng.normal();
    this.stats = new Float64Array(S * STAT_COUNT);
    series.forEach((x, s) => {
      firstStepStats(x, Math.min(this.statSteps, x.length), this.stat);
      this.stats.set(this.stat, s * STAT_COUNT);
    });
    const runner = new SequenceRunner(this.model, T, B);
    const params = this.model.params();
    const adam = new Adam({ learningRate: o.learningRate ?? 0.005 });
    const eLr = o.embeddingLearningRate ?? 0.5;
    const inputs = new Float32Array(T * B * inSize),
      targets = new Float32Array(T * B);
    const dOut = new Float32Array(T * B * 2),
      dIn = new Float32Array(T * B * inSize);
    const picks = new Int32Array(B);
    const eGrad = new Float32Array(B * d);
    let firstLoss = NaN,
      tail = 0,
      tailN = 0;
    const usable = series.map((x, s) => (x.length > T + 1 ? s : -1)).filter((s) => s >= 0);
    if (usable.length === 0) throw new RangeError(`no series longer than ${T + 1} steps`);
    for (let u = 0; u < o.updates; u++) {
      for (let b = 0; b < B; b++) {
        const s = usable[rng.int(usable.length)],
          x = series[s];
        picks[b] = s;
        // Mostly windows from the start (what a cold start sees), some from anywhere.
        const from = rng.next() < 0.5 ? 0 : rng.int(x.length - T - 1);
        for (let t = 0; t < T; t++) {
          const r = (t * B + b) * inSize;
          inputs[r] = x[from + t];
          for (let j = 0; j < d; j++) inputs[r + 1 + j] = this.table[s * d + j];
          targets[t * B + b] = x[from + t + 1];
        }
      }
      runner.resetInitialState(B);
      const out = runner.forward(T, B, inputs, 0, true, rng);
      const loss = gaussianNllLoss(out, targets, T * B, dOut);
      this.model.zeroGrads();
      runner.backward(dOut, dIn);
      const norm = clipByGlobalNorm(params, 1);
      if (!Number.isFinite(norm)) continue;
      adam.step(params, this.model.kernels);
      // Embedding gradients: the inputs' gradients summed over the window, per picked stream.
      eGrad.fill(0);
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) for (let j = 0; j < d; j++) eGrad[b * d + j] += dIn[(t * B + b) * inSize + 1 + j];
      for (let b = 0; b < B; b++)
        for (let j = 0; j < d; j++) this.table[picks[b] * d + j] -= eLr * Math.max(-1, Math.min(1, eGrad[b * d + j]));
      if (u === 0) firstLoss = loss;
      if (u >= o.updates - Math.max(1, Math.floor(o.updates / 10))) {
        tail += loss;
        tailN++;
      }
    }
    return { firstLoss, lastLoss: tail / tailN };
  }

  /** The mean of all training embeddings (a new stream before it has statSteps changes). */
  meanEmbedding(out: Float32Array): void {
    out.fill(0);
    for (let s = 0; s < this.streams; s++) for (let j = 0; j < this.dims; j++) out[j] += this.table[s * this.dims + j] / this.streams;
  }

  /**
   * The cold-start embedding of a new stream from its first n changes: the mean embedding of the
   * `neighbours` training streams it resembles most, measured by the model itself: the one-step
   * errors over its first min(n, statSteps) changes with each training stream's embedding (all run
   * as one batch). The mean of all embeddings under 3 changes. (The first-step statistics are kept
   * per training stream too; with ~10 noisy changes they proved a poorer guide than the model's fit.)
   */
  coldStart(changes: ArrayLike<number>, n: number, out: Float32Array): void {
    if (n < 3 || this.streams === 0) {
      this.meanEmbedding(out);
      return;
    }
    const S = this.streams,
      d = this.dims,
      m = Math.min(n, this.statSteps),
      inSize = 1 + d;
    if (this.probe === undefined || this.probe.maxBatch < S) {
      this.probe = new SequenceRunner(this.model, this.statSteps, S);
      this.probeInputs = new Float32Array(this.statSteps * S * inSize);
    }
    const x = this.probeInputs;
    for (let t = 0; t < m; t++) {
      for (let s = 0; s < S; s++) {
        const r = (t * S + s) * inSize;
        x[r] = changes[t];
        for (let j = 0; j < d; j++) x[r + 1 + j] = this.table[s * d + j];
      }
    }
    this.probe.resetInitialState(S);
    const y = this.probe.forward(m, S, x, 0, false);
    const k = Math.min(this.neighbours, S);
    const best = new Float64Array(k).fill(Infinity),
      who = new Int32Array(k).fill(-1);
    for (let s = 0; s < S; s++) {
      let err = 0;
      for (let t = 0; t + 1 < m; t++) err += (y[(t * S + s) * 2] - changes[t + 1]) ** 2;
      let at = k - 1;
      if (err >= best[at]) continue;
      while (at > 0 && best[at - 1] > err) {
        best[at] = best[at - 1];
        who[at] = who[at - 1];
        at--;
      }
      best[at] = err;
      who[at] = s;
    }
    out.fill(0);
    for (const s of who) for (let j = 0; j < d; j++) out[j] += this.table[s * d + j] / k;
  }

  /**
   * One-step forecasts for a new stream: out[t] is the forecast of changes[t + 1] made after seeing
   * changes 0..t, with the embedding chosen from what was seen by then ('neighbours'), or the mean
   * or zero embedding throughout. The model's state is carried step to step (leak-free).
   */
  coldForecasts(changes: ArrayLike<number>, n: number, mode: 'neighbours' | 'mean' | 'zero', out: Float32Array): void {
    const d = this.dims,
      runner = new SequenceRunner(this.model, 1, 1);
    const state = new Float32Array(this.model.stateSize),
      x = new Float32Array(1 + d),
      e = new Float32Array(d);
    if (mode === 'mean') this.meanEmbedding(e);
    for (let t = 0; t < n; t++) {
      // Neighbours chosen again as the first statSteps changes come in, then kept.
      if (mode === 'neighbours' && t < this.statSteps) this.coldStart(changes, t + 1, e);
      x[0] = changes[t];
      x.set(e, 1);
      runner.setInitialState(state, 1);
      const y = runner.forward(1, 1, x, 0, false);
      runner.getState(1, state);
      out[t] = y[0];
    }
  }
}

/**
 * The per-stream-from-scratch baseline: the same cell trained on the new stream's own changes only,
 * from its seeded init. out[t] forecasts changes[t + 1] from changes 0..t; after each new change,
 * `updates` Adam steps on the prefix seen so far.
 */
export function scratchForecasts(
  changes: ArrayLike<number>,
  n: number,
  out: Float32Array,
  o: { units?: number; updates?: number; seed?: number } = {},
): void {
  const model = new StackedModel({
    kind: 'gru',
    inputSize: 1,
    units: o.units ?? 16,
    layers: 1,
    horizon: 1,
    outputSize: 1,
    seed: o.seed ?? 1,
  });
  initialiseWeights(model);
  model.headKernel.data.fill(0); // a zero head: persistence until it learns (as the engine's init)
  const runner = new SequenceRunner(model, n, 1);
  const adam = new Adam({ learningRate: 0.01 });
  const params = model.params();
  const x = Float32Array.from({ length: n }, (_, i) => changes[i]);
  const targets = new Float32Array(n),
    dOut = new Float32Array(2 * n);
  for (let t = 0; t < n; t++) {
    runner.resetInitialState(1);
    out[t] = runner.forward(t + 1, 1, x, 0, false)[2 * t];
    if (t + 1 >= n) break;
    // Change t + 1 is now known: learn from the pairs (0..t) -> (1..t+1).
    for (let i = 0; i <= t; i++) targets[i] = x[i + 1];
    for (let u = 0; u < (o.updates ?? 3); u++) {
      runner.resetInitialState(1);
      const y = runner.forward(t + 1, 1, x, 0, true);
      gaussianNllLoss(y, targets, t + 1, dOut);
      model.zeroGrads();
      runner.backward(dOut);
      if (Number.isFinite(clipByGlobalNorm(params, 1))) adam.step(params, model.kernels);
    }
  }
}
