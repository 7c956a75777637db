// Accuracy of served forecasts, scored as they are made: fed the engine's every grid step
// (listener.actual) and every forecast (listener.forecast), it pairs the forecast made at origin o
// for o + h with the actual at o + h once that arrives. Per stream and per horizon bucket H (the
// windows h = 1..H), it sums the model's, persistence's (the actual at the origin) and optionally
// seasonal naive's (the actual one season before the target) errors, and the 95% band's hits and
// width. Memory is per stream (a ring of the last forecasts and actuals), never per event, so whole
// files of many streams score in one pass.
//
// A pair is scored only when both the origin's and the target's actuals were observed (imputed
// values are neither a truth nor a persistence forecast) and the model gave a finite mean. Ratios
// to persistence are taken per stream and then averaged over the streams (a $1000 share and a $2
// share weigh the same), over streams whose persistence error is above zero.

export interface AccuracyOptions {
  readonly stepMs: number;
  /** Horizon buckets, e.g. [1, 24]: bucket H scores h = 1..H of every counted window. */
  readonly horizons: readonly number[];
  /** Steps of the seasonal naive (the actual at target - season); none when absent. */
  readonly season?: number;
  /**
   * Whether the window of the forecast made at step `origin` (0 = the stream's first grid step)
   * counts in bucket H. Default: every window. The online-forecasting protocol uses it to keep
   * the whole window inside the test rows; the domains to skip the offline fit's steps.
   */
  readonly counts?: (origin: number, H: number) => boolean;
}

/** One method's errors in one bucket. Ratios are per-stream means of method / persistence. */
export interface MethodAccuracy {
  readonly mse: number;
  readonly mae: number;
  readonly mseRatio: number;
  readonly maeRatio: number;
  /** Share of actuals inside [lower, upper] (edges inside); null for methods without a band. */
  readonly coverage95: number | null;
  /** Mean upper - lower; null for methods without a band. */
  readonly width95: number | null;
}

export interface BucketAccuracy {
  readonly model: MethodAccuracy;
  readonly naive: MethodAccuracy;
  readonly seasonalNaive?: MethodAccuracy;
  /** Scored (origin, h) pairs over all streams. */
  readonly pairs: number;
  /** Streams with scored pairs. */
  readonly streams: number;
}

/** Per-bucket sums of one stream. */
class Sums {
  n = 0;
  se = 0;
  ae = 0;
  seNaive = 0;
  aeNaive = 0;
  nSeasonal = 0;
  seSeasonal = 0;
  aeSeasonal = 0;
  banded = 0;
  inBand = 0;
  width = 0;
}

class StreamState {
  /** Time of step 0. */
  readonly t0: number;
  /** Ring of actuals by step index (index, value, observed). */
  readonly actualAt: Float64Array;
  readonly actual: Float64Array;
  readonly observed: Uint8Array;
  /** Ring of forecasts by origin index; mean etc. [slot * maxH + h - 1]. */
  readonly originAt: Float64Array;
  readonly mean: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly sums: Sums[];

  constructor(t0: number, history: number, maxH: number, buckets: number) {
    this.t0 = t0;
    this.actualAt = new Float64Array(history).fill(-1);
    this.actual = new Float64Array(history);
    this.observed = new Uint8Array(history);
    this.originAt = new Float64Array(maxH + 1).fill(-1);
    this.mean = new Float64Array((maxH + 1) * maxH);
    this.lower = new Float64Array((maxH + 1) * maxH);
    this.upper = new Float64Array((maxH + 1) * maxH);
    this.sums = Array.from({ length: buckets }, () => new Sums());
  }
}

export class ForecastAccuracy {
  private readonly stepMs: number;
  private readonly horizons: readonly number[];
  private readonly maxH: number;
  private readonly season: number;
  private readonly history: number;
  private readonly counts: (origin: number, H: number) => boolean;
  private readonly streams = new Map<string, StreamState>();

  constructor(o: AccuracyOptions) {
    if (o.horizons.length === 0 || o.horizons.some((H) => !Number.isInteger(H) || H < 1))
      throw new RangeError(`horizons must be integers >= 1, got ${o.horizons.join(', ')}`);
    if (!(o.stepMs > 0)) throw new RangeError(`stepMs must be > 0, got ${o.stepMs}`);
    this.stepMs = o.stepMs;
    this.horizons = [...o.horizons];
    this.maxH = Math.max(...o.horizons);
    this.season = o.season ?? 0;
    // Actuals are looked up back to the furthest origin (maxH) and the seasonal value (season).
    this.history = Math.max(this.maxH, this.season) + 1;
    this.counts = o.counts ?? (() => true);
  }

  /** Every grid step of a stream, in time order (observed or imputed). Scores the forecasts that targeted it. */
  actual(key: string, t: number, value: number, imputed: boolean): void {
    const s = this.stateOf(key, t);
    const i = this.indexOf(s, t);
    if (i < 0) return;
    const slot = i % this.history;
    s.actualAt[slot] = i;
    s.actual[slot] = value;
    const observed = !imputed && Number.isFinite(value);
    s.observed[slot] = observed ? 1 : 0;
    if (!observed) return;
    const H = this.maxH;
    for (let h = 1; h <= H && h <= i; h++) {
      const o = i - h;
      const fs = o % (H + 1);
      if (s.originAt[fs] !== o) continue;
      const os = o % this.history;
      if (s.actualAt[os] !== o || s.observed[os] === 0) continue;
      const f = s.mean[fs * H + h - 1];
      const lo = s.lower[fs * H + h - 1];
      const up = s.upper[fs * H + h - 1];
      const e = f - value;
      const eNaive = s.actual[os] - value;
      let eSeasonal = NaN;
      if (this.season > 0 && i >= this.season) {
        const ss = (i - this.season) % this.history;
        if (s.actualAt[ss] === i - this.season && s.observed[ss] === 1) eSeasonal = s.actual[ss] - value;
      }
      const banded = Number.isFinite(lo) && Number.isFinite(up);
      for (let b = 0; b < this.horizons.length; b++) {
        if (h > this.horizons[b] || !this.counts(o, this.horizons[b])) continue;
        const m = s.sums[b];
        m.n++;
        m.se += e * e;
        m.ae += Math.abs(e);
        m.seNaive += eNaive * eNaive;
        m.aeNaive += Math.abs(eNaive);
        if (!Number.isNaN(eSeasonal)) {
          m.nSeasonal++;
          m.seSeasonal += eSeasonal * eSeasonal;
          m.aeSeasonal += Math.abs(eSeasonal);
        }
        if (banded) {
          m.banded++;
          if (value >= lo && value <= up) m.inBand++;
          m.width += up - lo;
        }
      }
    }
  }

