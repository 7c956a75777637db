import { SoftmaxRegression, type SoftmaxRegressionOptions } from './softmax-regression.js';

// Many-to-one classification of the coming horizon's regime per stream: falling / flat / rising.
// The label of origin t is known once the horizon has passed (at t + H): the mean of the next H
// values minus the value at t, against ± threshold · the stream's own RMS of that change (an EWMA
// of past, completed horizons only), so thresholds fit °F, bpm and dollars alike and the classes
// stay about balanced (threshold 0.43: a third each for Gaussian changes). Until then the origin's
// features wait in a per-stream ring: learning never sees the future (leak-free).
// One softmax regression per pipeline, shared by its streams (the features are in each stream's own
// units of scale): the recent changes at a few lags, the last window's own regime change, the level
// against the recent mean, the recent volatility, and the model's forecast of the change (its head's
// reading of the recurrent state) when the caller gives it.
// Per-stream state lives in typed arrays grown when a stream is added; nothing is allocated per step.

export const REGIMES = ['falling', 'flat', 'rising'] as const;
export type Regime = (typeof REGIMES)[number];
export const REGIME_FEATURES = 7;

export interface RegimeClassifierOptions extends SoftmaxRegressionOptions {
  readonly horizon: number;
  /** Flat within ± this many RMS changes. */
  readonly threshold?: number;
  /** Half-life of the stream scales, in steps (default max(200, 10·horizon)). */
  readonly scaleHalfLife?: number;
}

export class RegimeClassifier {
  readonly horizon: number;
  readonly model: SoftmaxRegression;
  /** Values that were not finite (skipped, counted). */
  skipped = 0;
  private readonly threshold: number;
  private readonly decay: number;
  private readonly ringSize: number;
  private readonly slots = new Map<string, number>();
  private capacity = 0;
  private values = new Float64Array(0); // slot × ringSize
  private pending = new Float64Array(0); // slot × (H + 1) × F: features by origin
  private hasPending = new Uint8Array(0); // slot × (H + 1)
  private count = new Float64Array(0); // values seen per slot
  private var1 = new Float64Array(0); // EWMA of squared one-step changes
  private varH = new Float64Array(0); // EWMA of squared horizon-mean changes
  private labels = new Float64Array(0); // completed horizons per slot
  private probs = new Float64Array(0); // slot × 3, NaN until the stream is warm
  private last = new Int8Array(0); // regime of the window just completed, -1 none
  private readonly x = new Float64Array(REGIME_FEATURES);
  private readonly p = new Float64Array(REGIMES.length);

  constructor(o: RegimeClassifierOptions) {
    if (!(Number.isInteger(o.horizon) && o.horizon >= 1)) throw new RangeError(`horizon must be a positive integer, got ${o.horizon}`);
    this.horizon = o.horizon;
    this.threshold = o.threshold ?? 0.43;
    this.decay = 2 ** (-1 / (o.scaleHalfLife ?? Math.max(200, 10 * o.horizon)));
    this.ringSize = 2 * o.horizon + 2;
    this.model = new SoftmaxRegression(REGIME_FEATURES, REGIMES.length, o);
  }

