// The P² streaming quantile estimator (Jain & Chlamtac 1985) on a flat Float64Array: 5 marker
// heights then 5 marker positions (10 numbers) per quantile, O(1) time and memory per update.
// `n` is the number of observations including the current one and is kept by the caller.

function desired(i: number, p: number, n: number): number {
  const inc = i === 0 ? 0 : i === 1 ? p / 2 : i === 2 ? p : i === 3 ? (1 + p) / 2 : 1;
  return 1 + (n - 1) * inc;
}

export function p2Update(s: Float64Array, o: number, p: number, x: number, n: number): void {
  const q = o;
  const pos = o + 5;
  if (n <= 5) {
    // Warm-up: keep the first five values sorted (insertion sort).
    let i = n - 1;
    while (i > 0 && s[q + i - 1] > x) {
      s[q + i] = s[q + i - 1];
      i--;
    }
    s[q + i] = x;
    if (n === 5) for (let j = 0; j < 5; j++) s[pos + j] = j + 1;
    return;
  }
  let k: number;
  if (x < s[q]) {
    s[q] = x;
    k = 0;
  } else if (x >= s[q + 4]) {
    if (x > s[q + 4]) s[q + 4] = x;
    k = 3;
  } else {
    k = 0;
    while (k < 3 && x >= s[q + k + 1]) k++;
  }
  for (let j = k + 1; j < 5; j++) s[pos + j] += 1;
  for (let i = 1; i <= 3; i++) {
    const d = desired(i, p, n) - s[pos + i];
    const up = s[pos + i + 1] - s[pos + i];
    const down = s[pos + i - 1] - s[pos + i];
    if ((d >= 1 && up > 1) || (d <= -1 && down < -1)) {
      const ds = d > 0 ? 1 : -1;
      const qi = s[q + i];
      const np = s[pos + i + 1];
      const nm = s[pos + i - 1];
      const ni = s[pos + i];
      const par =
        qi + (ds / (np - nm)) * (((ni - nm + ds) * (s[q + i + 1] - qi)) / (np - ni) + ((np - ni - ds) * (qi - s[q + i - 1])) / (ni - nm));
      if (s[q + i - 1] < par && par < s[q + i + 1]) s[q + i] = par;
      else s[q + i] = qi + (ds * (s[q + i + ds] - qi)) / (s[pos + i + ds] - ni);
      s[pos + i] = ni + ds;
    }
  }
}

/** Current estimate; exact (linear interpolation of the sorted values) while n <= 5. */
export function p2Estimate(s: Float64Array, o: number, p: number, n: number): number {
  if (n > 5) return s[o + 2];
  if (n <= 0) return NaN;
  const h = p * (n - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return s[o + lo] + (h - lo) * (s[o + hi] - s[o + lo]);
}

export const P2_SIZE = 10;
