// Baseline deviation per stream: how far the value has moved from the stream's own slow baseline,
// for faults that persist. A one-step forecaster follows a new level within a few steps, so its
// residuals (surprise, likelihood) flag where a fault starts and ends but not the time between; a
// valve left half closed for minutes is anomalous all along. Here:
// - baseline = EWMA mean and variance of the value (half-life `halfLife` steps; a plain running
//   mean over the first `warmup` steps, which are not scored);
// - z = (x - mean) / sd, clipped at ±CLIP, smoothed by an EWMA of span `span` (zs), so a lone
//   spike is the surprise's business and a sustained move is this part's;
// - zs is scaled by max(its theoretical sd under white noise, its learned sd over normal steps),
//   so that a stream whose level wanders (autocorrelated, e.g. a temperature) reads as calibrated;
//   the output is the two-sided surprise -log10 p of that ratio, on the scale of the others;
// - the baseline (and the learned sd) stops learning while that ratio is >= `freezeZ`: an ongoing
//   deviation is not absorbed into what normal is (a slow drift, which never gets that far, still
//   is). After `maxFreeze` frozen steps it learns again: a change that lasts that long is the new
//   normal, and a level that moved for good must not alarm forever.
// O(1) per step on per-slot typed arrays, no allocation.
import { surpriseFromZ } from './normal-tail.js';
import { grown, type SlotColumns } from './slot-arrays.js';

export interface BaselineDeviationOptions {
  /** Half-life of the baseline mean and variance, in steps. */
  readonly halfLife: number;
  /** EWMA span of the smoothed deviation, in steps. */
  readonly span: number;
  /** The baseline stops learning while the scaled smoothed deviation is at least this (in its sds). */
  readonly freezeZ: number;
  /** Frozen steps after which it learns again (the change is the new normal). */
  readonly maxFreeze: number;
  /** Steps that only learn (running mean and variance) before a deviation is given. */
  readonly warmup: number;
}

export const defaultBaselineDeviationOptions: BaselineDeviationOptions = {
  halfLife: 600,
  span: 10,
  freezeZ: 5,
  maxFreeze: 300,
  warmup: 50,
};

const CLIP = 8;
const MIN_VAR = 1e-18;

export class BaselineDeviation implements SlotColumns {
  private count = new Int32Array(0);
  private mean = new Float64Array(0);
  private variance = new Float64Array(0);
  private smoothed = new Float64Array(0);
  private smoothedVar = new Float64Array(0);
  private frozen = new Int32Array(0);
  private readonly alpha: number;
  private readonly beta: number;
  private readonly theorySd: number;

  constructor(readonly options: BaselineDeviationOptions = defaultBaselineDeviationOptions) {
    this.alpha = 1 - 2 ** (-1 / options.halfLife);
    this.beta = 2 / (options.span + 1);
    this.theorySd = Math.sqrt(this.beta / (2 - this.beta));
  }

  /**
   * Adds one real value; returns the deviation's surprise (NaN while warming up or for a
   * non-finite value). learn = false (a stuck sensor's repeated value) scores without learning.
   */
  update(slot: number, x: number, learn = true): number {
    if (!Number.isFinite(x)) return NaN;
    this.reserve(slot + 1);
    const n = this.count[slot];
    const e = x - this.mean[slot];
    if (n < this.options.warmup) {
      if (learn) this.learn(slot, e, 1 / (n + 1));
      return NaN;
    }
    const zRaw = e / Math.sqrt(Math.max(this.variance[slot], MIN_VAR));
    const z = zRaw > CLIP ? CLIP : zRaw < -CLIP ? -CLIP : zRaw;
    const zs = this.smoothed[slot] + this.beta * (z - this.smoothed[slot]);
    this.smoothed[slot] = zs;
    const sd = Math.max(this.theorySd, Math.sqrt(this.smoothedVar[slot]));
    const ratio = zs / sd;
    if (learn && (Math.abs(ratio) < this.options.freezeZ || this.frozen[slot] >= this.options.maxFreeze)) {
      const a = Math.max(this.alpha, 1 / (n + 1));
      this.learn(slot, e, a);
      this.smoothedVar[slot] = (1 - a) * this.smoothedVar[slot] + a * zs * zs;
      this.frozen[slot] = 0;
    } else if (learn) this.frozen[slot]++;
    return surpriseFromZ(ratio);
  }

  private learn(slot: number, e: number, a: number): void {
    this.mean[slot] += a * e;
    this.variance[slot] = (1 - a) * (this.variance[slot] + a * e * e);
    if (this.count[slot] < 0x7fffffff) this.count[slot]++;
  }

  reserve(n: number): void {
    if (this.count.length >= n) return;
    this.count = grown(this.count, n);
    const len = this.count.length;
    this.mean = grown(this.mean, len);
    this.variance = grown(this.variance, len);
    this.smoothed = grown(this.smoothed, len);
    this.smoothedVar = grown(this.smoothedVar, len);
    this.frozen = grown(this.frozen, len);
  }

  columns() {
    return [
      [this.count, 1],
      [this.mean, 1],
      [this.variance, 1],
      [this.smoothed, 1],
      [this.smoothedVar, 1],
      [this.frozen, 1],
    ] as const;
  }
}
