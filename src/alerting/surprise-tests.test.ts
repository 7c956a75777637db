import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import { bonferroniSurprise, chiSquareSurprise, fisherSurprise } from './surprise-tests.js';

describe('surprise tests', () => {
  it('χ² tail: table values, the 2-dof closed form, and no underflow far out', () => {
    // 26.217 is the 99% point of χ²_12 (tables); P(χ²_2 >= q) = e^{-q/2}.
    expect(chiSquareSurprise(26.217, 12)).toBeCloseTo(2.0000046, 6);
    expect(chiSquareSurprise(10, 2)).toBeCloseTo(5 / Math.LN10, 12);
    // Python: (y - ln Σ_{k<6} y^k/k!) / ln 10 at y = 5000 (p ≈ 1e-2155, far below double range).
    expect(chiSquareSurprise(10_000, 12)).toBeCloseTo(2155.0563063158506, 8);
    expect(chiSquareSurprise(3, 8)).toBeCloseTo(0.029486902809976095, 12);
    expect(chiSquareSurprise(0, 12)).toBe(0);
  });

  it('Fisher: one member is the member itself; the χ²_2n form for more', () => {
    expect(fisherSurprise(3.7, 1)).toBeCloseTo(3.7, 12);
    // Four members summing to 7.5: y = 7.5 ln 10, Python reference as above.
    expect(fisherSurprise(7.5, 4)).toBeCloseTo(4.488951994952292, 12);
    expect(fisherSurprise(0, 3)).toBe(0);
  });

  it('χ²_12 on sums of 12 squared normals: the share at surprise >= 2 is 1%', () => {
    const g = gaussian(mulberry32(5));
    let above = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let k = 0; k < 12; k++) q += g() ** 2;
      if (chiSquareSurprise(q, 12) >= 2) above++;
    }
    expect(above / n).toBeGreaterThan(0.009);
    expect(above / n).toBeLessThan(0.011);
  });

  it('Bonferroni: max - log10(k), floored at 0', () => {
    expect(bonferroniSurprise(5, 10)).toBeCloseTo(4, 12);
    expect(bonferroniSurprise(0.5, 5)).toBe(0);
  });
});
