// Multi-horizon, multivariate online forecaster: per-horizon recursive-least-squares readouts over
// [last values, lagged differences, bias, calendar, seasonal difference, optional extra features such
// as a recurrent model's hidden state]. Each head predicts the change from the last value, so zero
// weights mean "naive", and it learns only from truths it has already seen (leak-free for h > 1).
import { RecursiveLeastSquares } from '../models/recursive-least-squares.js';

/** Settings for the heads of a range of horizons. */
export interface HeadProfile {
  /** First and last horizon (1-based, inclusive) this profile covers. */
  readonly from: number;
  readonly to: number;
  /** Window length L: L - 1 lagged first differences of every column become features. */
  readonly lags: number;
  /** RLS forgetting factor λ in (0, 1]. */
  readonly forgetting: number;
  /**
   * Prior variance of the weights: small = strong shrinkage towards the naive forecast. Several values
   * run one head each, and every column's forecast comes from whichever of them (or the naive
   * forecast itself) has had the lowest recent squared error at that horizon.
   */
  readonly initialScale: number | readonly number[];
  /** Add the seasonal difference Z[target - season] - Z[last] (needs season >= horizon). */
  readonly seasonal: boolean;
}

export interface OnlineForecasterOptions {
  /** Number of target columns C (all are forecast together). */
  readonly columns: number;
  /** Largest horizon H; forecast() writes H × C values. */
  readonly horizon: number;
  /** Season length in steps (e.g. 24 for hourly data): seasonal features and warm-up length. */
  readonly season: number;
  /** Length of the extra feature vector passed to observe() (0 = none). */
  readonly extraFeatures?: number;
  /** Add sin/cos of the target's time of day (2 harmonics). */
  readonly calendar?: boolean;
  /** Half-life in updates of the recent squared errors that choose among a horizon's candidates. */
  readonly selectionHalfLife?: number;
  /** Profiles covering horizons 1..H exactly once. */
  readonly profiles: readonly HeadProfile[];
}

const DAY_MS = 86_400_000;

/** Settings the lead's prototype found best: rich features at h = 1, heavy shrinkage beyond. */
export function defaultProfiles(horizon: number): HeadProfile[] {
  const profiles: HeadProfile[] = [{ from: 1, to: 1, lags: 8, forgetting: 0.9999, initialScale: 1, seasonal: false }];
  if (horizon > 1) profiles.push({ from: 2, to: horizon, lags: 2, forgetting: 1, initialScale: [1e-2, 1e-3, 1e-4], seasonal: true });
  return profiles;
}

export class OnlineForecaster {
  readonly columns: number;
  readonly horizon: number;
  readonly season: number;
  readonly extra: number;
  readonly calendar: boolean;
  /** Rows observed so far. */
  observed = 0;
  /** Non-finite input values replaced by the column's last value (counted, never silent). */
  imputed = 0;
  private readonly profileOf: HeadProfile[];
  private readonly dims: Int32Array;
  /** heads[h - 1][k]: candidate k of horizon h. */
  private readonly heads: RecursiveLeastSquares[][];
  /** Recent squared error per horizon, candidate (the last one is naive) and column. */
  private readonly errors: Float64Array;
  private readonly errorOffsets: Int32Array;
  private readonly decay: number;
  private readonly scratch: Float64Array;
  private readonly prediction: Float64Array;
  /** views[slot * H + h - 1]: the stored features of one forecast, made once so steps allocate nothing. */
  private readonly views: Float64Array[];
  private readonly maxDim: number;
  /** Ring of the last `historyLength` rows, row-major. */
  private readonly history: Float64Array;
  private readonly historyLength: number;
  /** Ring of H + 1 origins × H horizons × maxDim features, kept until the truth arrives. */
  private readonly stored: Float64Array;
  private readonly slots: number;
  private readonly target: Float64Array;
  private lastTime = Number.NaN;
  private stepMs = Number.NaN;

