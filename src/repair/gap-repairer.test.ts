import { describe, expect, it } from 'vitest';
import { Prng } from '../training/prng.js';
import { forwardFill, linearFill, seasonalCopy, seasonalLinearFill, seasonalProfile } from './baselines.js';
import { GapRepairer } from './gap-repairer.js';

// The repair's promises: observed values are never changed, only gaps are filled and marked, each
// fill reads its window alone (data past it cannot change it), training is seeded, and on a
// seasonal series the repair beats linear interpolation.

function seasonal(n: number, seed: number): Float64Array {
  const rng = new Prng(seed);
  let level = 0;
  return Float64Array.from({ length: n }, (_, t) => {
    level += 0.05 * rng.normal();
    return 10 + level + 3 * Math.sin((2 * Math.PI * t) / 24) + 0.2 * rng.normal();
  });
}

function withGaps(x: Float64Array, gaps: readonly [number, number][]): Float64Array {
  const m = x.slice();
  for (const [a, len] of gaps) m.fill(NaN, a, a + len);
  return m;
}

const SETTINGS = { units: 8, contextSteps: 24, maxGapSteps: 30, period: 24, trainBatches: 60, batch: 8, seed: 3 };

describe('gap repair', () => {
  it('baselines fill interior gaps and copy observed values', () => {
    const x = [1, NaN, NaN, 4, NaN, 6];
    const out = new Float64Array(6);
    linearFill(x, out);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6]);
    forwardFill(x, out);
    expect(Array.from(out)).toEqual([1, 1, 1, 4, 4, 6]);
    seasonalCopy([1, 2, NaN, NaN, 5, 6], 2, out);
    expect(Array.from(out)).toEqual([1, 2, 1, 2, 5, 6]);
    // A season on a trend: the seasonal-linear fill is exact where linear is not.
    const s = Float64Array.from({ length: 480 }, (_, t) => Math.sin((2 * Math.PI * t) / 24) + 0.02 * t);
    const m = withGaps(s, [[200, 10]]);
    const sl = new Float64Array(480);
    seasonalLinearFill(m, seasonalProfile(m, 24), 0, sl);
    const lin = new Float64Array(480);
    linearFill(m, lin);
    let eSeasonal = 0,
      eLinear = 0;
    for (let t = 200; t < 210; t++) {
      eSeasonal += (sl[t] - s[t]) ** 2;
      eLinear += (lin[t] - s[t]) ** 2;
    }
    expect(eSeasonal).toBeLessThan(0.05 * eLinear);
  });

  it('never alters observed values, marks every fill, and beats linear interpolation on a seasonal series', () => {
    const truth = seasonal(2000, 1);
    const gaps: [number, number][] = [
      [100, 12],
      [400, 20],
      [800, 6],
      [1200, 24],
      [1600, 18],
    ];
    const masked = withGaps(truth, gaps);
    masked[1900] = NaN; // a one-step gap
    const r = new GapRepairer(SETTINGS);
    r.fit([{ values: masked, phase0: 0 }]);
    const out = r.repair({ values: masked, phase0: 0 });
    for (let t = 0; t < masked.length; t++) {
      if (Number.isFinite(masked[t])) {
        expect(out.values[t]).toBe(masked[t]);
        expect(out.imputed[t]).toBe(0);
      } else {
        expect(out.imputed[t]).toBe(1);
        expect(Number.isFinite(out.values[t])).toBe(true);
      }
    }
    expect([out.gapsFilled, out.gapsLeft]).toEqual([6, 0]);
    const lin = new Float64Array(masked.length);
    linearFill(masked, lin);
    let eRepair = 0,
      eLinear = 0;
    for (const [a, len] of gaps)
      for (let t = a; t < a + len; t++) {
        eRepair += (out.values[t] - truth[t]) ** 2;
        eLinear += (lin[t] - truth[t]) ** 2;
      }
    expect(eRepair).toBeLessThan(0.7 * eLinear);
  });

  it('leaves gaps longer than maxGapSteps and at the ends missing (counted)', () => {
    const masked = withGaps(seasonal(400, 2), [
      [0, 5],
      [100, 40],
      [395, 5],
    ]);
    const out = new GapRepairer({ ...SETTINGS, trainBatches: 0 }).repair({ values: masked, phase0: 0 });
    expect([out.gapsFilled, out.gapsLeft]).toEqual([0, 3]);
    expect(out.imputed.every((v) => v === 0)).toBe(true);
    expect(Number.isNaN(out.values[120])).toBe(true);
  });

  it('reads nothing past its window: changing data beyond it changes no fill (live mode)', () => {
    const masked = withGaps(seasonal(600, 4), [[200, 10]]);
    const r = new GapRepairer(SETTINGS);
    r.fit([{ values: masked, phase0: 0 }]);
    const scale = r.scaleOf({ values: masked, phase0: 0 });
    const a = r.repair({ values: masked, phase0: 0 }, scale);
    // Everything after the window (gap end + context) replaced by garbage or missing.
    const future = masked.slice();
    for (let t = 210 + SETTINGS.contextSteps; t < future.length; t++) future[t] = t % 2 === 0 ? 1e6 : NaN;
    const b = r.repair({ values: future, phase0: 0 }, scale);
    expect(Array.from(b.values.subarray(200, 210))).toEqual(Array.from(a.values.subarray(200, 210)));
    // ...while data inside the window does matter (the test can fail).
    const inside = masked.slice();
    inside[215] += 5;
    const c = r.repair({ values: inside, phase0: 0 }, scale);
    expect(Array.from(c.values.subarray(200, 210))).not.toEqual(Array.from(a.values.subarray(200, 210)));
  });

  it('is a function of the data and the seed', () => {
    const masked = withGaps(seasonal(800, 5), [[300, 15]]);
    const fill = (seed: number) => {
      const r = new GapRepairer({ ...SETTINGS, trainBatches: 15, seed });
      r.fit([{ values: masked, phase0: 0 }]);
      return Array.from(r.repair({ values: masked, phase0: 0 }).values.subarray(300, 315));
    };
    expect(fill(3)).toEqual(fill(3));
    expect(fill(3)).not.toEqual(fill(4));
  });
});
