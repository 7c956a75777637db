import { describe, expect, it } from 'vitest';
import { ForecastAccuracy, type AccuracyOptions } from './forecast-accuracy.js';

// A toy series worked out by hand. Step 1 ms; the engine's order per step: actual, then forecast.
//
// Stream A (t: actual): 0: 10, 1: 12, 2: 11 (imputed), 3: 13, 4: 14
//   forecasts (origin: mean / lower / upper for h = 1, 2):
//   o0: [11, 12] / [10, 11] / [12, 13]
//   o1: [12, 13] / [11, 13] / [13, 14]
//   o2: [20, 20] / [0, 0] / [40, 40]        (origin imputed: none of its pairs count)
//   o3: [15, 16] / [14.5, 15] / [15.5, 17]
//   Pairs (target: origin, h, error, persistence error, in band, width):
//   t1 = 12: o0 h1  11-12 = -1, 10-12 = -2, 12 <= upper 12: in (edge), 2
//   t2 imputed: nothing
//   t3 = 13: o2 h1 skipped (imputed origin); o1 h2  13-13 = 0, 12-13 = -1, 13 >= lower 13: in (edge), 1
//   t4 = 14: o3 h1  15-14 = 1, 13-14 = -1, 14 < 14.5: out, 1; o2 h2 skipped
//   bucket 1: n 2, se 1+1 = 2, ae 2, persistence se 4+1 = 5, ae 3 -> ratios 2/5 = 0.4, 2/3; in 1 of 2, widths 3
//   bucket 2: n 3, se 2, ae 2, persistence se 6, ae 4 -> ratios 1/3, 1/2; in 2 of 3, widths 4
// Stream B: 0: 100, 1: 104, 2: 100
//   o0: [102, 101] / [90, 90] / [110, 110];  o1: [104, 104] / [103, 103] / [105, 105]
//   t0: first row, no forecast for it
//   t1 = 104: o0 h1  -2, 100-104 = -4, in, 20
//   t2 = 100: o1 h1  4, 104-100 = 4, out (100 < 103), 2;  o0 h2  1, 0, in, 20
//   bucket 1: n 2, se 4+16 = 20, ae 6, persistence se 32, ae 8 -> ratios 0.625, 0.75; in 1 of 2, widths 22
//   bucket 2: n 3, se 21, ae 7, persistence se 32, ae 8 -> ratios 21/32, 7/8; in 2 of 3, widths 42
// Pooled MSE ratio of bucket 1 would be 22/37 = 0.595; the per-stream mean is (0.4 + 0.625)/2 = 0.5125.

function feed(o: Partial<AccuracyOptions> = {}): ForecastAccuracy {
  const acc = new ForecastAccuracy({ stepMs: 1, horizons: [1, 2], ...o });
  const a: [number, boolean, number[], number[], number[]][] = [
    [10, false, [11, 12], [10, 11], [12, 13]],
    [12, false, [12, 13], [11, 13], [13, 14]],
    [11, true, [20, 20], [0, 0], [40, 40]],
    [13, false, [15, 16], [14.5, 15], [15.5, 17]],
    [14, false, [15, 15], [14, 14], [16, 16]],
  ];
  const b: [number, boolean, number[], number[], number[]][] = [
    [100, false, [102, 101], [90, 90], [110, 110]],
    [104, false, [104, 104], [103, 103], [105, 105]],
    [100, false, [100, 100], [99, 99], [101, 101]],
  ];
  // Interleaved as the engine reports them: step by step across streams.
  for (let t = 0; t < 5; t++) {
    for (const [key, rows] of [
      ['a', a],
      ['b', b],
    ] as const) {
      if (t >= rows.length) continue;
      const [value, imputed, mean, lower, upper] = rows[t];
      acc.actual(key, t, value, imputed);
      acc.forecast(key, t, mean, lower, upper);
    }
  }
  return acc;
}