  /** A forecast made at origin t: mean/lower/upper[h - 1] for t + h steps (only the first maxH are kept). */
  forecast(key: string, t: number, mean: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): void {
    const s = this.streams.get(key);
    if (s === undefined) return; // a forecast before its stream's first actual: nothing can pair with it
    const o = this.indexOf(s, t);
    if (o < 0) return;
    const H = this.maxH;
    const fs = o % (H + 1);
    s.originAt[fs] = -1;
    if (!Number.isFinite(mean[0])) return;
    const n = Math.min(H, mean.length);
    for (let h = 0; h < H; h++) {
      s.mean[fs * H + h] = h < n ? mean[h] : NaN;
      s.lower[fs * H + h] = h < n ? lower[h] : NaN;
      s.upper[fs * H + h] = h < n ? upper[h] : NaN;
    }
    s.originAt[fs] = o;
  }

  /** Stream keys seen so far. */
  keys(): IterableIterator<string> {
    return this.streams.keys();
  }

  /**
   * Scores per bucket (keyed by String(H)). `scaleOf(key)` divides a stream's errors and widths
   * (e.g. the z-score's std, for errors on the z scale); 1 when absent. Ratios do not depend on it.
   */
  summary(scaleOf?: (key: string) => number): Record<string, BucketAccuracy> {
    const out: Record<string, BucketAccuracy> = {};
    this.horizons.forEach((H, b) => {
      const model = new Pool();
      const naive = new Pool();
      const seasonal = new Pool();
      let pairs = 0;
      let streams = 0;
      for (const [key, s] of this.streams) {
        const m = s.sums[b];
        if (m.n === 0) continue;
        const k = scaleOf?.(key) ?? 1;
        pairs += m.n;
        streams++;
        // Per-stream ratios: the model and persistence share their pairs; seasonal naive compares means.
        const mseNaive = m.seNaive / m.n;
        const maeNaive = m.aeNaive / m.n;
        model.add(m.n, m.se / (k * k), m.ae / k, m.se / m.n / mseNaive, m.ae / m.n / maeNaive);
        model.band(m.banded, m.inBand, m.width / k);
        naive.add(m.n, m.seNaive / (k * k), m.aeNaive / k, mseNaive / mseNaive, maeNaive / maeNaive);
        if (m.nSeasonal > 0) {
          seasonal.add(
            m.nSeasonal,
            m.seSeasonal / (k * k),
            m.aeSeasonal / k,
            m.seSeasonal / m.nSeasonal / mseNaive,
            m.aeSeasonal / m.nSeasonal / maeNaive,
          );
        }
      }
      out[String(H)] = {
        model: model.result(true),
        naive: naive.result(false),
        ...(this.season > 0 ? { seasonalNaive: seasonal.result(false) } : {}),
        pairs,
        streams,
      };
    });
    return out;
  }

  private stateOf(key: string, t: number): StreamState {
    let s = this.streams.get(key);
    if (s === undefined) {
      s = new StreamState(t, this.history, this.maxH, this.horizons.length);
      this.streams.set(key, s);
    }
    return s;
  }

  /** Step index of t in its stream (-1 off the grid or before step 0). */
  private indexOf(s: StreamState, t: number): number {
    const i = (t - s.t0) / this.stepMs;
    return Number.isInteger(i) && i >= 0 ? i : -1;
  }
}

/** Pooled sums over streams and the per-stream ratio mean of one method in one bucket. */
class Pool {
  private n = 0;
  private se = 0;
  private ae = 0;
  private mseRatioSum = 0;
  private mseRatioStreams = 0;
  private maeRatioSum = 0;
  private maeRatioStreams = 0;
  private banded = 0;
  private inBand = 0;
  private width = 0;

  /** n pairs with (scaled) error sums se, ae; one stream's ratios to persistence (NaN where persistence has no error: left out). */
  add(n: number, se: number, ae: number, mseRatio: number, maeRatio: number): void {
    this.n += n;
    this.se += se;
    this.ae += ae;
    if (Number.isFinite(mseRatio)) {
      this.mseRatioSum += mseRatio;
      this.mseRatioStreams++;
    }
    if (Number.isFinite(maeRatio)) {
      this.maeRatioSum += maeRatio;
      this.maeRatioStreams++;
    }
  }

  band(banded: number, inBand: number, width: number): void {
    this.banded += banded;
    this.inBand += inBand;
    this.width += width;
  }

  result(withBand: boolean): MethodAccuracy {
    return {
      mse: this.se / this.n,
      mae: this.ae / this.n,
      mseRatio: this.mseRatioSum / this.mseRatioStreams,
      maeRatio: this.maeRatioSum / this.maeRatioStreams,
      coverage95: withBand ? this.inBand / this.banded : null,
      width95: withBand ? this.width / this.banded : null,
    };
  }
}
