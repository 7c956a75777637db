import { describe, expect, it } from 'vitest';
import { Prng } from '../training/prng.js';
import { linearFill } from './baselines.js';
import { BlendFit, blendCandidates, BUCKETS, bucketOf, CANDIDATES } from './fill-blend.js';
import { GapRepairer } from './gap-repairer.js';

// The learned blend of gap fills: the weights are the least-squares solution (shrunk toward the
// network's fill), the candidates come from the window's own features, and on a noisy series (where
// an edge value's noise is carried into a linear fill) the repair with the blend beats linear.

describe('fill blend', () => {
  it('recovers the weights of a known combination of candidates, per band and position', () => {
    const rng = new Prng(1);
    const fit = new BlendFit(2);
    const c = new Float64Array(CANDIDATES);
    for (let i = 0; i < 4000; i++) {
      for (let k = 0; k < CANDIDATES; k++) c[k] = rng.normal();
      const band = i % 2,
        bucket = Math.floor(i / 2) % BUCKETS;
      const y = band === 0 ? 0.3 * c[0] + 0.7 * c[3] : c[1] - 0.5 * c[5];
      fit.add(band, bucket, c, 0, y);
    }
    const w = fit.solve(1e-6);
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const w0 = Array.from(w.subarray(bucket * CANDIDATES, (bucket + 1) * CANDIDATES));
      const w1 = Array.from(w.subarray((BUCKETS + bucket) * CANDIDATES, (BUCKETS + bucket + 1) * CANDIDATES));
      for (const [k, v] of [0.3, 0, 0, 0.7, 0, 0].entries()) expect(w0[k]).toBeCloseTo(v, 4);
      for (const [k, v] of [0, 1, 0, 0, 0, -0.5].entries()) expect(w1[k]).toBeCloseTo(v, 4);
    }
    // A cell without data keeps the network's fill alone.
    expect(Array.from(new BlendFit(1).solve().subarray(0, CANDIDATES))).toEqual([0, 1, 0, 0, 0, 0]);
  });

  it('builds the candidates from the window: edges, local levels, level, seasonal neighbours', () => {
    // One column, T = 10, gap [4, 6); no season; observed values 1, 2, 3, 4 | gap | 10, 10, 10, 10.
    const F = 7,
      T = 10;
    const x = new Float32Array(T * F);
    const z = [1, 2, 3, 4, Number.NaN, Number.NaN, 10, 10, 10, 10];
    z.forEach((v, t) => {
      const obs = Number.isFinite(v);
      x[t * F] = obs ? v : 0;
      x[t * F + 1] = obs ? 1 : 0;
      x[t * F + 2] = 5; // baseline
      x[t * F + 5] = 6;
      x[t * F + 6] = 8;
    });
    const net = new Float32Array(T).fill(0.5);
    const out = new Float64Array(2 * CANDIDATES);
    blendCandidates(x, F, T, 1, 0, 4, 6, net, out);
    // t = 4: p = 1/3.
    expect(Array.from(out.subarray(0, CANDIDATES)).map((v) => +v.toFixed(4))).toEqual(
      [5, 5.5, 6, 2.5 + (10 - 2.5) / 3, 50 / 8, 7].map((v) => +v.toFixed(4)),
    );
    expect([bucketOf(4, 4, 6), bucketOf(5, 4, 6)]).toEqual([1, 3]);
  });

  it('on a noisy series the repair (with its blend) beats linear interpolation at 24 steps', () => {
    const rng = new Prng(9);
    let level = 0;
    const truth = Float64Array.from({ length: 3000 }, () => {
      level = 0.95 * level + 0.2 * rng.normal();
      return 60 + level + rng.normal();
    });
    const masked = truth.slice();
    const gaps: number[] = [];
    for (let a = 200; a + 24 < 2900; a += 300) {
      masked.fill(Number.NaN, a, a + 24);
      gaps.push(a);
    }
    const r = new GapRepairer({ units: 6, contextSteps: 24, maxGapSteps: 30, period: 0, trainBatches: 20, batch: 8, seed: 2 });
    const report = r.fit([{ values: masked, phase0: 0 }]);
    expect(report.useBlendFor).toContain('17-32: true');
    expect(report.blendMse).toBeLessThan(report.unblendedMse);
    const out = r.repair({ values: masked, phase0: 0 }).values;
    const lin = new Float64Array(masked.length);
    linearFill(masked, lin);
    let eRepair = 0,
      eLinear = 0;
    for (const a of gaps)
      for (let t = a; t < a + 24; t++) {
        eRepair += (out[t] - truth[t]) ** 2;
        eLinear += (lin[t] - truth[t]) ** 2;
      }
    expect(eRepair).toBeLessThan(0.8 * eLinear);
  });
});
