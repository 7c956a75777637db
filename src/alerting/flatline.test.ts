import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../benchmarks/alerts-random.js';
import { Flatline } from './flatline.js';

describe('Flatline', () => {
  it('counts runs of identical values per stream', () => {
    const f = new Flatline();
    expect([1, 1, 1, 2, 2].map((v) => f.update(0, v))).toEqual([1, 2, 3, 1, 2]);
    expect(f.update(1, 2)).toBe(1);
  });

  it('scores a run by the stream’s own repeat rate', () => {
    const rand = mulberry32(5);
    const coarse = new Flatline(); // integer readings that often repeat
    const fine = new Flatline(); // prices that almost never do
    let qCoarse = 0;
    for (let i = 0; i < 2000; i++) {
      const c = Math.round(10 + 2 * Math.sin(i / 30) + (rand() - 0.5));
      const before = i > 0 ? 1 : 0;
      if (coarse.update(0, c) > 1 && before) qCoarse++;
      fine.update(0, 100 + i * 0.01 + rand());
    }
    // Then both freeze for six steps.
    let sCoarse = 0;
    let sFine = 0;
    for (let k = 0; k < 6; k++) {
      coarse.update(0, 99);
      fine.update(0, 99);
      sCoarse = coarse.surprise(0);
      sFine = fine.surprise(0);
    }
    expect(qCoarse).toBeGreaterThan(500); // the coarse stream repeats a lot by itself
    expect(sFine).toBeGreaterThan(8);
    expect(sCoarse).toBeLessThan(3);
    expect(sFine).toBeGreaterThan(4 * sCoarse);
  });

  it('scores a fresh value as 0', () => {
    const f = new Flatline();
    f.update(3, 1);
    expect(f.surprise(3)).toBe(0);
  });
});
