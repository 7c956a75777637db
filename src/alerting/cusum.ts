// Two-sided CUSUM (Page 1954) on standardised residuals, per stream: the persistent-shift detector.
// A level shift the model half follows leaves a run of moderate same-sign residuals that no single
// step flags; CUSUM adds them up. With drift k (in sigmas) and threshold h:
//   S+ = max(0, S+ + z - k),  S- = max(0, S- - z - k),  alarm when max(S+, S-) >= h, then reset.
// z is winsorised at ±clip first, so one outlier (a spike, the spike detectors' job) adds at most
// clip - k and cannot raise an alarm alone when clip - k < h; a shift must persist.
import { grown, type SlotColumns } from './slot-arrays.js';

export interface CusumOptions {
  /** Drift (allowance) k in sigmas: about half the smallest shift worth detecting. */
  readonly k: number;
  /** Alarm threshold h in sigmas; the statistic resets to 0 once it reaches h. */
  readonly h: number;
  /** |z| is clipped at this before it enters the sums. */
  readonly clip: number;
}

export const defaultCusumOptions: CusumOptions = { k: 0.5, h: 5, clip: 4 };

export class Cusum implements SlotColumns {
  private pos = new Float64Array(0);
  private neg = new Float64Array(0);

  constructor(readonly options: CusumOptions = defaultCusumOptions) {}

  /**
   * Adds one standardised residual; returns the larger one-sided sum after it (>= h is an alarm,
   * after which both sums restart from 0). Non-finite z leaves the state alone and returns NaN.
   */
  update(slot: number, z: number): number {
    if (!Number.isFinite(z)) return NaN;
    this.reserve(slot + 1);
    const { k, h, clip } = this.options;
    const c = z > clip ? clip : z < -clip ? -clip : z;
    const p = Math.max(0, this.pos[slot] + c - k);
    const n = Math.max(0, this.neg[slot] - c - k);
    const level = p > n ? p : n;
    if (level >= h) this.pos[slot] = this.neg[slot] = 0;
    else {
      this.pos[slot] = p;
      this.neg[slot] = n;
    }
    return level;
  }

  /** The current upper and lower sums (after any reset), for inspection and tests. */
  sums(slot: number): readonly [number, number] {
    return slot < this.pos.length ? [this.pos[slot], this.neg[slot]] : [0, 0];
  }

  reserve(n: number): void {
    if (this.pos.length >= n) return;
    this.pos = grown(this.pos, n);
    this.neg = grown(this.neg, this.pos.length);
  }

  columns() {
    return [
      [this.pos, 1],
      [this.neg, 1],
    ] as const;
  }
}
