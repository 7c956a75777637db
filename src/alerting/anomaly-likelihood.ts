// Anomaly likelihood per stream (after Ahmad et al. 2017, "Unsupervised real-time anomaly detection
// for streaming data"), on the surprise instead of a raw score: is the recent surprise unusual for
// THIS stream? A single big surprise is the surprise's own job; the likelihood answers whether the
// stream has been more surprising than it usually is for a while (a changed regime, a persistent
// fault), measured against the stream's own long-run distribution, so a stream whose forecasts are
// always a bit off does not alarm forever.
//
// Per step, with x the surprise:
// - x is winsorised at cap = max(FLOOR_CAP, mean + clip·sd) of the long-run surprise, so one
//   heavy-tailed outlier moves the short mean by at most alpha·cap;
// - short = EWMA of the winsorised x over `shortSpan` steps;
// - the long-run mean and sd of cbrt(short) itself (EWMA, half-life `longHalfLife` steps; during the
//   warm-up a plain running mean) give z = (short - mean) / sd. Tracking the short mean's own spread
//   absorbs autocorrelated surprise and heavy tails; the long statistics are fed winsorised values
//   too (and the spread nothing beyond the cap), so a sustained anomaly is learnt as normal only
//   slowly while a slow drift still is;
// - likelihood = -log10 P(Z >= z): unbounded, ~0.3 on an ordinary step, 3 ≈ one step in 1000.
// O(1) per step on per-slot typed arrays, no allocation.
import { upperTailSurprise } from './normal-tail.js';
import { grown, type SlotColumns } from './slot-arrays.js';

export interface AnomalyLikelihoodOptions {
  /** EWMA span of the short (recent) mean of surprise, in steps. */
  readonly shortSpan: number;
  /** Half-life of the long-run mean and spread, in steps. */
  readonly longHalfLife: number;
  /** Updates before a likelihood is given (NaN before). */
  readonly warmup: number;
  /** Winsorisation in long-run standard deviations above the long-run mean. */
  readonly clipSds: number;
}

export const defaultAnomalyLikelihoodOptions: AnomalyLikelihoodOptions = { shortSpan: 10, longHalfLife: 1000, warmup: 30, clipSds: 3 };

/** The surprise cap never goes below this (p = 0.05): a well-calibrated stream's ordinary steps pass unclipped. */
const FLOOR_CAP = 1.3;
/** Spread floor of the short mean, in surprise units: a perfectly steady stream must not alarm on noise. */
const MIN_SD = 0.05;

export class AnomalyLikelihood implements SlotColumns {
  private count = new Int32Array(0);
  private rawMean = new Float64Array(0);
  private rawVar = new Float64Array(0);
  private short = new Float64Array(0);
  private shortMean = new Float64Array(0);
  private shortVar = new Float64Array(0);
  private readonly alphaShort: number;
  private readonly alphaLong: number;

  constructor(readonly options: AnomalyLikelihoodOptions = defaultAnomalyLikelihoodOptions) {
    this.alphaShort = 2 / (options.shortSpan + 1);
    this.alphaLong = 1 - 2 ** (-1 / options.longHalfLife);
  }

  /** Adds one step's surprise; returns the likelihood after it (NaN while warming up or for a non-finite surprise). */
  update(slot: number, surprise: number): number {
    if (!Number.isFinite(surprise)) return NaN;
    this.reserve(slot + 1);
    const n = this.count[slot];
    const clip = this.options.clipSds;
    // Winsorise against what was known before this step.
    const cap = n === 0 ? FLOOR_CAP : Math.max(FLOOR_CAP, this.rawMean[slot] + clip * Math.sqrt(this.rawVar[slot]));
    const x = surprise < cap ? surprise : cap;
    const mean = n === 0 ? x : this.short[slot] + this.alphaShort * (x - this.short[slot]);
    this.short[slot] = mean;
    // A mean of surprises is gamma-like (skewed right); its cube root is close to normal (Wilson and
    // Hilferty 1931), so the Gaussian tail below holds its nominal rate.
    const short = Math.cbrt(mean);
    const warm = n >= this.options.warmup;
    const sd = Math.max(MIN_SD, Math.sqrt(this.shortVar[slot]));
    const likelihood = warm ? upperTailSurprise((short - this.shortMean[slot]) / sd) : NaN;
    // Long-run statistics: a plain running mean for the first 1/alphaLong updates, then the EWMA.
    const a = Math.max(this.alphaLong, 1 / (n + 1));
    updateMoments(this.rawMean, this.rawVar, slot, x, a);
    const shortCap = n === 0 ? short : this.shortMean[slot] + clip * sd;
    // Beyond the cap only the mean learns (slowly): a sustained anomaly must not widen the spread it is measured by.
    if (short < shortCap) updateMoments(this.shortMean, this.shortVar, slot, short, a);
    else this.shortMean[slot] += a * (shortCap - this.shortMean[slot]);
    this.count[slot] = n < 0x7fffffff ? n + 1 : n;
    return likelihood;
  }

  reserve(n: number): void {
    if (this.count.length >= n) return;
    this.count = grown(this.count, n);
    const len = this.count.length;
    this.rawMean = grown(this.rawMean, len);
    this.rawVar = grown(this.rawVar, len);
    this.short = grown(this.short, len);
    this.shortMean = grown(this.shortMean, len);
    this.shortVar = grown(this.shortVar, len);
  }

  columns() {
    return [
      [this.count, 1],
      [this.rawMean, 1],
      [this.rawVar, 1],
      [this.short, 1],
      [this.shortMean, 1],
      [this.shortVar, 1],
    ] as const;
  }
}

/** Exponentially weighted mean and variance (West 1979): one step with weight a. */
function updateMoments(mean: Float64Array, variance: Float64Array, slot: number, x: number, a: number): void {
  const d = x - mean[slot];
  mean[slot] += a * d;
  variance[slot] = (1 - a) * (variance[slot] + a * d * d);
}

/**
 * One asset's score from its sensors' scores at one timestamp: the largest, ignoring NaN (unscored
 * sensors). NaN when no sensor was scored. A fault on one sensor is an asset fault, so the max; the
 * per-sensor likelihood already normalises each sensor against its own history.
 */
export function assetScore(scores: ArrayLike<number>): number {
  let best = NaN;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (s === s && !(s <= best)) best = s;
  }
  return best;
}
