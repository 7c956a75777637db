import { describe, expect, it } from 'vitest';
import { ForecastStore } from './forecast-store.js';
import { StreamHistory } from './stream-history.js';

// The API's per-stream history in typed-array slots: bounded rings (float32 values, exact times),
// the latest forecast exact, no rings at all when a pipeline keeps 0 points, slots reused clean.

describe('StreamHistory', () => {
  it('keeps the newest `points` actuals and one-step forecasts, values as float32 and times exact', () => {
    const h = new StreamHistory(4);
    h.reset(0);
    h.reset(1);
    for (let k = 0; k < 7; k++) {
      h.pushActual(0, 1_700_000_000_000 + k * 60_000, 0.1 * k, k % 3 === 0);
      h.pushForecast(0, 1_700_000_060_000 + k * 60_000, k, k - 1, k + 1);
    }
    h.pushActual(1, 5, 42, false);
    const a = h.actuals(0);
    expect(a.t).toEqual([3, 4, 5, 6].map((k) => 1_700_000_000_000 + k * 60_000));
    expect(a.value).toEqual([3, 4, 5, 6].map((k) => Math.fround(0.1 * k)));
    expect(a.imputed).toEqual([true, false, false, true]);
    expect(h.actuals(0, 2).value).toEqual([Math.fround(0.5), Math.fround(0.6)]);
    expect(h.forecasts(0, 2)).toEqual({
      t: [1_700_000_060_000 + 5 * 60_000, 1_700_000_060_000 + 6 * 60_000],
      mean: [5, 6],
      lower: [4, 5],
      upper: [6, 7],
    });
    expect(h.lastActual(1)).toEqual({ t: 5, value: 42 });
    expect(h.bytesPerStream).toBe(4 * 33 + 26);
  });

  it('serves the latest forecast exactly, across a longer horizon arriving later', () => {
    const h = new StreamHistory(2);
    h.reset(0);
    h.reset(1);
    h.setLatest(0, 10, 'v1', [0.1, 0.2], [0.05, 0.15], [0.15, 0.25]);
    h.setLatest(1, 20, 'v2', [1.1, 1.2, 1.3], [1, 1.1, 1.2], [1.2, 1.3, 1.4]);
    expect(h.latestOf(0)).toEqual({ t: 10, modelVersion: 'v1', mean: [0.1, 0.2], lower: [0.05, 0.15], upper: [0.15, 0.25] });
    expect(h.latestOf(1)).toEqual({ t: 20, modelVersion: 'v2', mean: [1.1, 1.2, 1.3], lower: [1, 1.1, 1.2], upper: [1.2, 1.3, 1.4] });
  });

  it('with 0 points keeps only the last actual and the latest forecast', () => {
    const h = new StreamHistory(0);
    h.reset(0);
    expect(h.lastActual(0)).toBeNull();
    h.pushActual(0, 1, 2, false);
    h.pushActual(0, 2, 3, true);
    h.pushForecast(0, 3, 1, 0, 2);
    expect(h.actuals(0)).toEqual({ t: [2], value: [3], imputed: [true] });
    expect(h.forecasts(0)).toEqual({ t: [], mean: [], lower: [], upper: [] });
    expect(h.bytesPerStream).toBe(26);
  });
});

describe('ForecastStore history points per pipeline', () => {
  it("bounds each pipeline's history by its own setting and reuses a removed stream's slot clean", () => {
    const s = new ForecastStore({ capacity: 8 });
    s.setHistoryPoints('none', 0);
    s.setHistoryPoints('few', 3);
    for (let k = 0; k < 10; k++) {
      for (const p of ['none', 'few', 'dflt']) s.recordActual(p, `${p}/a`, k, k);
    }
    expect(s.stream('none/a')?.actuals.value).toEqual([9]);
    expect(s.stream('few/a')?.actuals.value).toEqual([7, 8, 9]);
    expect(s.stream('dflt/a')?.actuals.value).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.removeStream('few/a')).toBe(true);
    s.recordActual('few', 'few/b', 100, 1);
    expect(s.stream('few/b')?.actuals).toEqual({ t: [100], value: [1], imputed: [false] });
    expect(s.stream('few/b')?.latestForecast).toBeNull();
  });
});
