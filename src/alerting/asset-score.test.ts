import { describe, expect, it } from 'vitest';
import { AssetScore } from './asset-score.js';

describe('AssetScore', () => {
  it('takes the largest sensor, holds it with a geometric decay, and lets persistent scores through unheld', () => {
    const a = new AssetScore({ hold: 0.5 });
    expect(Number.isNaN(a.update([NaN, NaN]))).toBe(true);
    expect(a.update([1, 8, NaN])).toBe(8);
    expect(a.update([1, 0.5])).toBe(4);
    expect(a.update([3, NaN])).toBe(3);
    expect(a.update([NaN, NaN], [5, 2])).toBe(5);
    // The persistent score is not held: once it falls, the held step score shows again.
    expect(a.update([0, 0], [0, 0])).toBeCloseTo(0.75, 12);
  });

  it('lets a joint (whole-asset) score through unheld, alone or beside the per-sensor ones', () => {
    const a = new AssetScore({ hold: 0.5 });
    expect(Number.isNaN(a.update([NaN], undefined, NaN))).toBe(true);
    expect(a.update([NaN], undefined, 6)).toBe(6);
    expect(a.update([2], [1], 0.5)).toBe(2);
    expect(a.update([0], [3], 7)).toBe(7);
    expect(a.update([0], [3], NaN)).toBe(3);
    expect(a.update([0], [NaN], 0)).toBeCloseTo(0.25, 12);
  });
});
