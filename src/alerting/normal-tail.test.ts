import { describe, expect, it } from 'vitest';
import { logTwoSidedTail, scoreFromZ, surpriseFromZ, twoSidedTail, upperTailSurprise } from './normal-tail.js';

// Reference values: mpmath 1.3 at 30 digits, erfc(z/sqrt(2)) and -log10 of it.
const REF: ReadonlyArray<[number, number, number]> = [
  [0.5, 0.61707507745197379, 0.20966199360125958],
  [1, 0.3173105078629141, 0.4985155458279893],
  [2, 0.045500263896358414, 1.3419860844769559],
  [2.8284, 0.0046781313909331949, 2.3299275846739545],
  [3, 0.0026997960632601891, 2.5686690402653879],
  [5, 5.7330314375838782e-7, 6.2416156767266733],
  [8, 1.2441921148543568e-15, 14.905112555353173],
  [10, 1.5239706048321052e-23, 22.817023409822095],
  [20, 5.5072482372124674e-89, 88.259065347411611],
  [40, 0, 349.13597646368186],
  [100, 0, 2173.5705128733704],
  [1000, 0, 217150.33901199872],
];

describe('normal tail', () => {
  it.each(REF)('matches mpmath at z=%d', (z, p, surprise) => {
    if (p > 0) expect(Math.abs(twoSidedTail(z) - p) / p).toBeLessThan(1e-12);
    expect(Math.abs(surpriseFromZ(z) - surprise) / surprise).toBeLessThan(1e-12);
    expect(surpriseFromZ(-z)).toBe(surpriseFromZ(z));
  });

  it('is exact at zero and in [0, 1]', () => {
    expect(twoSidedTail(0)).toBe(1);
    expect(scoreFromZ(0)).toBe(0);
    expect(surpriseFromZ(0)).toBe(0);
    for (let z = 0; z < 60; z += 0.37) {
      expect(scoreFromZ(z)).toBeGreaterThanOrEqual(0);
      expect(scoreFromZ(z)).toBeLessThanOrEqual(1);
    }
  });

  it('keeps the surprise strictly increasing far into the tail, where the score is 1', () => {
    let prev = -1;
    for (let z = 0; z < 2000; z += z < 10 ? 0.01 : 0.5) {
      const s = surpriseFromZ(z);
      expect(Number.isFinite(s)).toBe(true);
      expect(s).toBeGreaterThan(prev);
      prev = s;
    }
    expect(scoreFromZ(40)).toBe(1);
    expect(surpriseFromZ(40.5)).toBeGreaterThan(surpriseFromZ(40));
  });

  it('is continuous where the series hands over to the continued fraction', () => {
    const edge = 2 * Math.SQRT2;
    const below = logTwoSidedTail(edge - 1e-9);
    const above = logTwoSidedTail(edge + 1e-9);
    expect(Math.abs(below - above)).toBeLessThan(1e-7);
  });

  it('gives NaN for NaN', () => {
    expect(Number.isNaN(surpriseFromZ(NaN))).toBe(true);
  });

  it('never saturates: finite and strictly ordered for |z| in [0, 40], both signs', () => {
    let prev = -Infinity;
    for (let i = 0; i <= 40_000; i++) {
      const z = i / 1000;
      const s = surpriseFromZ(z);
      expect(Number.isFinite(s)).toBe(true);
      expect(surpriseFromZ(-z)).toBe(s);
      if (s <= prev) throw new Error(`surprise not increasing at z=${z}: ${s} <= ${prev}`);
      prev = s;
    }
    // Where 1 - p would have rounded to 1 (|z| > ~8.3), the surprise still separates neighbours.
    expect(scoreFromZ(9)).toBe(scoreFromZ(9.5));
    expect(surpriseFromZ(9.5) - surpriseFromZ(9)).toBeGreaterThan(1.5);
  });

  it('gives the one-sided upper tail: -log10 P(Z >= z)', () => {
    // Python math.erfc (double precision; z = 40 from the two-sided reference + log10 2).
    expect(upperTailSurprise(0)).toBeCloseTo(Math.log10(2), 14);
    expect(Math.abs(upperTailSurprise(3) - 2.8696990359293686) / 2.8696990359293686).toBeLessThan(1e-9);
    expect(Math.abs(upperTailSurprise(-2) - 0.00999437953410871) / 0.00999437953410871).toBeLessThan(1e-8);
    expect(Math.abs(upperTailSurprise(40) - 349.4370064593) / 349.4370064593).toBeLessThan(1e-11);
    let prev = -Infinity;
    for (let z = -10; z <= 40; z += 0.01) {
      const s = upperTailSurprise(z);
      expect(s).toBeGreaterThan(prev);
      prev = s;
    }
  });
});
