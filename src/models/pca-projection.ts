// Two-dimensional PCA of n points in d dimensions (the dashboard's map of stream embeddings): the
// points centred and projected on the two leading eigenvectors of their covariance, found by power
// iteration with deflation from a fixed start (deterministic: the same points give the same map;
// each axis's sign is fixed so its largest loading is positive).

export function pca2d(points: Float32Array, n: number, d: number, iterations = 100): Float64Array {
  const out = new Float64Array(2 * n);
  if (n === 0 || d === 0) return out;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += points[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) {
      const xa = points[i * d + a] - mean[a];
      for (let b = 0; b < d; b++) cov[a * d + b] += (xa * (points[i * d + b] - mean[b])) / n;
    }
  const axes = [new Float64Array(d), new Float64Array(d)];
  for (let k = 0; k < 2; k++) {
    const v = axes[k];
    for (let j = 0; j < d; j++) v[j] = 1 / Math.sqrt(d) + 1e-3 * (j + 1);
    const w = new Float64Array(d);
    for (let it = 0; it < iterations; it++) {
      w.fill(0);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) w[a] += cov[a * d + b] * v[b];
      if (k === 1) project(w, axes[0]);
      const norm = Math.hypot(...w);
      if (!(norm > 1e-12)) {
        v.fill(0);
        break;
      }
      for (let j = 0; j < d; j++) v[j] = w[j] / norm;
    }
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) for (let j = 0; j < d; j++) v[j] = -v[j];
  }
  for (let i = 0; i < n; i++)
    for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (points[i * d + j] - mean[j]) * axes[k][j];
      out[2 * i + k] = s;
    }
  return out;
}

/** w minus its component along the unit vector u. */
function project(w: Float64Array, u: Float64Array): void {
  let dot = 0;
  for (let j = 0; j < w.length; j++) dot += w[j] * u[j];
  for (let j = 0; j < w.length; j++) w[j] -= dot * u[j];
}
