import { describe, expect, it } from 'vitest';
import { StreamPrep, type PrepOptions } from './stream-prep.js';

const MIN = 60_000;
const base: PrepOptions = { stepMs: MIN, holdMs: 0, aggregate: 'last', impute: 'linear', maxGapSteps: 3, ewmAlpha: 0, minStd: 1e-9 };

function collect(o: Partial<PrepOptions> = {}) {
  const steps: { t: number; v: number; imputed: boolean; reset: boolean; mean: number; std: number }[] = [];
  const prep = new StreamPrep({ ...base, ...o }, (_s, t, v, _p, imputed, reset, mean, std) => steps.push({ t, v, imputed, reset, mean, std }));
  prep.ensure(0);
  return { prep, steps };
}

describe('StreamPrep', () => {
  it('emits a step once a later step starts, filling a short gap linearly', () => {
    const { prep, steps } = collect();
    prep.push(0, 0, 1);
    prep.push(0, 10_000, 2); // same step: last wins
    expect(steps).toEqual([]);
    prep.push(0, 3 * MIN + 5, 8); // closes step 0; the gap of 2 steps is filled when step 3 closes
    prep.flush(0);
    expect(steps.map((s) => [s.t, s.v, s.imputed, s.reset])).toEqual([
      [0, 2, false, true],
      [MIN, 4, true, false],
      [2 * MIN, 6, true, false],
      [3 * MIN, 8, false, false],
    ]);
  });

  it('restarts the stream after a gap longer than maxGapSteps', () => {
    const { prep, steps } = collect({ impute: 'locf' });
    prep.push(0, 0, 1);
    prep.push(0, 2 * MIN, 3);
    prep.push(0, 7 * MIN, 5);
    prep.flush(0);
    expect(steps.map((s) => [s.t, s.v, s.imputed, s.reset])).toEqual([
      [0, 1, false, true],
      [MIN, 1, true, false],
      [2 * MIN, 3, false, false],
      [7 * MIN, 5, false, true],
    ]);
  });

  it('keeps steps open for the hold time and dead-letters what comes after', () => {
    const { prep, steps } = collect({ holdMs: MIN, aggregate: 'mean' });
    expect(prep.push(0, 0, 2)).toBe(true);
    expect(prep.push(0, MIN, 10)).toBe(true);
    expect(prep.push(0, 30_000, 4)).toBe(true); // late but within the hold: joins step 0
    expect(steps).toEqual([]);
    expect(prep.push(0, 2 * MIN, 20)).toBe(true); // watermark reaches the end of step 0
    expect(steps.map((s) => [s.t, s.v])).toEqual([[0, 3]]);
    expect(prep.push(0, 59_000, 100)).toBe(false); // step 0 is gone: late
  });

  it('normalises with the exact running mean and variance, then the EWM weight', () => {
    const { prep, steps } = collect({ ewmAlpha: 0.5 });
    [4, 8, 6, 10].forEach((v, i) => prep.push(0, i * MIN, v));
    prep.flush(0);
    // n=1: mean 4, var 0. n=2 (weight 1/2): mean 6, var 4. n=3 (max(0.5, 1/3)=0.5): d=0 -> mean 6, var 2.
    // n=4: d=4, inc=2 -> mean 8, var 0.5·(2 + 8) = 5.
    expect(steps.map((s) => s.mean)).toEqual([4, 6, 6, 8]);
    const variances = [1e-18, 4, 2, 5];
    steps.forEach((s, i) => expect(s.std * s.std).toBeCloseTo(variances[i], 12));
  });

  it('round-trips its state exactly through a snapshot', () => {
    const a = collect({ holdMs: 2 * MIN, aggregate: 'mean', ewmAlpha: 0.1 });
    const b = collect({ holdMs: 2 * MIN, aggregate: 'mean', ewmAlpha: 0.1 });
    const values = Array.from({ length: 40 }, (_, i) => [i * 20_000 + (i % 3) * 7_000, Math.sin(i) * 10 + i] as const);
    values.slice(0, 17).forEach(([t, v]) => { a.prep.push(0, t, v); b.prep.push(0, t, v); });
    const snap = JSON.parse(JSON.stringify(a.prep.snapshot(0)));
    const c = collect({ holdMs: 2 * MIN, aggregate: 'mean', ewmAlpha: 0.1 });
    c.prep.restore(0, snap);
    values.slice(17).forEach(([t, v]) => { b.prep.push(0, t, v); c.prep.push(0, t, v); });
    b.prep.flush(0);
    c.prep.flush(0);
    expect(c.steps).toEqual(b.steps.slice(b.steps.length - c.steps.length));
    expect(c.steps.length).toBeGreaterThan(5);
  });
});
