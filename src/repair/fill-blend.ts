// The last stage of a gap fill: a learned blend of several fills of the same gap, weighted per band of
// gap lengths and per position in the gap (near the left edge, the middle, near the right edge).
// The candidates, all in z units and all computed from the window alone:
//   0 the baseline (seasonal-linear, or linear where the season does not help)
//   1 the baseline plus the bidirectional network's correction
//   2 linear interpolation between the two edge values
//   3 linear interpolation between the edges' local levels: the means of up to EDGE observed
//     deseasonalised values on each side (an edge value's own noise is not carried into the gap)
//   4 the window's level (mean of its observed deseasonalised values) plus the season
//   5 the same phase one season earlier and later (averaged; the baseline where not observed)
// Weights are fitted by ridge least squares on hidden stretches of the series itself (shrunk toward
// candidate 1), so a noisy series leans on the local levels, a smooth one on the edges, a seasonal
// one on the season; no per-data-set setting. Where the blend does not beat candidate 1 on other
// hidden stretches, candidate 1 alone is used.

import { solveSymmetric } from '../models/solve-symmetric.js';

export const CANDIDATES = 6;
/** Positions in the gap: (t − a + 1) / (g + 1) in quarters. */
export const BUCKETS = 4;
const EDGE = 8;

/** Feature columns of the repairer's input rows (gap-repairer.ts `features`). */
const OBS = 0,
  FLAG = 1,
  BASE = 2,
  SEASON = 3,
  EARLY = 5,
  LATE = 6;

/**
 * Writes the candidates of every step of the gap [a, b) of window column bCol into out
 * ((b − a) × CANDIDATES). x: T×B×F features; net: the network's corrections (T×B) or null.
 */
export function blendCandidates(
  x: Float32Array,
  F: number,
  T: number,
  B: number,
  bCol: number,
  a: number,
  b: number,
  net: Float32Array | null,
  out: Float64Array,
): void {
  const at = (t: number, c: number) => x[(t * B + bCol) * F + c];
  const observed = (t: number) => t >= 0 && t < T && at(t, FLAG) === 1;
  // Edge values and local levels (deseasonalised), from the nearest observed steps on each side.
  let left = Number.NaN,
    right = Number.NaN,
    leftLevel = 0,
    rightLevel = 0,
    nl = 0,
    nr = 0,
    level = 0,
    n = 0;
  for (let t = a - 1; t >= 0 && nl < EDGE; t--) {
    if (!observed(t)) continue;
    if (nl === 0) left = at(t, OBS);
    leftLevel += at(t, OBS) - at(t, SEASON);
    nl++;
  }
  for (let t = b; t < T && nr < EDGE; t++) {
    if (!observed(t)) continue;
    if (nr === 0) right = at(t, OBS);
    rightLevel += at(t, OBS) - at(t, SEASON);
    nr++;
  }
  for (let t = 0; t < T; t++) {
    if (!observed(t)) continue;
    level += at(t, OBS) - at(t, SEASON);
    n++;
  }
  if (nl === 0) {
    left = right;
    leftLevel = rightLevel;
    nl = nr;
  }
  if (nr === 0) {
    right = left;
    rightLevel = leftLevel;
    nr = nl;
  }
  const ll = nl > 0 ? leftLevel / nl : 0,
    rl = nr > 0 ? rightLevel / nr : 0;
  const g = b - a;
  for (let t = a; t < b; t++) {
    const o = (t - a) * CANDIDATES;
    const p = (t - a + 1) / (g + 1);
    const base = at(t, BASE),
      season = at(t, SEASON);
    out[o] = base;
    out[o + 1] = base + (net === null ? 0 : net[t * B + bCol]);
    out[o + 2] = Number.isFinite(left) ? left + p * (right - left) : base;
    out[o + 3] = nl > 0 ? season + ll + p * (rl - ll) : base;
    out[o + 4] = n > 0 ? season + level / n : base;
    out[o + 5] = 0.5 * (at(t, EARLY) + at(t, LATE));
  }
}

export function bucketOf(t: number, a: number, b: number): number {
  const p = (t - a + 0.5) / (b - a);
  return Math.min(BUCKETS - 1, Math.floor(p * BUCKETS));
}

/** Normal equations per (band, bucket), then ridge weights shrunk toward candidate 1. */
export class BlendFit {
  private readonly A: Float64Array;
  private readonly r: Float64Array;
  private readonly counts: Float64Array;

  constructor(readonly bands: number) {
    this.A = new Float64Array(bands * BUCKETS * CANDIDATES * CANDIDATES);
    this.r = new Float64Array(bands * BUCKETS * CANDIDATES);
    this.counts = new Float64Array(bands * BUCKETS);
  }

  add(band: number, bucket: number, c: Float64Array, cOff: number, y: number): void {
    const cell = band * BUCKETS + bucket;
    const A = cell * CANDIDATES * CANDIDATES,
      r = cell * CANDIDATES;
    for (let i = 0; i < CANDIDATES; i++) {
      this.r[r + i] += c[cOff + i] * y;
      for (let j = 0; j < CANDIDATES; j++) this.A[A + i * CANDIDATES + j] += c[cOff + i] * c[cOff + j];
    }
    this.counts[cell]++;
  }

  /** bands × BUCKETS × CANDIDATES weights; a cell without data keeps candidate 1 alone. */
  solve(ridge = 0.01): Float64Array {
    const w = new Float64Array(this.bands * BUCKETS * CANDIDATES);
    const M = new Float64Array(CANDIDATES * CANDIDATES);
    const rhs = new Float64Array(CANDIDATES);
    const x = new Float64Array(CANDIDATES);
    for (let cell = 0; cell < this.bands * BUCKETS; cell++) {
      const n = this.counts[cell];
      const wo = cell * CANDIDATES;
      w[wo + 1] = 1;
      if (n < 4 * CANDIDATES) continue;
      let trace = 0;
      for (let i = 0; i < CANDIDATES; i++) trace += this.A[cell * CANDIDATES * CANDIDATES + i * (CANDIDATES + 1)];
      const lambda = (ridge * trace) / CANDIDATES + 1e-9;
      M.set(this.A.subarray(cell * CANDIDATES * CANDIDATES, (cell + 1) * CANDIDATES * CANDIDATES));
      for (let i = 0; i < CANDIDATES; i++) {
        M[i * CANDIDATES + i] += lambda;
        // Shrunk toward w = e_1: (A + λI) w = r + λ e_1.
        rhs[i] = this.r[wo + i] + (i === 1 ? lambda : 0);
      }
      if (solveSymmetric(M, rhs, x, CANDIDATES)) w.set(x, wo);
    }
    return w;
  }
}
