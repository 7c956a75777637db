import { describe, expect, it } from 'vitest';
import { applyZScore, fitZScore } from './z-score.js';

describe('fitZScore', () => {
  it('fits on the first rows only and maps them to mean 0, std 1; a constant column keeps std 1', () => {
    // 2 columns; rows 0-3 are the training rows, row 4 is far away and must not move the fit.
    const data = new Float64Array([1, 5, 2, 5, 3, 5, 4, 5, 1000, -1000]);
    const z = fitZScore(data, 2, 4);
    expect(Array.from(z.mean)).toEqual([2.5, 5]);
    expect(z.std[0]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(z.std[1]).toBe(1);
    applyZScore(data, 2, z);
    const first = [0, 2, 4, 6].map((i) => data[i]);
    expect(first.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 12);
    expect(first.reduce((s, v) => s + v * v, 0) / 4).toBeCloseTo(1, 12);
    expect(data[8]).toBeCloseTo((1000 - 2.5) / Math.sqrt(1.25), 9);
    expect(data[9]).toBe(-1005);
  });
});

describe('fitZScore with missing values', () => {
  it('skips non-finite values: the fit is that of the finite ones', () => {
    const data = new Float64Array([1, NaN, 3, 4, NaN, 8, 5, Infinity]);
    const z = fitZScore(data, 2, 4);
    expect(z.mean[0]).toBe(3);
    expect(z.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(z.mean[1]).toBe(6);
    expect(z.std[1]).toBe(2);
  });
});
