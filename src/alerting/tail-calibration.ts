// Online tail calibration per stream. Real residuals are heavier-tailed than the normal the score
// assumes (fronts in weather, earnings days in stocks, exercise in heart rate), and a model's
// predicted variance can be off by a constant factor, so a plain z leaves far from 1% of normal
// steps above score 0.99. We divide z by a per-stream factor:
// - for the first `warmup` updates, the RMS of z (clipped at 6), which fixes a mis-scaled variance;
// - then q / 2.5758, where q tracks the 99th percentile of |z| by stochastic approximation (in log
//   space, so the step is relative), started from that RMS, which fixes the tails.
// Then P(score > 0.99) stays ~1%, and a calibrated Gaussian model keeps a factor ~1. Gross outliers
// (|z| > 2q) do not move q, so an anomaly does not teach the stream to ignore it.
import { grown, type SlotColumns } from './slot-arrays.js';

/** Two-sided 99% point of the standard normal. */
export const Z99 = 2.5758293035489004;
const CLIP2 = 36;

export interface TailCalibrationOptions {
  /** Relative step of the quantile tracker; memory is about 1/(rate·0.01) steps. */
  readonly rate: number;
  /** The factor stays within [1/maxFactor, maxFactor]. */
  readonly maxFactor: number;
  /** Updates over which the RMS of z sets the starting factor. */
  readonly warmup: number;
}

export class TailCalibration implements SlotColumns {
  private logQ = new Float64Array(0);
  private sumZ2 = new Float64Array(0);
  private count = new Int32Array(0);
  private readonly lo: number;
  private readonly hi: number;

  constructor(readonly options: TailCalibrationOptions) {
    this.lo = Math.log(Z99 / options.maxFactor);
    this.hi = Math.log(Z99 * options.maxFactor);
  }

  /** The factor to divide this stream's raw z by. */
  factor(slot: number): number {
    if (slot >= this.count.length) return 1;
    const n = this.count[slot];
    if (n >= this.options.warmup) return Math.exp(this.logQ[slot]) / Z99;
    return n >= 10 ? this.clamp(Math.sqrt(this.sumZ2[slot] / n)) : 1;
  }

  update(slot: number, zRaw: number): void {
    this.reserve(slot + 1);
    const a = Math.abs(zRaw);
    if (!Number.isFinite(a)) return;
    const n = this.count[slot];
    if (n < this.options.warmup) {
      this.sumZ2[slot] += Math.min(CLIP2, a * a);
      this.count[slot] = n + 1;
      if (n + 1 === this.options.warmup) this.logQ[slot] = Math.log(Z99 * this.clamp(Math.sqrt(this.sumZ2[slot] / (n + 1))));
      return;
    }
    const q = Math.exp(this.logQ[slot]);
    if (a > 2 * q) return;
    const next = this.logQ[slot] + (a > q ? 0.99 : -0.01) * this.options.rate;
    this.logQ[slot] = Math.min(this.hi, Math.max(this.lo, next));
  }

  private clamp(f: number): number {
    const max = this.options.maxFactor;
    return f > max ? max : f < 1 / max ? 1 / max : f;
  }

  columns() {
    return [
      [this.logQ, 1],
      [this.sumZ2, 1],
      [this.count, 1],
    ] as const;
  }

  reserve(n: number): void {
    if (this.count.length >= n) return;
    this.count = grown(this.count, n);
    this.sumZ2 = grown(this.sumZ2, this.count.length);
    this.logQ = grown(this.logQ, this.count.length, Math.log(Z99));
  }
}
