import { Prng } from '../training/prng.js';
import { SoftmaxRegression } from './softmax-regression.js';

// The kind of a deviation an alert fired on: spike, level shift, variance change or stuck sensor.
// Many-to-one over the stream's last `window` values, in units of the stream's own typical one-step
// change measured on the reference part (the values before the last `recent` steps). The labels come
// from the stream itself: clean stretches of its history get each kind injected synthetically
// (sizes as benchmarks/alerts-inject.ts, in the same units), and one softmax regression per pipeline
// learns from those; real alerts are then classified. No alert label is ever needed (self-supervised).

export const DEVIATION_KINDS = ['spike', 'level_shift', 'variance', 'stuck'] as const;
export type DeviationKind = (typeof DEVIATION_KINDS)[number];
export const DEVIATION_FEATURES = 9;

export interface DeviationClassifierOptions {
  /** Values per classified window (reference + recent). */
  readonly window?: number;
  /** The last steps that may hold the deviation. */
  readonly recent?: number;
  readonly learningRate?: number;
  readonly seed?: number;
}

export class DeviationClassifier {
  readonly window: number;
  readonly recent: number;
  readonly model: SoftmaxRegression;
  private readonly rng: Prng;
  private readonly x = new Float64Array(DEVIATION_FEATURES);
  private readonly copy: Float64Array;
  private readonly sorted: Float64Array;

  constructor(o: DeviationClassifierOptions = {}) {
    this.window = o.window ?? 48;
    this.recent = o.recent ?? 8;
    if (!(this.recent >= 2 && this.window >= this.recent + 8))
      throw new RangeError(`window ${this.window} must exceed recent ${this.recent} by 8 or more (recent >= 2)`);
    this.model = new SoftmaxRegression(DEVIATION_FEATURES, DEVIATION_KINDS.length, { learningRate: o.learningRate ?? 0.2 });
    this.rng = new Prng(o.seed ?? 1);
    this.copy = new Float64Array(this.window);
    this.sorted = new Float64Array(this.window - this.recent);
  }

  /**
   * Learns from a clean window (the last `window` values ending at `end`, exclusive, of `values`):
   * one copy per kind with that kind injected into its last steps. Returns false (nothing learned)
   * when the window has a non-finite value or no variation.
   */
  learnFromClean(values: ArrayLike<number>, end: number): boolean {
    const W = this.window,
      R = this.recent,
      c = this.copy,
      rng = this.rng;
    if (end < W) return false;
    for (let i = 0; i < W; i++) if (!Number.isFinite(values[end - W + i])) return false;
    const sd = this.referenceScale(values, end);
    if (!(sd > 0)) return false;
    for (let k = 0; k < DEVIATION_KINDS.length; k++) {
      for (let i = 0; i < W; i++) c[i] = values[end - W + i];
      // The detector fires somewhere in the deviation: it began 1..R steps before the window's end (a spike: at its end).
      const len = k === 0 ? 1 : 2 + rng.int(R - 1);
      const sign = rng.next() < 0.5 ? -1 : 1;
      const shift = sign * rng.uniform(4, 6) * sd,
        noise = rng.uniform(3, 4) * sd;
      for (let i = W - len; i < W; i++) {
        if (k === 0) c[i] += sign * rng.uniform(6, 9) * sd;
        else if (k === 1) c[i] += shift;
        else if (k === 2) c[i] += noise * rng.normal();
        else c[i] = c[W - len - 1];
      }
      if (this.features(c, W)) this.model.learn(this.x, 0, k);
    }
    return true;
  }

  /** Kind probabilities (DEVIATION_KINDS order) of the window ending at `end` (exclusive) into out; false while untrained or without a usable window. */
  classify(values: ArrayLike<number>, end: number, out: Float64Array): boolean {
    if (this.model.examples === 0 || end < this.window || !this.features(values, end)) return false;
    this.model.predict(this.x, 0, out);
    return true;
  }

  /** Std of the one-step changes of the reference part. */
  private referenceScale(v: ArrayLike<number>, end: number): number {
    const from = end - this.window,
      ref = this.window - this.recent;
    let s = 0,
      s2 = 0;
    for (let i = from + 1; i < from + ref; i++) {
      const d = v[i] - v[i - 1];
      s += d;
      s2 += d * d;
    }
    const n = ref - 1;
    return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
  }

  private features(v: ArrayLike<number>, end: number): boolean {
    const W = this.window,
      R = this.recent,
      from = end - W,
      ref = W - R;
    for (let i = from; i < end; i++) if (!Number.isFinite(v[i])) return false;
    const sd = this.referenceScale(v, end);
    if (!(sd > 0)) return false;
    for (let i = 0; i < ref; i++) this.sorted[i] = v[from + i];
    this.sorted.sort();
    const median = ref % 2 === 1 ? this.sorted[(ref - 1) / 2] : 0.5 * (this.sorted[ref / 2 - 1] + this.sorted[ref / 2]);
    let refMean = 0;
    for (let i = 0; i < ref; i++) refMean += v[from + i] / ref;
    let mean = 0,
      far = 0,
      zeros = 0,
      ds = 0,
      ds2 = 0;
    for (let i = end - R; i < end; i++) {
      mean += v[i] / R;
      if (Math.abs(v[i] - median) > 3 * sd) far++;
      const d = v[i] - v[i - 1];
      if (d === 0) zeros++;
      ds += d;
      ds2 += d * d;
    }
    const last = v[end - 1],
      prev = v[end - 2];
    const x = this.x;
    x[0] = Math.abs(last - median) / sd;
    x[1] = Math.abs(prev - median) / sd;
    x[2] = Math.abs(mean - refMean) / sd;
    x[3] = Math.log(Math.sqrt(Math.max(0, ds2 / R - (ds / R) ** 2)) / sd + 1e-3);
    x[4] = zeros / R;
    x[5] = Math.abs(last - prev) / sd;
    x[6] = far / R;
    // Level shift: the recent values agree with each other; a spike: only the last is off.
    x[7] = Math.abs(mean - last) / sd;
    x[8] = x[0] - x[1];
    return true;
  }
}
