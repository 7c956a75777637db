// The forecasts the alerting bench scores. `Forecaster` is what the bench needs from the engine;
// `RlsArForecaster` is the stand-in used while the model core's online path is not usable:
// a per-stream autoregression (p lags + two seasonal lags) fitted online by recursive least
// squares with forgetting, errors clipped at 3 scales so an anomaly barely moves the weights.

export interface ForecastBuffers {
  readonly mean: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Predicted log-variance per horizon, when the model has one. */
  readonly logVar: Float64Array;
}

export interface Forecaster {
  readonly name: string;
  readonly horizons: number;
  /** True when `logVar` is filled; otherwise the scorer uses its running residual scale. */
  readonly hasVariance: boolean;
  /** Feeds the value of step t of a stream (slot) and writes forecasts for t+1..t+H into out. */
  step(slot: number, value: number, imputed: boolean, out: ForecastBuffers): void;
}

export function forecastBuffers(horizons: number): ForecastBuffers {
  return {
    mean: new Float64Array(horizons),
    lower: new Float64Array(horizons),
    upper: new Float64Array(horizons),
    logVar: new Float64Array(horizons),
  };
}

const LAGS = 4;
const LAMBDA = 0.995;
const Z95 = 1.959963984540054;

interface RlsState {
  readonly season: number;
  readonly d: number;
  readonly w: Float64Array;
  readonly p: Float64Array;
  readonly hist: Float64Array;
  readonly phi: Float64Array;
  readonly pphi: Float64Array;
  n: number;
  center: number;
  scale: number;
  var1: number;
}

export class RlsArForecaster implements Forecaster {
  readonly name = 'rls-ar (bench stand-in: online AR by recursive least squares)';
  readonly hasVariance = false;
  private readonly states: RlsState[] = [];
  private readonly work: Float64Array;

  constructor(
    readonly horizons: number,
    private readonly seasons: readonly number[],
  ) {
    this.work = new Float64Array(horizons);
  }

  step(slot: number, value: number, imputed: boolean, out: ForecastBuffers): void {
    const s = this.states[slot] ?? (this.states[slot] = this.create(this.seasons[slot] ?? 0, value));
    const z = (value - s.center) / s.scale;
    if (s.n > s.hist.length) {
      // Regress the new value on the features built before it arrived (they are still in phi).
      this.features(s, 0);
      const pred = dot(s.w, s.phi, s.d);
      this.update(s, z - pred, imputed);
    }
    s.hist[s.n % s.hist.length] = z;
    s.n++;
    this.forecast(s, out);
  }

  private create(season: number, first: number): RlsState {
    const d = 1 + LAGS + (season > 0 ? 2 : 0);
    const p = new Float64Array(d * d);
    for (let i = 0; i < d; i++) p[i * d + i] = 100;
    const w = new Float64Array(d);
    w[1] = 1; // start from persistence
    return {
      season,
      d,
      w,
      p,
      hist: new Float64Array(Math.max(LAGS, season + 1) + this.horizons),
      phi: new Float64Array(d),
      pphi: new Float64Array(d),
      n: 0,
      center: first,
      scale: Math.max(1e-6, Math.abs(first) * 0.01),
      var1: 1,
    };
  }

  /** phi for predicting step n + h (0-based ahead offset h), reading predictions from work when needed. */
  private features(s: RlsState, h: number): void {
    const at = (k: number) => (k >= s.n ? this.work[k - s.n] : s.hist[k % s.hist.length]);
    const target = s.n + h; // index of the value predicted when h = 0 means "the step at n"
    s.phi[0] = 1;
    for (let l = 1; l <= LAGS; l++) s.phi[l] = target - l >= 0 ? at(target - l) : 0;
    if (s.season > 0) {
      s.phi[LAGS + 1] = target - s.season >= 0 ? at(target - s.season) : 0;
      s.phi[LAGS + 2] = target - s.season - 1 >= 0 ? at(target - s.season - 1) : 0;
    }
  }

  private update(s: RlsState, err: number, imputed: boolean): void {
    const sd = Math.sqrt(s.var1);
    const e = Math.max(-3 * sd, Math.min(3 * sd, err));
    s.var1 += 0.02 * (e * e - s.var1);
    if (imputed) return;
    const { d, p, phi, pphi, w } = s;
    let denom = LAMBDA;
    for (let i = 0; i < d; i++) {
      let acc = 0;
      for (let j = 0; j < d; j++) acc += p[i * d + j] * phi[j];
      pphi[i] = acc;
      denom += phi[i] * acc;
    }
    for (let i = 0; i < d; i++) w[i] += (pphi[i] / denom) * e;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) p[i * d + j] = (p[i * d + j] - (pphi[i] * pphi[j]) / denom) / LAMBDA;
  }

  private forecast(s: RlsState, out: ForecastBuffers): void {
    for (let h = 0; h < this.horizons; h++) {
      this.features(s, h);
      this.work[h] = dot(s.w, s.phi, s.d);
    }
    this.features(s, 0); // leave phi ready for the next update
    const sd = Math.sqrt(s.var1) * s.scale;
    for (let h = 0; h < this.horizons; h++) {
      const m = this.work[h] * s.scale + s.center;
      const half = Z95 * sd * Math.sqrt(h + 1);
      out.mean[h] = m;
      out.lower[h] = m - half;
      out.upper[h] = m + half;
      out.logVar[h] = NaN;
    }
  }
}

function dot(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}
