// Baseline detectors for the SKAB bench, each a per-row asset score over a file's rows (the first
// 400 rows, the training part, only initialise them; they are never scored):
// - ewmaZ: per sensor, residual of x against its EWMA mean (alpha 0.1) over the EWMA residual sd
//   (alpha 0.01, started from the training rows' residuals); asset = max |z| over sensors;
// - mad: per sensor, |x - median| / (1.4826·MAD) over the previous 60 rows (the scale at least a
//   tenth of the sensor's sd over the training rows: a quantised sensor's window is often flat);
//   asset = max;
// - t2: Hotelling's T² on the 8 sensors exactly as the SKAB leaderboard ran it (reproduce_t2.py):
//   standardised with the training mean and population sd, inverse covariance (ddof 1) of the
//   standardised training rows, trailing 5-row median over the scored rows (first 4 NaN), flagged
//   above 2·UCL with UCL = m(n-1)(n+1)/(n(n-m))·c, c the largest point of linspace(0, 15, 10000)
//   whose F(m, n-m) CDF is below 0.999.
import { TRAIN_ROWS, type SkabFile } from './skab-data.js';

const EWMA_MEAN_ALPHA = 0.1;
const EWMA_VAR_ALPHA = 0.01;
const MAD_WINDOW = 60;
const MEDIAN_ROWS = 5;

/** The value of sensor j at row r. */
const at = (f: SkabFile, r: number, j: number) => f.x[r * f.sensors.length + j];

/** Max over sensors of |EWMA residual z|, for the scored rows. */
export function ewmaZScores(f: SkabFile): Float64Array {
  const d = f.sensors.length;
  const out = new Float64Array(f.rows - TRAIN_ROWS);
  const m = new Float64Array(d);
  const v = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    // Start: mean of the training rows; variance of their EWMA residuals (one warm pass).
    let mean = at(f, 0, j);
    let s2 = 0;
    for (let r = 1; r < TRAIN_ROWS; r++) {
      const e = at(f, r, j) - mean;
      s2 += e * e;
      mean += EWMA_MEAN_ALPHA * e;
    }
    m[j] = mean;
    v[j] = Math.max(s2 / (TRAIN_ROWS - 1), 1e-12);
  }
  for (let r = TRAIN_ROWS; r < f.rows; r++) {
    let best = 0;
    for (let j = 0; j < d; j++) {
      const e = at(f, r, j) - m[j];
      const z = Math.abs(e) / Math.sqrt(v[j]);
      if (z > best) best = z;
      m[j] += EWMA_MEAN_ALPHA * e;
      v[j] = Math.max((1 - EWMA_VAR_ALPHA) * v[j] + EWMA_VAR_ALPHA * e * e, 1e-12);
    }
    out[r - TRAIN_ROWS] = best;
  }
  return out;
}

function median(xs: Float64Array): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Max over sensors of the robust z against the previous 60 rows' median and MAD. */
export function madScores(f: SkabFile): Float64Array {
  const d = f.sensors.length;
  const out = new Float64Array(f.rows - TRAIN_ROWS);
  const win = new Float64Array(MAD_WINDOW);
  const dev = new Float64Array(MAD_WINDOW);
  const floor = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0,
      q = 0;
    for (let r = 0; r < TRAIN_ROWS; r++) s += at(f, r, j);
    for (let r = 0; r < TRAIN_ROWS; r++) q += (at(f, r, j) - s / TRAIN_ROWS) ** 2;
    floor[j] = Math.max(0.1 * Math.sqrt(q / TRAIN_ROWS), 1e-12);
  }
  for (let r = TRAIN_ROWS; r < f.rows; r++) {
    let best = 0;
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < MAD_WINDOW; k++) win[k] = at(f, r - MAD_WINDOW + k, j);
      const med = median(win);
      for (let k = 0; k < MAD_WINDOW; k++) dev[k] = Math.abs(win[k] - med);
      const scale = Math.max(1.4826 * median(dev), floor[j]);
      const z = Math.abs(at(f, r, j) - med) / scale;
      if (z > best) best = z;
    }
    out[r - TRAIN_ROWS] = best;
  }
  return out;
}

