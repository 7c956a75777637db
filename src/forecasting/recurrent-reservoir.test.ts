import { describe, expect, it } from 'vitest';
import { RecurrentReservoir } from './recurrent-reservoir.js';

describe('RecurrentReservoir', () => {
  const config = { kind: 'gru', inputSize: 3, units: 5, layers: 1, seed: 4 } as const;
  const row = (t: number) => [Math.sin(t / 3), Math.cos(t / 5), t % 7 === 0 ? 1 : -0.5];

  it('is deterministic per seed, depends on the inputs, and restores its state exactly', () => {
    const a = new RecurrentReservoir(config);
    const b = new RecurrentReservoir(config);
    const fa = new Float64Array(a.size);
    const fb = new Float64Array(b.size);
    for (let t = 0; t < 20; t++) {
      a.step(row(t), fa);
      b.step(row(t), fb);
    }
    expect(a.size).toBe(5);
    expect(Array.from(fb)).toEqual(Array.from(fa));
    expect(fa.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    const saved = a.snapshot();
    a.step([5, 5, 5], fa);
    const c = new RecurrentReservoir(config);
    const fc = new Float64Array(c.size);
    c.restore(saved);
    b.step(row(20), fb);
    c.step(row(20), fc);
    expect(Array.from(fc)).toEqual(Array.from(fb));
    expect(Array.from(fa)).not.toEqual(Array.from(fb));
  });

  it('keeps its state on a non-finite row and counts it', () => {
    const a = new RecurrentReservoir(config);
    const f = new Float64Array(a.size);
    a.step(row(1), f);
    const before = Array.from(f);
    a.step([Number.NaN, 0, 0], f);
    expect(a.rejected).toBe(1);
    expect(Array.from(f)).toEqual(before);
  });
});
