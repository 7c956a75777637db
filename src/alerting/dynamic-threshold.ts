// Nonparametric dynamic threshold (Hundman et al. 2018, "Detecting Spacecraft Anomalies Using LSTMs
// and Nonparametric Dynamic Thresholding", KDD): errors are EWMA-smoothed, and the threshold
// ε = μ + z·σ over a window of recent smoothed errors takes the z that maximises
//   (Δμ/μ + Δσ/σ) / (|e_a| + |E_seq|²)
// where Δμ, Δσ are the drops in mean and std when the values above ε are removed, e_a those values
// and E_seq their contiguous runs. Refitting every `refitEvery` steps keeps the cost per step bounded;
// then the paper's pruning: the maxima of the sequences above ε, and the largest error below it, are
// sorted descending; where no later step between neighbours drops by `prune` (13% in the paper),
// those sequences are nominal after all, and ε rises to the largest of them. A floor in units of
// the stream's residual scale keeps a window of pure noise from always "finding" anomalies.
import { grown, type SlotColumns } from './slot-arrays.js';

export interface DynamicThresholdOptions {
  /** Smoothing span of the error EWMA (α = 2/(span+1)). */
  readonly smoothingSpan: number;
  /** Smoothed errors kept per stream. */
  readonly windowSteps: number;
  /** Steps between refits of the threshold. */
  readonly refitEvery: number;
  /** Candidate z from zMin to zMax by zStep. */
  readonly zMin: number;
  readonly zMax: number;
  readonly zStep: number;
  /** Pruning margin over the largest error below ε (paper: 0.13). */
  readonly prune: number;
  /** The threshold is at least this many residual scales (as passed to update). */
  readonly floorScales: number;
}

export class DynamicThreshold implements SlotColumns {
  private readonly alpha: number;
  private readonly w: number;
  private ring = new Float64Array(0);
  private smoothed = new Float64Array(0);
  private eps = new Float64Array(0);
  private count = new Int32Array(0);
  private readonly maxima: Float64Array;

  constructor(readonly options: DynamicThresholdOptions) {
    this.alpha = 2 / (options.smoothingSpan + 1);
    this.w = options.windowSteps;
    this.maxima = new Float64Array(options.windowSteps + 1);
  }

  /**
   * Adds |error| for a stream and returns smoothed error / max(ε, floorScales·scale) (>= 1 means
   * above the threshold), or NaN until the window is full.
   */
  update(slot: number, absError: number, scale = 0): number {
    this.reserve(slot + 1);
    const n = this.count[slot];
    const s = n === 0 ? absError : this.smoothed[slot] + this.alpha * (absError - this.smoothed[slot]);
    this.smoothed[slot] = s;
    this.ring[slot * this.w + (n % this.w)] = s;
    this.count[slot] = n + 1;
    if (n + 1 < this.w) return NaN;
    if ((n + 1 - this.w) % this.options.refitEvery === 0) this.eps[slot] = this.fit(slot, (n + 1) % this.w);
    const floor = this.options.floorScales * scale;
    const eps = this.eps[slot] > floor ? this.eps[slot] : floor;
    return eps > 0 ? s / eps : s > 0 ? Infinity : 0;
  }

  /** The current threshold ε of a stream (0 before the first fit). */
  threshold(slot: number): number {
    return slot < this.eps.length ? this.eps[slot] : 0;
  }

  private fit(slot: number, oldest: number): number {
    const { zMin, zMax, zStep } = this.options;
    const base = slot * this.w;
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < this.w; i++) {
      const v = this.ring[base + i];
      sum += v;
      sum2 += v * v;
    }
    const mean = sum / this.w;
    const std = Math.sqrt(Math.max(0, sum2 / this.w - mean * mean));
    let best = mean + zMax * std;
    let bestScore = -Infinity;
    if (!(std > 0) || !(mean > 0)) return best;
    for (let z = zMin; z <= zMax + 1e-9; z += zStep) {
      const score = this.objective(base, oldest, mean + z * std, mean, std);
      if (score > bestScore) {
        bestScore = score;
        best = mean + z * std;
      }
    }
    return this.prune(base, oldest, best);
  }

  /** Raises eps over the anomalous sequences that pruning reclassifies as nominal. */
  private prune(base: number, oldest: number, eps: number): number {
    const m = this.maxima;
    let seqs = 0;
    let below = 0;
    let inSeq = false;
    for (let k = 0; k < this.w; k++) {
      const v = this.ring[base + ((oldest + k) % this.w)];
      if (v > eps) {
        if (!inSeq) m[seqs++] = v;
        else if (v > m[seqs - 1]) m[seqs - 1] = v;
        inSeq = true;
      } else {
        if (v > below) below = v;
        inSeq = false;
      }
    }
    if (seqs === 0) return eps;
    m[seqs] = below;
    // Insertion sort, descending, in place (few sequences; no allocation).
    for (let i = 1; i <= seqs; i++) {
      const v = m[i];
      let j = i - 1;
      while (j >= 0 && m[j] < v) m[j + 1] = m[j--];
      m[j + 1] = v;
    }
    // Keep sequences up to the last drop of at least `prune`; the rest are nominal.
    let keep = 0;
    for (let i = 0; i < seqs; i++) if (m[i] > 0 && (m[i] - m[i + 1]) / m[i] >= this.options.prune) keep = i + 1;
    return keep === seqs ? eps : Math.max(eps, m[keep]);
  }

  /** The paper's criterion for one candidate ε; -Infinity when nothing lies above it. */
  private objective(base: number, oldest: number, eps: number, mean: number, std: number): number {
    let below = 0;
    let bSum = 0;
    let bSum2 = 0;
    let above = 0;
    let seqs = 0;
    let prevAbove = false;
    // Oldest to newest through the ring: an index that wraps instead of a modulo per value (this
    // loop runs once per candidate z at every refit; the same order, so the same sums).
    const end = base + this.w;
    let i = base + oldest;
    for (let k = 0; k < this.w; k++) {
      const v = this.ring[i];
      if (++i === end) i = base;
      if (v > eps) {
        above++;
        if (!prevAbove) seqs++;
        prevAbove = true;
      } else {
        below++;
        bSum += v;
        bSum2 += v * v;
        prevAbove = false;
      }
    }
    if (above === 0 || below === 0) return -Infinity;
    const m = bSum / below;
    const sd = Math.sqrt(Math.max(0, bSum2 / below - m * m));
    return ((mean - m) / mean + (std - sd) / std) / (above + seqs * seqs);
  }

  columns() {
    return [
      [this.ring, this.w],
      [this.smoothed, 1],
      [this.eps, 1],
      [this.count, 1],
    ] as const;
  }

  reserve(n: number): void {
    if (this.count.length >= n) return;
    this.count = grown(this.count, n);
    this.smoothed = grown(this.smoothed, this.count.length);
    this.eps = grown(this.eps, this.count.length);
    this.ring = grown(this.ring, this.count.length * this.w);
  }
}
