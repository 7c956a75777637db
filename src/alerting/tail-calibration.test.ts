import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { scoreFromZ } from './normal-tail.js';
import { TailCalibration, Z99 } from './tail-calibration.js';

/** Share of steps scoring above 0.99 after calibration, for z drawn from `draw`. */
function share(draw: () => number, n: number): { share: number; factor: number; raw: number } {
  const cal = new TailCalibration({ rate: 0.05, maxFactor: 4, warmup: 50 });
  let above = 0;
  let raw = 0;
  for (let i = 0; i < n; i++) {
    const z = draw();
    if (i >= n / 5) {
      if (scoreFromZ(z / cal.factor(0)) > 0.99) above++;
      if (scoreFromZ(z) > 0.99) raw++;
    }
    cal.update(0, z);
  }
  const m = (4 * n) / 5;
  return { share: above / m, factor: cal.factor(0), raw: raw / m };
}

describe('TailCalibration', () => {
  it('leaves a calibrated normal alone', () => {
    const r = share(gaussian(mulberry32(11)), 100_000);
    expect(r.share).toBeGreaterThan(0.0085);
    expect(r.share).toBeLessThan(0.0115);
    expect(Math.abs(r.factor - 1)).toBeLessThan(0.15);
  });

  it('brings heavy tails (Student t, 3 dof, unit variance) back to ~1% above 0.99', () => {
    const g = gaussian(mulberry32(12));
    const t3 = () => {
      const chi2 = g() ** 2 + g() ** 2 + g() ** 2;
      return g() / Math.sqrt(chi2 / 3) / Math.sqrt(3); // var of t3 is 3
    };
    const r = share(t3, 100_000);
    expect(r.raw).toBeGreaterThan(0.018); // P(|t3| > 2.58·√3) ≈ 2.1%: twice the nominal 1%
    const scaled = share(() => 2 * t3(), 100_000); // and a model that also underestimates the scale by 2
    expect(scaled.raw).toBeGreaterThan(0.03);
    expect(scaled.share).toBeGreaterThan(0.0085);
    expect(scaled.share).toBeLessThan(0.013); // the tracker's step leaves a small bias in heavy tails
    expect(r.share).toBeGreaterThan(0.0085);
    expect(r.share).toBeLessThan(0.013);
  });

  it('is not moved by gross outliers after its warm-up', () => {
    const cal = new TailCalibration({ rate: 0.05, maxFactor: 4, warmup: 50 });
    const g = gaussian(mulberry32(13));
    for (let i = 0; i < 50; i++) cal.update(0, g());
    const before = cal.factor(0);
    for (let i = 0; i < 100; i++) cal.update(0, 50);
    expect(cal.factor(0)).toBe(before);
    expect(Z99).toBeCloseTo(2.5758293035489, 12);
  });

  it('corrects a mis-scaled model variance within its warm-up', () => {
    const cal = new TailCalibration({ rate: 0.05, maxFactor: 4, warmup: 50 });
    const g = gaussian(mulberry32(14));
    expect(cal.factor(0)).toBe(1);
    for (let i = 0; i < 50; i++) cal.update(0, 3 * g()); // the model's sigma is 3 times too small
    expect(cal.factor(0)).toBeGreaterThan(2.4);
    expect(cal.factor(0)).toBeLessThan(3.6);
  });
});
