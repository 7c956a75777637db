// Per-stream running residual scale for models that predict no variance: an EWMA of squared
// residuals (RiskMetrics-style), winsorised so that one spike does not blind the next steps.
import { grown, type SlotColumns } from './slot-arrays.js';

export interface ResidualScaleOptions {
  /** Half-life of the EWMA of squared residuals, in steps. */
  readonly halfLifeSteps: number;
  /** Steps a stream needs before its scale is trusted (scores are NaN until then). */
  readonly warmupSteps: number;
  /** Residuals beyond this many scales are clipped before they update the scale. */
  readonly clipZ: number;
}

export class ResidualScale implements SlotColumns {
  private readonly alpha: number;
  private var2 = new Float64Array(0);
  private count = new Int32Array(0);

  constructor(readonly options: ResidualScaleOptions) {
    this.alpha = 1 - 0.5 ** (1 / options.halfLifeSteps);
  }

  /** The scale (standard deviation) before this residual, or NaN while warming up. */
  sigma(slot: number): number {
    if (slot >= this.count.length || this.count[slot] < this.options.warmupSteps) return NaN;
    return Math.sqrt(this.var2[slot]);
  }

  update(slot: number, residual: number): void {
    this.reserve(slot + 1);
    const n = this.count[slot];
    let r = residual;
    if (n >= this.options.warmupSteps) {
      const cap = this.options.clipZ * Math.sqrt(this.var2[slot]);
      if (r > cap) r = cap;
      else if (r < -cap) r = -cap;
    }
    // During warm-up a plain running mean of r², so the first residual does not dominate.
    const w = n < this.options.warmupSteps ? Math.max(this.alpha, 1 / (n + 1)) : this.alpha;
    this.var2[slot] += w * (r * r - this.var2[slot]);
    this.count[slot] = n + 1;
  }

  reserve(n: number): void {
    this.var2 = grown(this.var2, n);
    this.count = grown(this.count, n);
  }

  columns() {
    return [
      [this.var2, 1],
      [this.count, 1],
    ] as const;
  }
}
