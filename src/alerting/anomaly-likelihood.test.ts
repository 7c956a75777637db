import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { AlertEngine } from './alert-engine.js';
import { AnomalyLikelihood, assetScore } from './anomaly-likelihood.js';
import { surpriseFromZ } from './normal-tail.js';

/** Student-t with `nu` degrees of freedom, scaled to unit variance (nu > 2). */
function studentT(seed: number, nu: number): () => number {
  const g = gaussian(mulberry32(seed));
  return () => {
    let chi2 = 0;
    for (let i = 0; i < nu; i++) chi2 += g() ** 2;
    return (g() / Math.sqrt(chi2 / nu)) * Math.sqrt((nu - 2) / nu);
  };
}

function run(z: (i: number) => number, steps: number): Float64Array {
  const l = new AnomalyLikelihood();
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) out[i] = l.update(0, surpriseFromZ(z(i)));
  return out;
}

const share = (xs: Float64Array, from: number, to: number, above: number) => {
  let n = 0;
  for (let i = from; i < to; i++) if (xs[i] > above) n++;
  return n / (to - from);
};

describe('AnomalyLikelihood', () => {
  it('stays low on a stationary heavy-tailed (Student-t, 3 dof) series', () => {
    const t = studentT(7, 3);
    const l = run(() => t(), 20_000);
    expect(Number.isNaN(l[0])).toBe(true);
    // Single t outliers reach surprise > 10 here; the likelihood of the recent mean must not follow.
    let maxSurprise = 0;
    const t2 = studentT(7, 3);
    for (let i = 0; i < 20_000; i++) maxSurprise = Math.max(maxSurprise, surpriseFromZ(t2()));
    expect(maxSurprise).toBeGreaterThan(8);
    expect(share(l, 100, 20_000, 3)).toBeLessThan(0.003);
    expect(share(l, 100, 20_000, 4.5)).toBe(0);
  });

  it('rises on a sustained shift and on a variance change, within a few steps', () => {
    const g = gaussian(mulberry32(3));
    const shift = run((i) => g() + (i >= 3000 && i < 3100 ? 2.5 : 0), 3200);
    expect(share(shift, 100, 3000, 3)).toBeLessThan(0.01);
    expect(Math.max(...shift.subarray(3000, 3010))).toBeGreaterThan(4);
    expect(share(shift, 3010, 3100, 4)).toBeGreaterThan(0.8);
    const h = gaussian(mulberry32(4));
    const variance = run((i) => h() * (i >= 3000 ? 3 : 1), 3200);
    expect(share(variance, 3010, 3200, 3)).toBeGreaterThan(0.8);
  });

  it('follows a slow drift of the residual spread without alarming', () => {
    const g = gaussian(mulberry32(5));
    // The spread doubles over 20000 steps: a model slowly going stale.
    const l = run((i) => g() * (1 + i / 20_000), 20_000);
    expect(share(l, 100, 20_000, 3)).toBeLessThan(0.01);
  });

  it('keeps streams apart and ignores non-finite input', () => {
    const l = new AnomalyLikelihood();
    const g = gaussian(mulberry32(9));
    for (let i = 0; i < 200; i++) {
      l.update(0, surpriseFromZ(g()));
      l.update(1, surpriseFromZ(3 + g()));
    }
    expect(Number.isNaN(l.update(0, NaN))).toBe(true);
    expect(l.update(0, surpriseFromZ(0.5))).toBeLessThan(1);
    expect(l.update(1, surpriseFromZ(3))).toBeLessThan(1);
  });

  it('is exposed on the alert engine score and can drive a rule', () => {
    const e = new AlertEngine('p', { rules: [{ name: 'regime', detector: 'likelihood', warning: 4, for: 3 }], scorer: { horizons: 1 } });
    const g = gaussian(mulberry32(11));
    const MIN = 60_000;
    const fired: number[] = [];
    let last = NaN;
    for (let i = 0; i < 1200; i++) {
      const v = g() + (i >= 1000 && i < 1100 ? 3 : 0);
      const m = new Float64Array([0]);
      // A model variance of 1: the scale does not adapt to the shift, as a fitted model's would not at once.
      const f = {
        t: i * MIN,
        stepMs: MIN,
        modelVersion: 'm',
        mean: m,
        lower: new Float64Array([-1.96]),
        upper: new Float64Array([1.96]),
        logVar: new Float64Array([0]),
      };
      for (const ev of e.step('s', i * MIN, MIN, v, false, f)) if (ev.state === 'firing') fired.push(i);
      last = e.lastScore.likelihood;
    }
    expect(Number.isFinite(last)).toBe(true);
    expect(fired.length).toBeGreaterThan(0);
    expect(fired.every((i) => i >= 1000 && i < 1110)).toBe(true);
    expect(fired[0]).toBeLessThan(1010);
  });

  it('assetScore takes the largest scored sensor', () => {
    expect(assetScore([NaN, 1, 3, 2])).toBe(3);
    expect(Number.isNaN(assetScore([NaN, NaN]))).toBe(true);
  });
});