describe('ForecastAccuracy', () => {
  it('scores the hand-checked toy series: per-stream ratio means, band edges inside, imputed and first rows skipped', () => {
    const s = feed().summary();
    expect(s['1'].pairs).toBe(4);
    expect(s['1'].streams).toBe(2);
    const m1 = s['1'].model;
    expect(m1.mse).toBeCloseTo((2 + 20) / 4, 12);
    expect(m1.mae).toBeCloseTo((2 + 6) / 4, 12);
    expect(m1.mseRatio).toBeCloseTo((0.4 + 0.625) / 2, 12);
    expect(m1.maeRatio).toBeCloseTo((2 / 3 + 0.75) / 2, 12);
    expect(m1.coverage95).toBeCloseTo(2 / 4, 12);
    expect(m1.width95).toBeCloseTo((3 + 22) / 4, 12);
    const n1 = s['1'].naive;
    expect(n1.mse).toBeCloseTo((5 + 32) / 4, 12);
    expect(n1.mae).toBeCloseTo((3 + 8) / 4, 12);
    expect(n1.mseRatio).toBe(1);
    expect(n1.coverage95).toBeNull();
    expect(s['1'].seasonalNaive).toBeUndefined();

    expect(s['2'].pairs).toBe(6);
    const m2 = s['2'].model;
    expect(m2.mse).toBeCloseTo((2 + 21) / 6, 12);
    expect(m2.mae).toBeCloseTo((2 + 7) / 6, 12);
    expect(m2.mseRatio).toBeCloseTo((1 / 3 + 21 / 32) / 2, 12);
    expect(m2.maeRatio).toBeCloseTo((1 / 2 + 7 / 8) / 2, 12);
    expect(m2.coverage95).toBeCloseTo(4 / 6, 12);
    expect(m2.width95).toBeCloseTo((4 + 42) / 6, 12);
  });

  it('divides errors and widths by a per-stream scale, ratios unchanged', () => {
    // Bucket 1 with A's scale 1 and B's 2: se 2 + 20/4, ae 2 + 6/2, widths 3 + 22/2, over 4 pairs.
    const s = feed().summary((key) => (key === 'b' ? 2 : 1))['1'].model;
    expect(s.mse).toBeCloseTo(7 / 4, 12);
    expect(s.mae).toBeCloseTo(5 / 4, 12);
    expect(s.width95).toBeCloseTo(14 / 4, 12);
    expect(s.mseRatio).toBeCloseTo(0.5125, 12);
  });

  it('seasonal naive uses the observed actual one season before the target', () => {
    // Season 2. Bucket 1: A t1 (no t-1), t4 (t2 imputed): none; B t2: 100 - 100 = 0 (1 pair).
    // Bucket 2: A t3 (o1 h2): actual t1 12 - 13 = -1; B t2 twice: 0. Ratios: A (1/1)/(6/3) = 0.5,
    // B 0 -> mean 0.25; MAE A 1/(4/3) = 0.75, B 0 -> 0.375.
    const s = feed({ season: 2 }).summary();
    expect(s['1'].seasonalNaive).toEqual({ mse: 0, mae: 0, mseRatio: 0, maeRatio: 0, coverage95: null, width95: null });
    const s2 = s['2'].seasonalNaive;
    expect(s2?.mse).toBeCloseTo(1 / 3, 12);
    expect(s2?.mae).toBeCloseTo(1 / 3, 12);
    expect(s2?.mseRatio).toBeCloseTo(0.25, 12);
    expect(s2?.maeRatio).toBeCloseTo(0.375, 12);
    // The model's scores do not depend on the season.
    expect(s['2'].model.mse).toBeCloseTo(23 / 6, 12);
  });

  it('counts only the windows the predicate accepts', () => {
    // Origins >= 1 only. Bucket 1: A o3 h1 (se 1, persistence 1), B o1 h1 (se 16, persistence 16).
    const s = feed({ counts: (origin) => origin >= 1 }).summary()['1'];
    expect(s.pairs).toBe(2);
    expect(s.model.mse).toBeCloseTo(17 / 2, 12);
    expect(s.model.mseRatio).toBeCloseTo(1, 12);
    expect(s.model.coverage95).toBe(0);
  });

  it('ignores forecasts it cannot pair, off-grid times and non-finite means', () => {
    const acc = new ForecastAccuracy({ stepMs: 10, horizons: [1] });
    acc.forecast('x', 0, [1], [0], [2]); // before the stream's first actual
    acc.actual('x', 0, 1, false);
    acc.forecast('x', 0, [NaN], [NaN], [NaN]);
    acc.actual('x', 10, 2, false); // o0's forecast was NaN: not scored
    acc.forecast('x', 10, [3], [2], [4]);
    acc.actual('x', 15, 9, false); // off the grid
    acc.actual('x', 20, 3, false); // o10 h1: error 0, persistence -1
    const s = acc.summary()['1'];
    expect(s.pairs).toBe(1);
    expect(s.model).toEqual({ mse: 0, mae: 0, mseRatio: 0, maeRatio: 0, coverage95: 1, width95: 2 });
    expect(() => new ForecastAccuracy({ stepMs: 1, horizons: [0] })).toThrow(RangeError);
  });
});
