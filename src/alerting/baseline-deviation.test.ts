import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { BaselineDeviation } from './baseline-deviation.js';

function run(x: (i: number) => number, steps: number): Float64Array {
  const b = new BaselineDeviation();
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) out[i] = b.update(0, x(i));
  return out;
}
const share = (xs: Float64Array, from: number, to: number, above: number) => {
  let n = 0;
  for (let i = from; i < to; i++) if (xs[i] > above) n++;
  return n / (to - from);
};

describe('BaselineDeviation', () => {
  it('stays raised for the whole of a persistent shift, then falls back', () => {
    const g = gaussian(mulberry32(1));
    const out = run((i) => 10 + g() + (i >= 2000 && i < 2400 ? 3 : 0), 2800);
    expect(Number.isNaN(out[10])).toBe(true);
    expect(share(out, 100, 2000, 3)).toBeLessThan(0.01);
    // A one-step forecaster's residuals would be back to normal after a few steps; this is not.
    expect(share(out, 2010, 2400, 3)).toBeGreaterThan(0.95);
    expect(share(out, 2450, 2800, 3)).toBeLessThan(0.02);
  });

  it('follows a slow drift and keeps a wandering (autocorrelated) level calibrated', () => {
    const g = gaussian(mulberry32(2));
    const drift = run((i) => i / 500 + g(), 20_000); // one sd per 500 steps
    expect(share(drift, 100, 20_000, 3)).toBeLessThan(0.01);
    const h = gaussian(mulberry32(3));
    let ar = 0;
    const wander = run(() => (ar = 0.98 * ar + 0.2 * h()), 20_000);
    expect(share(wander, 100, 20_000, 3)).toBeLessThan(0.02);
  });

  it('hardly reacts to a lone spike, and ignores non-finite values', () => {
    const g = gaussian(mulberry32(4));
    const out = run((i) => g() + (i === 1000 ? 20 : 0), 1100);
    expect(Math.max(...out.subarray(1000, 1100))).toBeLessThan(6);
    const b = new BaselineDeviation();
    expect(Number.isNaN(b.update(0, NaN))).toBe(true);
  });
});
