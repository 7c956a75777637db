import type { PipelineDataOptions } from '../operators/options.js';
import { grownTo } from './grow.js';

// Per-stream shaping of raw observations into a regular grid, in stream time only (so the result
// never depends on how records were batched): open buckets per step, a per-stream watermark
// (newest event time - allowed lateness) that closes them, gap filling, and a running normaliser.
// All state is in flat per-slot typed arrays; emitted steps go to a callback.

/** Receives each grid step: `reset` marks the first step of a stream or after a gap too long to fill. */
export type StepCallback = (
  slot: number, t: number, value: number, prev: number, imputed: boolean, reset: boolean, mean: number, std: number, seen: number,
) => void;

export interface PrepOptions {
  readonly stepMs: number;
  /** The watermark trails the newest event time of the stream by this. */
  readonly holdMs: number;
  readonly aggregate: 'mean' | 'last' | 'sum' | 'min' | 'max';
  readonly impute: 'linear' | 'locf';
  readonly maxGapSteps: number;
  /** 0: running (Welford) mean and variance; otherwise the EWM weight of the newest step. */
  readonly ewmAlpha: number;
  readonly minStd: number;
}

/** The subset of the stream pipeline's options this shaper implements, for the target field. */
export function prepOptionsFrom(d: PipelineDataOptions, target: string): PrepOptions {
  const field = d.fields.find((f) => f.name === target) ?? d.fields[0];
  return {
    stepMs: d.step_ms,
    holdMs: d.ordering.max_delay_ms + d.ordering.allowed_lateness_ms,
    aggregate: field.aggregation,
    impute: d.impute.method === 'linear' ? 'linear' : 'locf',
    maxGapSteps: d.impute.max_gap_steps,
    ewmAlpha: d.normalise.method === 'ewm_zscore' ? 1 - Math.pow(2, -1 / d.normalise.half_life_steps) : 0,
    minStd: 1e-9,
  };
}

/** The per-stream state, as saved in a checkpoint (plain numbers: exact JSON round trip). */
export interface PrepSnapshot {
  readonly lastT: number | null;
  readonly lastValue: number;
  readonly maxEvent: number | null;
  readonly n: number;
  readonly mean: number;
  readonly var: number;
  /** Open buckets: [t, agg, count] each. */
  readonly open: readonly (readonly [number, number, number])[];
}

const AGG = { last: 0, sum: 1, mean: 2, min: 3, max: 4 } as const;

export class StreamPrep {
  private readonly step: number;
  private readonly lateness: number;
  private readonly k: number;
  private readonly agg: number;
  private readonly alpha: number;
  private lastT = new Float64Array(0);
  private lastValue = new Float64Array(0);
  private maxEvent = new Float64Array(0);
  private n = new Float64Array(0);
  private mean = new Float64Array(0);
  private varr = new Float64Array(0);
  /** k open buckets per slot: time (NaN = free), aggregate, count. */
  private bt = new Float64Array(0);
  private bv = new Float64Array(0);
  private bc = new Float64Array(0);

  constructor(readonly options: PrepOptions, private readonly onStep: StepCallback) {
    this.step = options.stepMs;
    this.lateness = options.holdMs;
    this.k = Math.ceil(this.lateness / this.step) + 3;
    this.agg = AGG[options.aggregate];
    this.alpha = options.ewmAlpha;
  }

  /** Makes room for `slot` (call when a stream appears). */
  ensure(slot: number): void {
    const n = slot + 1;
    if (this.lastT.length >= n) return;
    this.lastT = grownTo(this.lastT, n, NaN);
    this.lastValue = grownTo(this.lastValue, this.lastT.length);
    this.maxEvent = grownTo(this.maxEvent, this.lastT.length, NaN);
    this.n = grownTo(this.n, this.lastT.length);
    this.mean = grownTo(this.mean, this.lastT.length);
    this.varr = grownTo(this.varr, this.lastT.length);
    this.bt = grownTo(this.bt, this.lastT.length * this.k, NaN);
    this.bv = grownTo(this.bv, this.lastT.length * this.k);
    this.bc = grownTo(this.bc, this.lastT.length * this.k);
  }

  /** One observation of one stream (finite value and time, checked by the caller); false if late. */
  push(slot: number, eventTime: number, value: number): boolean {
    const b = Math.floor(eventTime / this.step) * this.step;
    if (b <= this.lastT[slot]) return false;
    if (!(eventTime <= this.maxEvent[slot])) this.maxEvent[slot] = eventTime;
    this.aggregate(slot, b, value);
    this.closeUpTo(slot, this.maxEvent[slot] - this.lateness);
    return true;
  }