  constructor(options: OnlineForecasterOptions) {
    const { columns, horizon, season } = options;
    if (!(columns >= 1 && horizon >= 1 && season >= 1)) throw new RangeError('columns, horizon and season must be >= 1');
    this.columns = columns;
    this.horizon = horizon;
    this.season = season;
    this.extra = options.extraFeatures ?? 0;
    this.calendar = options.calendar ?? true;
    this.profileOf = [];
    for (let h = 1; h <= horizon; h++) {
      const matching = options.profiles.filter((p) => p.from <= h && h <= p.to);
      if (matching.length !== 1) throw new RangeError(`horizon ${h} must be covered by exactly one profile, found ${matching.length}`);
      const p = matching[0];
      if (p.lags < 1) throw new RangeError('lags must be >= 1');
      if (p.seasonal && season < h) throw new RangeError(`seasonal features need season >= horizon (${season} < ${h})`);
      this.profileOf.push(p);
    }
    this.dims = new Int32Array(horizon);
    this.heads = [];
    let maxDim = 0;
    let maxLags = 1;
    for (let h = 0; h < horizon; h++) {
      const p = this.profileOf[h];
      const d = columns + (p.lags - 1) * columns + 1 + (this.calendar ? 4 : 0) + (p.seasonal ? columns : 0) + this.extra;
      this.dims[h] = d;
      maxDim = Math.max(maxDim, d);
      maxLags = Math.max(maxLags, p.lags);
      const scales = typeof p.initialScale === 'number' ? [p.initialScale] : p.initialScale;
      if (scales.length === 0) throw new RangeError('initialScale needs at least one value');
      this.heads.push(
        scales.map((initialScale) => new RecursiveLeastSquares({ features: d, outputs: columns, forgetting: p.forgetting, initialScale })),
      );
    }
    this.errorOffsets = new Int32Array(horizon + 1);
    for (let h = 0; h < horizon; h++) this.errorOffsets[h + 1] = this.errorOffsets[h] + (this.heads[h].length + 1) * columns;
    this.errors = new Float64Array(this.errorOffsets[horizon]);
    this.decay = 0.5 ** (1 / (options.selectionHalfLife ?? 200));
    this.scratch = new Float64Array(columns);
    this.prediction = new Float64Array(columns);
    this.maxDim = maxDim;
    this.historyLength = Math.max(maxLags, season) + 1;
    this.history = new Float64Array(this.historyLength * columns);
    this.slots = horizon + 1;
    this.stored = new Float64Array(this.slots * horizon * maxDim);
    this.target = new Float64Array(columns);
    this.views = [];
    for (let slot = 0; slot < this.slots; slot++) {
      for (let h = 0; h < horizon; h++) {
        const offset = (slot * horizon + h) * maxDim;
        this.views.push(this.stored.subarray(offset, offset + this.dims[h]));
      }
    }
  }

  /** Rows needed before forecasts are produced (lags and season must be in the history). */
  get warmUp(): number {
    return this.historyLength;
  }

  /** True once forecast() returns learned forecasts rather than the naive fallback. */
  get ready(): boolean {
    return this.observed >= this.historyLength;
  }

  /**
   * Takes the next row (C values at `timeMs`, one step after the previous row) and optional extra
   * features known at that time. First learns every head whose target row this is, then prepares the
   * features of the forecasts that start after it. Allocates nothing.
   */
  observe(timeMs: number, values: ArrayLike<number>, extra?: ArrayLike<number>): void {
    const { columns: c, history, historyLength } = this;
    if (values.length !== c) throw new RangeError(`expected ${c} values, got ${values.length}`);
    if (this.extra > 0 && (extra === undefined || extra.length !== this.extra)) {
      throw new RangeError(`expected ${this.extra} extra features`);
    }
    const row = this.observed;
    const base = (row % historyLength) * c;
    const prev = ((row + historyLength - 1) % historyLength) * c;
    for (let j = 0; j < c; j++) {
      const v = values[j];
      if (Number.isFinite(v)) history[base + j] = v;
      else {
        history[base + j] = row > 0 ? history[prev + j] : 0;
        this.imputed++;
      }
    }
    if (Number.isFinite(this.lastTime) && timeMs > this.lastTime) this.stepMs = timeMs - this.lastTime;
    this.lastTime = timeMs;
    this.observed = row + 1;
    // Learn: the forecast made at origin o (after o rows) for horizon h targets row o + h - 1 = row.
    for (let h = 1; h <= this.horizon; h++) {
      const origin = row - h + 1;
      if (origin < historyLength) continue;
      const offset = this.featureOffset(origin, h);
      for (let j = 0; j < c; j++) this.target[j] = history[base + j] - this.stored[offset + j];
      const x = this.views[this.viewIndex(origin, h)];
      const heads = this.heads[h - 1];
      const e = this.errors;
      const decay = this.decay;
      for (let k = 0; k <= heads.length; k++) {
        // Score every candidate on this truth before any of them learns from it.
        if (k < heads.length) heads[k].predict(x, this.prediction);
        const at = this.errorOffsets[h - 1] + k * c;
        for (let j = 0; j < c; j++) {
          const r = this.target[j] - (k < heads.length ? this.prediction[j] : 0);
          e[at + j] = decay * e[at + j] + (1 - decay) * r * r;
        }
      }
      for (const head of heads) head.update(x, this.target);
    }
    if (this.observed >= historyLength) this.prepare(this.observed, extra);
  }

  /** How many truths the head of horizon h has learned from (each arrives h - 1 steps after its forecast). */
  updatesOf(h: number): number {
    return this.heads[h - 1][0].updates;
  }