  /**
   * The next value of `key`. forecastChange: the served forecast's mean over the horizon minus the
   * current value (data units), NaN when there is none. Returns the stream's slot.
   */
  observe(key: string, value: number, forecastChange = NaN): number {
    const s = this.slot(key);
    if (!Number.isFinite(value)) {
      this.skipped++;
      return s;
    }
    const H = this.horizon,
      R = this.ringSize;
    const t = this.count[s]++;
    const base = s * R;
    this.values[base + (t % R)] = value;
    const at = (i: number) => this.values[base + (i % R)];
    if (t >= 1) {
      const d = value - at(t - 1);
      this.var1[s] = t === 1 ? d * d : this.decay * this.var1[s] + (1 - this.decay) * d * d;
    }
    if (t >= H) {
      // The horizon of origin t - H has passed: its label, then the scale learns the change.
      const c = this.windowChange(s, t);
      const scale = Math.sqrt(this.varH[s]);
      if (this.labels[s] >= 8) {
        const label = c > this.threshold * scale ? 2 : c < -this.threshold * scale ? 0 : 1;
        this.last[s] = label;
        const slotPending = s * (H + 1) + ((t - H) % (H + 1));
        if (this.hasPending[slotPending] === 1) this.model.learn(this.pending, slotPending * REGIME_FEATURES, label);
      }
      this.varH[s] = this.labels[s] === 0 ? c * c : this.decay * this.varH[s] + (1 - this.decay) * c * c;
      this.labels[s]++;
    }
    const p = s * (H + 1) + (t % (H + 1));
    this.hasPending[p] = 0;
    this.probs[3 * s] = NaN;
    if (t < 2 * H + 1 || this.labels[s] < 8) return s;
    const sH = Math.sqrt(this.varH[s]),
      s1 = Math.sqrt(this.var1[s]);
    if (!(sH > 0 && s1 > 0)) return s;
    let mean = 0,
      dv = 0,
      dv2 = 0;
    for (let i = t - H + 1; i <= t; i++) {
      mean += at(i) / H;
      const d = at(i) - at(i - 1);
      dv += d / H;
      dv2 += (d * d) / H;
    }
    const x = this.x;
    x[0] = (value - at(t - 1)) / s1;
    x[1] = (value - at(t - H)) / sH;
    x[2] = (value - at(t - 2 * H)) / sH;
    x[3] = this.windowChange(s, t) / sH;
    x[4] = (value - mean) / sH;
    x[5] = Math.log(Math.sqrt(Math.max(1e-24, dv2 - dv * dv)) / s1 + 1e-6);
    x[6] = forecastChange / sH;
    this.pending.set(x, p * REGIME_FEATURES);
    this.hasPending[p] = 1;
    if (this.model.examples > 0) {
      this.model.predict(x, 0, this.p);
      this.probs[3 * s] = this.p[0];
      this.probs[3 * s + 1] = this.p[1];
      this.probs[3 * s + 2] = this.p[2];
    }
    return s;
  }

  /** Probabilities of falling, flat, rising over the coming horizon into out; false (out untouched) while the stream warms up. */
  probabilities(key: string, out: Float64Array): boolean {
    const s = this.slots.get(key);
    if (s === undefined || Number.isNaN(this.probs[3 * s])) return false;
    out[0] = this.probs[3 * s];
    out[1] = this.probs[3 * s + 1];
    out[2] = this.probs[3 * s + 2];
    return true;
  }

  /** Regime of the horizon that just completed (the "same as last window" guess), -1 none yet. */
  lastRegime(key: string): number {
    const s = this.slots.get(key);
    return s === undefined ? -1 : this.last[s];
  }

  /** Mean of the values t-H+1..t minus the value at t-H. */
  private windowChange(s: number, t: number): number {
    const H = this.horizon,
      R = this.ringSize,
      base = s * R;
    let sum = 0;
    for (let i = t - H + 1; i <= t; i++) sum += this.values[base + (i % R)];
    return sum / H - this.values[base + ((t - H) % R)];
  }

  private slot(key: string): number {
    let s = this.slots.get(key);
    if (s !== undefined) return s;
    s = this.slots.size;
    if (s === this.capacity) this.grow(Math.max(16, 2 * this.capacity));
    this.slots.set(key, s);
    this.last[s] = -1;
    this.probs[3 * s] = NaN;
    return s;
  }

  private grow(capacity: number): void {
    const H = this.horizon;
    const f64 = (old: Float64Array, per: number) => {
      const a = new Float64Array(capacity * per);
      a.set(old);
      return a;
    };
    this.values = f64(this.values, this.ringSize);
    this.pending = f64(this.pending, (H + 1) * REGIME_FEATURES);
    const hp = new Uint8Array(capacity * (H + 1));
    hp.set(this.hasPending);
    this.hasPending = hp;
    this.count = f64(this.count, 1);
    this.var1 = f64(this.var1, 1);
    this.varH = f64(this.varH, 1);
    this.labels = f64(this.labels, 1);
    this.probs = f64(this.probs, 3);
    const l = new Int8Array(capacity);
    l.set(this.last);
    this.last = l;
    this.capacity = capacity;
  }
}
