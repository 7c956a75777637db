// Gap fillers without learning, over a series with NaN = missing: what the bidirectional repair is
// measured against (bench:repair) and what it starts from (the seasonal-linear baseline, whose
// residual the network learns). Every filler writes `out` (observed values copied unchanged) and
// fills interior gaps only; leading and trailing gaps take the nearest observed value.

/** Linear interpolation between the observed values either side of each gap. */
export function linearFill(x: ArrayLike<number>, out: Float64Array): void {
  fillRuns(x, out, (a, b, left, right) => {
    for (let t = a; t < b; t++) out[t] = left + ((t - a + 1) / (b - a + 1)) * (right - left);
  });
}

/** The last observed value carried forward. */
export function forwardFill(x: ArrayLike<number>, out: Float64Array): void {
  fillRuns(x, out, (a, b, left) => out.fill(left, a, b));
}

/**
 * The value one season earlier (taken from `out`, so gaps longer than a season copy copies), else
 * one season later when that is observed, else linear interpolation.
 */
export function seasonalCopy(x: ArrayLike<number>, period: number, out: Float64Array): void {
  fillRuns(x, out, (a, b, left, right) => {
    for (let t = a; t < b; t++) {
      const earlier = t - period >= 0 ? out[t - period] : NaN;
      const later = t + period < x.length ? x[t + period] : NaN;
      out[t] = Number.isFinite(earlier) ? earlier : Number.isFinite(later) ? later : left + ((t - a + 1) / (b - a + 1)) * (right - left);
    }
  });
}

/**
 * Mean deviation of the observed values from their centred moving average (one season wide), per
 * phase t mod period: the series' seasonal shape, level-free. Zeros where a phase has no data.
 */
export function seasonalProfile(x: ArrayLike<number>, period: number): Float64Array {
  const n = x.length;
  const profile = new Float64Array(period);
  if (period < 2) return profile;
  const sum = new Float64Array(n + 1);
  const cnt = new Float64Array(n + 1);
  for (let t = 0; t < n; t++) {
    const ok = Number.isFinite(x[t]);
    sum[t + 1] = sum[t] + (ok ? x[t] : 0);
    cnt[t + 1] = cnt[t] + (ok ? 1 : 0);
  }
  const half = Math.floor(period / 2);
  const acc = new Float64Array(period);
  const seen = new Float64Array(period);
  for (let t = 0; t < n; t++) {
    if (!Number.isFinite(x[t])) continue;
    const lo = Math.max(0, t - half),
      hi = Math.min(n, t + half + 1);
    const c = cnt[hi] - cnt[lo];
    if (c < period / 2) continue; // too little around t for a level
    acc[t % period] += x[t] - (sum[hi] - sum[lo]) / c;
    seen[t % period]++;
  }
  let mean = 0;
  for (let p = 0; p < period; p++) {
    profile[p] = seen[p] > 0 ? acc[p] / seen[p] : 0;
    mean += profile[p];
  }
  mean /= period;
  for (let p = 0; p < period; p++) profile[p] -= mean;
  return profile;
}

/**
 * Linear interpolation of the deseasonalised series (x − profile), the profile added back: the
 * gap keeps the season's shape and meets both ends. `phase0` is the phase of x[0].
 */
export function seasonalLinearFill(x: ArrayLike<number>, profile: Float64Array, phase0: number, out: Float64Array): void {
  const P = profile.length;
  const season = new Float64Array(x.length);
  if (P > 0) for (let t = 0; t < x.length; t++) season[t] = profile[(((phase0 + t) % P) + P) % P];
  deseasonalisedLinearFill(x, season, out);
}

/** seasonalLinearFill with the season's value at every step given (season[t], same length as x). */
export function deseasonalisedLinearFill(x: ArrayLike<number>, season: ArrayLike<number>, out: Float64Array): void {
  fillRuns(x, out, (a, b, left, right, hasLeft, hasRight) => {
    const l = left - (hasLeft ? season[a - 1] : season[b]);
    const r = right - (hasRight ? season[b] : season[a - 1]);
    for (let t = a; t < b; t++) out[t] = season[t] + l + ((t - a + 1) / (b - a + 1)) * (r - l);
  });
}

/**
 * Copies x into out and calls fill(a, b, left, right, hasLeft, hasRight) for every run of missing
 * values [a, b); a leading (trailing) run gets the right (left) value on both sides. A series with
 * no observed value is left NaN.
 */
export function fillRuns(
  x: ArrayLike<number>,
  out: Float64Array,
  fill: (a: number, b: number, left: number, right: number, hasLeft: boolean, hasRight: boolean) => void,
): void {
  const n = x.length;
  for (let t = 0; t < n; t++) out[t] = x[t];
  let t = 0;
  while (t < n) {
    if (Number.isFinite(x[t])) {
      t++;
      continue;
    }
    const a = t;
    while (t < n && !Number.isFinite(x[t])) t++;
    const b = t;
    const hasLeft = a > 0,
      hasRight = b < n;
    if (!hasLeft && !hasRight) {
      out.fill(NaN, a, b);
      return;
    }
    const left = hasLeft ? x[a - 1] : x[b];
    const right = hasRight ? x[b] : x[a - 1];
    fill(a, b, left, right, hasLeft, hasRight);
  }
}
