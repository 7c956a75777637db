import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { DynamicThreshold, type DynamicThresholdOptions } from './dynamic-threshold.js';

const OPTS: DynamicThresholdOptions = {
  smoothingSpan: 5,
  windowSteps: 50,
  refitEvery: 7,
  zMin: 2,
  zMax: 10,
  zStep: 0.5,
  prune: 0.13,
  floorScales: 2,
};

/** Straight from the paper with plain arrays: the reference the ring-buffer version must equal. */
function referenceEpsilon(es: number[], pruning = true): number {
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const std = (a: number[]) => Math.sqrt(Math.max(0, mean(a.map((v) => v * v)) - mean(a) ** 2));
  const mu = mean(es);
  const sd = std(es);
  let best = mu + OPTS.zMax * sd;
  let bestScore = -Infinity;
  for (let z = OPTS.zMin; z <= OPTS.zMax + 1e-9; z += OPTS.zStep) {
    const eps = mu + z * sd;
    const below = es.filter((v) => v <= eps);
    const above = es.filter((v) => v > eps);
    if (above.length === 0 || below.length === 0) continue;
    const seqs = es.filter((v, i) => v > eps && (i === 0 || es[i - 1] <= eps)).length;
    const score = ((mu - mean(below)) / mu + (sd - std(below)) / sd) / (above.length + seqs * seqs);
    if (score > bestScore) {
      bestScore = score;
      best = eps;
    }
  }
  // Pruning as in the paper: sequence maxima plus the largest nominal error, descending; sequences
  // after the last relative drop of at least `prune` are nominal, and the threshold rises over them.
  if (!pruning) return best;
  const maxima: number[] = [];
  es.forEach((v, i) => {
    if (v <= best) return;
    if (i > 0 && es[i - 1] > best) maxima[maxima.length - 1] = Math.max(maxima[maxima.length - 1], v);
    else maxima.push(v);
  });
  if (maxima.length === 0) return best;
  const sorted = [...maxima, Math.max(0, ...es.filter((v) => v <= best))].sort((a, b) => b - a);
  let keep = 0;
  sorted.slice(0, -1).forEach((m, i) => {
    if ((m - sorted[i + 1]) / m >= OPTS.prune) keep = i + 1;
  });
  return keep === maxima.length ? best : Math.max(best, sorted[keep]);
}

function epsBeforePruning(es: number[]): number {
  return referenceEpsilon(es, false);
}

describe('DynamicThreshold', () => {
  it('equals the paper-form reference on every refit', () => {
    const dt = new DynamicThreshold(OPTS);
    const noise = gaussian(mulberry32(7));
    const smoothed: number[] = [];
    let s = 0;
    let checked = 0;
    let pruned = 0;
    for (let i = 0; i < 400; i++) {
      const e = Math.abs(noise()) + (i % 97 === 60 ? 8 : 0) + (i >= 200 && i < 210 ? 3 : 0);
      s = i === 0 ? e : s + (2 / (OPTS.smoothingSpan + 1)) * (e - s);
      smoothed.push(s);
      const level = dt.update(0, e);
      if (i + 1 < OPTS.windowSteps) {
        expect(Number.isNaN(level)).toBe(true);
        continue;
      }
      if ((i + 1 - OPTS.windowSteps) % OPTS.refitEvery === 0) {
        const ref = referenceEpsilon(smoothed.slice(-OPTS.windowSteps));
        expect(dt.threshold(0)).toBeCloseTo(ref, 9);
        if (ref > epsBeforePruning(smoothed.slice(-OPTS.windowSteps))) pruned++;
        expect(level).toBeCloseTo(s / ref, 9);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(pruned).toBeGreaterThan(0); // the pruning branch was exercised
  });

  it('puts a burst of errors above the threshold and calm noise below it', () => {
    const dt = new DynamicThreshold({ ...OPTS, refitEvery: 1 });
    const noise = gaussian(mulberry32(3));
    let calmAbove = 0;
    let burstAbove = 0;
    for (let i = 0; i < 300; i++) {
      const burst = i >= 250 && i < 256;
      const level = dt.update(2, Math.abs(noise()) + (burst ? 10 : 0));
      if (i >= OPTS.windowSteps && i < 250 && level >= 1) calmAbove++;
      if (burst && level >= 1) burstAbove++;
    }
    expect(burstAbove).toBeGreaterThanOrEqual(5);
    expect(calmAbove).toBeLessThan(12); // of 200 calm steps
  });

  it('never goes below floorScales residual scales', () => {
    const dt = new DynamicThreshold(OPTS);
    let level = NaN;
    for (let i = 0; i < 60; i++) level = dt.update(0, i === 59 ? 1.5 : 0.1 * (i % 2), 1);
    // The last error stands far out of the window, but the floor is 2 scales (= 2).
    const s = dt.threshold(0);
    expect(s).toBeLessThan(2);
    expect(level).toBeLessThan(1);
    expect(level).toBeGreaterThan(0);
  });

  it('keeps streams apart', () => {
    const dt = new DynamicThreshold(OPTS);
    for (let i = 0; i < 60; i++) {
      dt.update(0, 1 + (i % 3));
      dt.update(1, 100 + 50 * (i % 3));
    }
    expect(dt.threshold(1)).toBeGreaterThan((50 * dt.threshold(0)) / 2);
    expect(dt.threshold(0)).toBeLessThan(10);
  });
});
