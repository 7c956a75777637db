// Remembers, per stream, the forecasts made for the coming steps, so that the actual at time t can
// be scored against the one-step-ahead forecast and checked against the bands forecast h steps ago.
// Keyed by target time: a gap in the stream leaves stale entries that simply do not match.
import { grown, type SlotColumns } from './slot-arrays.js';

/** What a model forecast for horizons 1..H (index h-1); logVar may be absent (no predicted variance). */
export interface ForecastInput {
  readonly t: number;
  readonly stepMs: number;
  readonly modelVersion: string;
  readonly mean: ArrayLike<number>;
  readonly lower: ArrayLike<number>;
  readonly upper: ArrayLike<number>;
  readonly logVar?: ArrayLike<number>;
}

/** The forecast for one target time, as read back. Reused between calls: copy what you keep. */
export class RecalledForecast {
  horizon = 0;
  mean = NaN;
  lower = NaN;
  upper = NaN;
  logVar = NaN;
  modelVersion = '';
  /** Horizons whose band was available for this time, and how many of them the actual fell outside. */
  bands = 0;
  outside = 0;
}

export class ForecastRing implements SlotColumns {
  private readonly size: number;
  private readonly cell: number;
  private target = new Float64Array(0);
  private mean = new Float64Array(0);
  private lower = new Float64Array(0);
  private upper = new Float64Array(0);
  private logVar = new Float64Array(0);
  private versions: string[] = [];

  constructor(readonly horizons: number) {
    this.size = horizons + 1;
    this.cell = this.size * horizons;
  }

  /** Stores a forecast made at f.t for f.t + h·stepMs, h = 1..min(H, f.mean.length). */
  record(slot: number, f: ForecastInput): void {
    this.reserve(slot + 1);
    this.versions[slot] = f.modelVersion;
    const hs = Math.min(this.horizons, f.mean.length);
    for (let h = 1; h <= hs; h++) {
      const t = f.t + h * f.stepMs;
      const i = slot * this.cell + this.position(t, f.stepMs) * this.horizons + (h - 1);
      this.target[i] = t;
      this.mean[i] = f.mean[h - 1];
      this.lower[i] = f.lower[h - 1];
      this.upper[i] = f.upper[h - 1];
      this.logVar[i] = f.logVar ? f.logVar[h - 1] : NaN;
    }
  }

  /**
   * Reads back what was forecast for time t (shortest horizon first) and counts the horizons whose
   * band the actual falls outside. Returns false when nothing was forecast for t.
   */
  recall(slot: number, t: number, stepMs: number, actual: number, out: RecalledForecast): boolean {
    out.horizon = 0;
    out.bands = 0;
    out.outside = 0;
    if (slot >= this.versions.length) return false;
    const row = slot * this.cell + this.position(t, stepMs) * this.horizons;
    for (let h = 1; h <= this.horizons; h++) {
      const i = row + h - 1;
      if (this.target[i] !== t) continue;
      out.bands++;
      if (actual < this.lower[i] || actual > this.upper[i]) out.outside++;
      if (out.horizon !== 0) continue;
      out.horizon = h;
      out.mean = this.mean[i];
      out.lower = this.lower[i];
      out.upper = this.upper[i];
      out.logVar = this.logVar[i];
    }
    out.modelVersion = this.versions[slot] ?? '';
    return out.horizon !== 0;
  }

  private position(t: number, stepMs: number): number {
    const k = Math.round(t / stepMs) % this.size;
    return k < 0 ? k + this.size : k;
  }

  /** The model version of the last forecast recorded for a stream (kept beside the snapshot). */
  version(slot: number): string {
    return this.versions[slot] ?? '';
  }

  setVersion(slot: number, version: string): void {
    this.reserve(slot + 1);
    this.versions[slot] = version;
  }

  columns() {
    const c = this.cell;
    return [
      [this.target, c],
      [this.mean, c],
      [this.lower, c],
      [this.upper, c],
      [this.logVar, c],
    ] as const;
  }

  reserve(n: number): void {
    if (this.versions.length >= n) return;
    while (this.versions.length < n) this.versions.push('');
    const cells = n * this.cell;
    this.target = grown(this.target, cells, NaN);
    this.mean = grown(this.mean, cells);
    this.lower = grown(this.lower, cells);
    this.upper = grown(this.upper, cells);
    this.logVar = grown(this.logVar, cells);
  }
}