  /** Newest event time seen for the stream (NaN before the first record). */
  newest(slot: number): number {
    return this.maxEvent[slot];
  }

  /** Closes every open bucket (end of a replay). */
  flush(slot: number): void {
    this.closeUpTo(slot, Infinity);
  }

  snapshot(slot: number): PrepSnapshot {
    const open: [number, number, number][] = [];
    for (let i = slot * this.k; i < (slot + 1) * this.k; i++) if (!Number.isNaN(this.bt[i])) open.push([this.bt[i], this.bv[i], this.bc[i]]);
    return {
      lastT: Number.isNaN(this.lastT[slot]) ? null : this.lastT[slot], lastValue: this.lastValue[slot],
      maxEvent: Number.isNaN(this.maxEvent[slot]) ? null : this.maxEvent[slot],
      n: this.n[slot], mean: this.mean[slot], var: this.varr[slot], open,
    };
  }

  restore(slot: number, s: PrepSnapshot): void {
    this.ensure(slot);
    this.lastT[slot] = s.lastT ?? NaN;
    this.lastValue[slot] = s.lastValue;
    this.maxEvent[slot] = s.maxEvent ?? NaN;
    this.n[slot] = s.n;
    this.mean[slot] = s.mean;
    this.varr[slot] = s.var;
    this.bt.fill(NaN, slot * this.k, (slot + 1) * this.k);
    s.open.slice(0, this.k).forEach(([t, v, c], i) => {
      this.bt[slot * this.k + i] = t;
      this.bv[slot * this.k + i] = v;
      this.bc[slot * this.k + i] = c;
    });
  }

  private aggregate(slot: number, b: number, value: number): void {
    const base = slot * this.k;
    let free = -1;
    for (let i = base; i < base + this.k; i++) {
      if (this.bt[i] === b) {
        const c = ++this.bc[i];
        const v = this.bv[i];
        this.bv[i] = this.agg === 0 ? value : this.agg === 1 ? v + value : this.agg === 2 ? v + (value - v) / c : this.agg === 3 ? Math.min(v, value) : Math.max(v, value);
        return;
      }
      if (free < 0 && Number.isNaN(this.bt[i])) free = i;
    }
    if (free < 0) {
      // Cannot happen while k covers the lateness window; close the oldest rather than lose data.
      this.closeOldest(slot);
      this.aggregate(slot, b, value);
      return;
    }
    this.bt[free] = b;
    this.bv[free] = value;
    this.bc[free] = 1;
  }

  private closeUpTo(slot: number, watermark: number): void {
    for (;;) {
      const i = this.oldest(slot);
      if (i < 0 || this.bt[i] + this.step > watermark) return;
      this.close(slot, i);
    }
  }

  private closeOldest(slot: number): void {
    const i = this.oldest(slot);
    if (i >= 0) this.close(slot, i);
  }

  private oldest(slot: number): number {
    let best = -1;
    for (let i = slot * this.k; i < (slot + 1) * this.k; i++) {
      if (!Number.isNaN(this.bt[i]) && (best < 0 || this.bt[i] < this.bt[best])) best = i;
    }
    return best;
  }

  private close(slot: number, i: number): void {
    const t = this.bt[i];
    const v = this.bv[i];
    this.bt[i] = NaN;
    const last = this.lastT[slot];
    const gap = Number.isNaN(last) ? Infinity : Math.round((t - last) / this.step) - 1;
    if (gap > this.options.maxGapSteps) {
      this.emit(slot, t, v, false, true);
      return;
    }
    const v0 = this.lastValue[slot];
    for (let g = 1; g <= gap; g++) {
      const fill = this.options.impute === 'linear' ? v0 + ((v - v0) * g) / (gap + 1) : v0;
      this.emit(slot, last + g * this.step, fill, true, false);
    }
    this.emit(slot, t, v, false, false);
  }

  private emit(slot: number, t: number, v: number, imputed: boolean, reset: boolean): void {
    const prev = reset ? v : this.lastValue[slot];
    this.lastT[slot] = t;
    this.lastValue[slot] = v;
    // Running mean/variance: 1/n while n is small (exact Welford), then the EWM weight.
    const n = ++this.n[slot];
    const a = Math.max(this.alpha, 1 / n);
    const d = v - this.mean[slot];
    const inc = a * d;
    this.mean[slot] += inc;
    this.varr[slot] = (1 - a) * (this.varr[slot] + d * inc);
    const std = Math.max(Math.sqrt(this.varr[slot]), this.options.minStd);
    this.onStep(slot, t, v, prev, imputed, reset, this.mean[slot], std, n);
  }
}