  /** Writes out[(h - 1) * C + c] = forecast of column c, h steps after the last observed row. */
  forecast(out: Float64Array): void {
    const { columns: c, history, historyLength, errors, prediction: pred, scratch: best } = this;
    if (out.length < this.horizon * c) throw new RangeError(`output needs ${this.horizon * c} slots`);
    const last = ((this.observed + historyLength - 1) % historyLength) * c;
    for (let h = 1; h <= this.horizon; h++) {
      const o = (h - 1) * c;
      for (let j = 0; j < c; j++) out[o + j] = this.observed > 0 ? history[last + j] : 0;
      if (!this.ready) continue;
      const x = this.views[this.viewIndex(this.observed, h)];
      const heads = this.heads[h - 1];
      const at = this.errorOffsets[h - 1];
      // Per column, the candidate with the lowest recent error; naive (already in out) wins ties.
      for (let j = 0; j < c; j++) best[j] = errors[at + heads.length * c + j];
      for (let k = 0; k < heads.length; k++) {
        heads[k].predict(x, pred);
        for (let j = 0; j < c; j++) {
          const err = errors[at + k * c + j];
          if (err < best[j]) {
            best[j] = err;
            out[o + j] = history[last + j] + pred[j];
          }
        }
      }
    }
  }

  /** Exact state for checkpoints: heads, selection errors, history, stored features, counters. */
  snapshot(): Float64Array {
    const heads = this.heads.flat().map((h) => h.snapshot());
    const fixed = this.errors.length + this.history.length + this.stored.length;
    const out = new Float64Array(heads.reduce((s, h) => s + h.length, 0) + fixed + 4);
    let at = 0;
    for (const h of heads) {
      out.set(h, at);
      at += h.length;
    }
    for (const part of [this.errors, this.history, this.stored]) {
      out.set(part, at);
      at += part.length;
    }
    out[at] = this.observed;
    out[at + 1] = this.imputed;
    out[at + 2] = this.lastTime;
    out[at + 3] = this.stepMs;
    return out;
  }

  restore(snapshot: Float64Array): void {
    const heads = this.heads.flat();
    const headSizes = heads.map((h) => h.weights.length + h.p.length + h.outputs + 1);
    const fixed = this.errors.length + this.history.length + this.stored.length;
    const expected = headSizes.reduce((s, n) => s + n, 0) + fixed + 4;
    if (snapshot.length !== expected) throw new RangeError(`forecaster snapshot has ${snapshot.length} values, expected ${expected}`);
    let at = 0;
    heads.forEach((h, i) => {
      h.restore(snapshot.slice(at, at + headSizes[i]));
      at += headSizes[i];
    });
    for (const part of [this.errors, this.history, this.stored]) {
      part.set(snapshot.subarray(at, at + part.length));
      at += part.length;
    }
    this.observed = snapshot[at];
    this.imputed = snapshot[at + 1];
    this.lastTime = snapshot[at + 2];
    this.stepMs = snapshot[at + 3];
  }

  /** Index of the preallocated feature view of (origin, horizon). */
  private viewIndex(origin: number, h: number): number {
    return (origin % this.slots) * this.horizon + (h - 1);
  }

  private rowAt(row: number): number {
    return (row % this.historyLength) * this.columns;
  }

  private featureOffset(origin: number, h: number): number {
    return ((origin % this.slots) * this.horizon + (h - 1)) * this.maxDim;
  }

  /** Builds the features of every horizon for the forecast made after `origin` rows. */
  private prepare(origin: number, extra: ArrayLike<number> | undefined): void {
    const { columns: c, history, stored } = this;
    const last = this.rowAt(origin - 1);
    for (let h = 1; h <= this.horizon; h++) {
      const p = this.profileOf[h - 1];
      let k = this.featureOffset(origin, h);
      for (let j = 0; j < c; j++) stored[k++] = history[last + j];
      for (let l = 1; l < p.lags; l++) {
        const a = this.rowAt(origin - l);
        const b = this.rowAt(origin - l - 1);
        for (let j = 0; j < c; j++) stored[k++] = history[a + j] - history[b + j];
      }
      stored[k++] = 1;
      if (this.calendar) {
        const step = Number.isFinite(this.stepMs) ? this.stepMs : DAY_MS / this.season;
        const t = this.lastTime + h * step;
        const phase = (2 * Math.PI * (((t % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
        stored[k++] = Math.sin(phase);
        stored[k++] = Math.cos(phase);
        stored[k++] = Math.sin(2 * phase);
        stored[k++] = Math.cos(2 * phase);
      }
      if (p.seasonal) {
        // Row origin - 1 + h - season: one season before the target, already observed.
        const s = this.rowAt(origin - 1 + h - this.season);
        for (let j = 0; j < c; j++) stored[k++] = history[s + j] - history[last + j];
      }
      if (extra !== undefined) for (let j = 0; j < this.extra; j++) stored[k++] = extra[j];
    }
  }
}