// ----------------------------------------------------------------- Hotelling T²

function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300,
    eps = 1e-16;
  const qab = a + b,
    qap = a + 1,
    qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  d = 1 / (Math.abs(d) > tiny ? d : tiny);
  let h = d;
  for (let m = 1; m < 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) > tiny ? d : tiny);
    c = 1 + aa / c;
    c = Math.abs(c) > tiny ? c : tiny;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) > tiny ? d : tiny);
    c = 1 + aa / c;
    c = Math.abs(c) > tiny ? c : tiny;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < eps) return h;
  }
  throw new Error('incomplete beta did not converge');
}

function lgamma(x: number): number {
  // Lanczos (g = 7, n = 9): ~1e-15 relative, plenty for a grid search on a CDF.
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  x -= 1;
  let a = g[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function betainc(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lbt) * betacf(a, b, x)) / a;
  return 1 - (Math.exp(lbt) * betacf(b, a, 1 - x)) / b;
}

function fCdf(x: number, d1: number, d2: number): number {
  return x <= 0 ? 0 : betainc(d1 / 2, d2 / 2, (d1 * x) / (d1 * x + d2));
}

/** UCL of T² with m features and n training rows (the leaderboard's grid search for the F quantile). */
export function t2Ucl(m: number, n: number): number {
  const grid = (i: number) => (i === 9999 ? 15 : i * (15 / 9999));
  const below = (i: number) => fCdf(grid(i), m, n - m) < 0.999;
  let lo = 0,
    hi = 9999;
  if (below(hi)) lo = hi;
  else
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (below(mid)) lo = mid;
      else hi = mid;
    }
  return ((m * (n - 1) * (n + 1)) / (n * (n - m))) * grid(lo);
}

function invert(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (p !== c)
      for (let k = 0; k < n; k++) {
        [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
        [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
      }
    const piv = m[c * n + c];
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= piv;
      inv[c * n + k] /= piv;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

/** T² per scored row after the trailing 5-row median (NaN for the first 4), and the flag threshold 2·UCL. */
export function t2Scores(f: SkabFile): { scores: Float64Array; threshold: number } {
  const all = f.sensors.length;
  // Columns constant over the training rows are dropped (none are in SKAB v0.9).
  const keep = [...Array(all).keys()].filter((j) => {
    for (let r = 1; r < TRAIN_ROWS; r++) if (at(f, r, j) !== at(f, 0, j)) return true;
    return false;
  });
  const d = keep.length;
  const n = TRAIN_ROWS;
  const mu = new Float64Array(d),
    sd = new Float64Array(d);
  keep.forEach((j, k) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += at(f, r, j);
    mu[k] = s / n;
    let v = 0;
    for (let r = 0; r < n; r++) v += (at(f, r, j) - mu[k]) ** 2;
    sd[k] = Math.sqrt(v / n);
  });
  const z = (r: number, k: number) => (at(f, r, keep[k]) - mu[k]) / sd[k];
  // Covariance (ddof 1) of the standardised training rows (their mean is ~0 but is subtracted, as np.cov does).
  const zm = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += z(r, k);
    zm[k] = s / n;
  }
  const cov = new Float64Array(d * d);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += (z(r, a) - zm[a]) * (z(r, b) - zm[b]);
      cov[a * d + b] = cov[b * d + a] = s / (n - 1);
    }
  const inv = invert(cov, d);
  const m = f.rows - TRAIN_ROWS;
  const raw = new Float64Array(m);
  const x = new Float64Array(d);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < d; k++) x[k] = z(TRAIN_ROWS + i, k);
    let q = 0;
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += x[b] * inv[b * d + a];
      q += s * x[a];
    }
    raw[i] = q;
  }
  const scores = new Float64Array(m).fill(NaN);
  for (let i = MEDIAN_ROWS - 1; i < m; i++) scores[i] = median(raw.subarray(i - MEDIAN_ROWS + 1, i + 1));
  return { scores, threshold: 2 * t2Ucl(d, n) };
}
