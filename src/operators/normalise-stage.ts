import { Stage } from './stage.js';
import { NORM, TRANSFORM, type ResolvedOptions } from './resolved-options.js';
import { P2_SIZE, p2Estimate, p2Update } from './p2-quantile.js';

// Online normalisation of every field of one stream. A value is scaled with the statistics of the
// steps BEFORE it, then the statistics learn it: so the target at t+1 and a forecast made at t use
// the same statistics, and `invert` after step t maps a forecast of step t+1 back exactly.
// Only observed (not imputed) values update the statistics.
// zscore learns each value winsorised at WINSOR_SIGMAS scales once it has WINSOR_MIN_COUNT values:
// the model forecasts changes in units of this scale, so a fault stretch must not inflate it for good.
// Slot layout (Float64) per field: previous level (log_return), count, then the method's numbers:
// zscore: mean, M2 · ewm_zscore: mean, variance · minmax: min, max · robust: 3 P² estimators · none.

const Q = [0.25, 0.5, 0.75];
/** zscore: values learn winsorised at this many scales from the centre, after WINSOR_MIN_COUNT values. */
export const WINSOR_SIGMAS = 4;
export const WINSOR_MIN_COUNT = 64;

export class NormaliseStage extends Stage {
  readonly size64: number;
  readonly size16 = 0;
  private readonly fields: number;
  private readonly per: number;
  private readonly method: number;
  private readonly transform: number;
  private readonly alpha: number;
  /** The transform applies to targets only: exogenous inputs (volume, counts) may be 0. */
  private readonly transformed: Uint8Array;
  /** Outputs of centreScale (fields, not a tuple, to allocate nothing). */
  private c = 0;
  private s = 1;

  constructor(o: ResolvedOptions) {
    super();
    this.fields = o.fieldCount;
    this.method = o.normMethod;
    this.transform = o.transform;
    this.alpha = o.ewmAlpha;
    this.transformed = new Uint8Array(o.fieldCount);
    for (const i of o.targets) this.transformed[i] = 1;
    const stats = this.method === NORM.robust ? 3 * P2_SIZE : this.method === NORM.none ? 0 : 2;
    this.per = 2 + stats;
    this.size64 = this.per * o.fieldCount;
  }

  init(slot: number): void {
    const f = this.arena.f64;
    const b = this.base64(slot);
    f.fill(0, b, b + this.size64);
    for (let i = 0; i < this.fields; i++) f[b + i * this.per] = NaN;
  }

  /**
   * Normalises one step: z[i] is the model input (0 where unknown); target[i] the normalised value
   * if it was observed and scalable, else NaN.
   */
  apply(slot: number, vals: Float64Array, mask: Uint8Array, broken: boolean, z: Float64Array, target: Float64Array): void {
    const f = this.arena.f64;
    const b0 = this.base64(slot);
    for (let i = 0; i < this.fields; i++) {
      const b = b0 + i * this.per;
      if (broken) f[b] = NaN;
      const x = vals[i];
      let y = x;
      const tr = this.transformed[i] === 1 ? this.transform : TRANSFORM.none;
      if (tr === TRANSFORM.log) y = Math.log(x);
      else if (tr === TRANSFORM.log_return) {
        y = Math.log(x / f[b]);
        if (x === x) f[b] = x;
      }
      if (!(y > -Infinity && y < Infinity)) y = NaN;
      const n = f[b + 1];
      let zi = 0;
      let ti = NaN;
      if (y === y && (n > 0 || this.method === NORM.none)) {
        this.centreScale(f, b);
        zi = (y - this.c) / this.s;
        if (mask[i] === 0) ti = zi;
      }
      z[i] = zi;
      target[i] = ti;
      if (mask[i] === 0 && y === y) this.learn(f, b, y, n + 1);
    }
  }

  /**
   * Maps a normalised value back to data units with the statistics after the last step:
   * the level `y` of the transform (log: ln x, log_return: ln(x_{t+h}/x_t) summed by the caller).
   */
  centreScaleOf(slot: number, field: number): { centre: number; scale: number; level: number; count: number; transform: number } {
    const f = this.arena.f64;
    const b = this.base64(slot) + field * this.per;
    this.centreScale(f, b);
    const transform = this.transformed[field] === 1 ? this.transform : TRANSFORM.none;
    return { centre: this.c, scale: this.s, level: f[b], count: f[b + 1], transform };
  }

  private centreScale(f: Float64Array, b: number): void {
    const n = f[b + 1];
    const m = b + 2;
    let c = 0;
    let s = 1;
    switch (this.method) {
      case NORM.zscore:
        c = f[m];
        s = n >= 2 ? Math.sqrt(f[m + 1] / (n - 1)) : NaN;
        break;
      case NORM.ewm_zscore:
        c = f[m];
        s = n >= 2 ? Math.sqrt(f[m + 1]) : NaN;
        break;
      case NORM.minmax:
        c = f[m];
        s = n >= 2 ? f[m + 1] - f[m] : NaN;
        break;
      case NORM.robust:
        c = p2Estimate(f, m + P2_SIZE, Q[1], n);
        s = n >= 2 ? p2Estimate(f, m + 2 * P2_SIZE, Q[2], n) - p2Estimate(f, m, Q[0], n) : NaN;
        break;
      default:
        this.c = 0;
        this.s = 1;
        return;
    }
    const ac = Math.abs(c) > 1 ? Math.abs(c) : 1;
    // One observation gives no spread: scale by the level itself, so the next value reads as a
    // relative change; later the floor keeps a constant stream from dividing by zero.
    if (s !== s) s = ac;
    const floor = 1e-6 * ac;
    this.c = c;
    this.s = s > floor ? s : floor;
  }

  private learn(f: Float64Array, b: number, y: number, n: number): void {
    f[b + 1] = n;
    const m = b + 2;
    switch (this.method) {
      case NORM.zscore: {
        // Winsorised: once the statistics have settled, a value learns as if it were at most
        // WINSOR_SIGMAS scales from the centre, so a faulty stretch (a sensor stuck far off) cannot
        // inflate the cumulative scale for the rest of the stream's life.
        if (n > WINSOR_MIN_COUNT) {
          this.centreScale(f, b);
          const ac = Math.abs(this.c) > 1 ? Math.abs(this.c) : 1;
          if (this.s > 1e-6 * ac) {
            const lim = WINSOR_SIGMAS * this.s;
            y = y > this.c + lim ? this.c + lim : y < this.c - lim ? this.c - lim : y;
          }
        }
        const d = y - f[m];
        f[m] += d / n;
        f[m + 1] += d * (y - f[m]);
        break;
      }
      case NORM.ewm_zscore: {
        if (n === 1) {
          f[m] = y;
          f[m + 1] = 0;
          break;
        }
        const d = y - f[m];
        f[m] += this.alpha * d;
        f[m + 1] = (1 - this.alpha) * (f[m + 1] + this.alpha * d * d);
        break;
      }
      case NORM.minmax:
        if (n === 1 || y < f[m]) f[m] = y;
        if (n === 1 || y > f[m + 1]) f[m + 1] = y;
        break;
      case NORM.robust:
        for (let k = 0; k < 3; k++) p2Update(f, m + k * P2_SIZE, Q[k], y, n);
        break;
      default:
    }
  }
}
