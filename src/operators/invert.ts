import { NORM, TRANSFORM } from './resolved-options.js';

// Exact inverse of normalisation and transform, applied to a forecast and its interval. The
// interval is central in normalised space (mean ± z·std) and mapped through the inverse, which is
// monotone, so its bounds stay quantiles: for log the point forecast becomes the median, exp(mean).
// log_return forecasts are one-step returns per horizon: levels are the last level times the
// exponential of the cumulative return, the cumulative std assuming independent horizon errors.

export interface Interval {
  readonly mean: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export interface CentreScale {
  readonly centre: number;
  readonly scale: number;
  /** Last level of the field in data units (log_return). */
  readonly level: number;
  /** Observations the statistics have seen. */
  readonly count: number;
}

export function invertForecast(
  cs: CentreScale | null,
  transform: number,
  method: number,
  mean: ArrayLike<number>,
  std: ArrayLike<number>,
  z: number,
): Interval {
  const H = mean.length;
  const out = { mean: new Float64Array(H), lower: new Float64Array(H), upper: new Float64Array(H) };
  if (cs === null || (cs.count === 0 && method !== NORM.none)) {
    out.mean.fill(NaN);
    out.lower.fill(NaN);
    out.upper.fill(NaN);
    return out;
  }
  const { centre: c, scale: s } = cs;
  let cumMean = 0;
  let cumVar = 0;
  for (let h = 0; h < H; h++) {
    const sd = std[h] * s;
    const y = c + s * mean[h];
    if (transform === TRANSFORM.log_return) {
      cumMean += y;
      cumVar += sd * sd;
      const half = z * Math.sqrt(cumVar);
      out.mean[h] = cs.level * Math.exp(cumMean);
      out.lower[h] = cs.level * Math.exp(cumMean - half);
      out.upper[h] = cs.level * Math.exp(cumMean + half);
    } else {
      const lo = y - z * sd;
      const hi = y + z * sd;
      const log = transform === TRANSFORM.log;
      out.mean[h] = log ? Math.exp(y) : y;
      out.lower[h] = log ? Math.exp(lo) : lo;
      out.upper[h] = log ? Math.exp(hi) : hi;
    }
  }
  return out;
}
