import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { BaselineDeviation } from './baseline-deviation.js';
import { wilsonHilfertySurprise, MultivariateDeviation } from './multivariate-deviation.js';

/** Four sensors, the first two correlated 0.9 (a flow and a pressure), plus `shift(i)` added per sensor. */
function sensors(seed: number, steps: number, shift: (i: number, j: number) => number): Float64Array[] {
  const g = gaussian(mulberry32(seed));
  const rows: Float64Array[] = [];
  for (let i = 0; i < steps; i++) {
    const common = g();
    const row = Float64Array.of(common, 0.9 * common + Math.sqrt(1 - 0.81) * g(), g(), g());
    for (let j = 0; j < 4; j++) row[j] = 10 * (j + 1) + row[j] + shift(i, j);
    rows.push(row);
  }
  return rows;
}

function run(rows: Float64Array[]): Float64Array {
  const m = new MultivariateDeviation(rows[0].length);
  return Float64Array.from(rows, (r) => m.update(r));
}

const share = (xs: Float64Array, from: number, to: number, above: number) => {
  let n = 0;
  for (let i = from; i < to; i++) if (xs[i] > above) n++;
  return n / (to - from);
};

describe('MultivariateDeviation', () => {
  it('is about calibrated on correlated sensors without a fault (share above s near 10^-s)', () => {
    const out = run(sensors(1, 60_000, () => 0));
    expect(Number.isNaN(out[10])).toBe(true);
    const p2 = share(out, 2000, 60_000, 2);
    const p3 = share(out, 2000, 60_000, 3);
    expect(p2).toBeGreaterThan(0.003);
    expect(p2).toBeLessThan(0.03);
    expect(p3).toBeLessThan(0.004);
  });

  it('flags a small joint shift against the sensors’ correlation that no single sensor shows', () => {
    // Flow down and pressure up by 1 sd each: normal for neither alone, abnormal together.
    const shift = (i: number, j: number) => (i >= 3000 && i < 3300 ? (j === 0 ? -1 : j === 1 ? 1 : 0) : 0);
    const rows = sensors(2, 3600, shift);
    const joint = run(rows);
    const single = Array.from(rows[0], (_, j) => {
      const b = new BaselineDeviation();
      return Float64Array.from(rows, (r) => b.update(0, r[j]));
    });
    const perSensorMax = Float64Array.from(rows, (_, i) => Math.max(...single.map((s) => s[i])));
    expect(share(joint, 500, 3000, 3)).toBeLessThan(0.01);
    // Raised through most of the fault (after the smoothing's ~10 steps), not only at its onset;
    // the largest single-sensor baseline deviation mostly stays below the same level.
    expect(share(joint, 3020, 3300, 3)).toBeGreaterThan(0.75);
    expect(share(perSensorMax, 3020, 3300, 3)).toBeLessThan(0.2);
    // Back to normal once it ends.
    expect(share(joint, 3350, 3600, 3)).toBeLessThan(0.05);
  });

  it('flags a lasting step on one sensor while another drifts, then takes it as the new normal', () => {
    // Sensor 3 drifts one sd per 1000 steps throughout; sensor 2 steps 2 sd up at 2000 and stays.
    const rows = sensors(3, 3200, (i, j) => (j === 3 ? i / 1000 : j === 2 && i >= 2000 ? 2 : 0));
    const out = run(rows);
    expect(share(out, 500, 2000, 3)).toBeLessThan(0.02);
    expect(share(out, 2005, 2100, 3)).toBeGreaterThan(0.9);
    // The covariance keeps learning while the joint surprise is below freezeSurprise, so the step
    // widens sensor 2's learnt spread and is accepted within a few hundred steps.
    expect(share(out, 2800, 3200, 3)).toBeLessThan(0.05);
  });

  it('takes non-finite values without crashing: a missing sensor keeps its last deviation, all missing is NaN', () => {
    const m = new MultivariateDeviation(3);
    for (let i = 0; i < 100; i++) m.update([i % 3, (i * 7) % 5, (i * 3) % 4]);
    expect(Number.isNaN(m.update([NaN, NaN, NaN]))).toBe(true);
    const s = m.update([Number.POSITIVE_INFINITY, 2, NaN]);
    expect(Number.isFinite(s)).toBe(true);
    expect(() => new MultivariateDeviation(0)).toThrow();
  });

  it('wilsonHilfertySurprise follows the exact χ² tail (even degrees of freedom: a closed form)', () => {
    // P(χ²_k >= t) = exp(-t/2) Σ_{i<k/2} (t/2)^i / i! for even k.
    const exact = (t: number, k: number) => {
      let term = 1,
        sum = 1;
      for (let i = 1; i < k / 2; i++) sum += term *= t / 2 / i;
      return -(Math.log10(sum) - t / 2 / Math.LN10);
    };
    for (const k of [2, 4, 8, 16])
      for (const t of [k, 2 * k, 3 * k + 10, 5 * k + 20]) {
        const e = exact(t, k);
        expect(Math.abs(wilsonHilfertySurprise(t, k) - e)).toBeLessThan(0.1 * e + 0.05);
      }
    // Unbounded and ordered far out.
    expect(wilsonHilfertySurprise(4000, 8)).toBeGreaterThan(wilsonHilfertySurprise(2000, 8));
    expect(Number.isFinite(wilsonHilfertySurprise(1e6, 8))).toBe(true);
    expect(wilsonHilfertySurprise(0, 8)).toBe(0);
  });
});
