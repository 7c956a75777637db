import { describe, expect, it } from 'vitest';
import { OnlineForecaster, defaultProfiles } from './online-forecaster.js';

const HOUR = 3_600_000;

/** Noise-free VAR(1) x[t] = A·x[t-1] with A a damped rotation in two planes: never settles quickly. */
function varSeries(rows: number): Float64Array {
  const c = 4;
  const out = new Float64Array(rows * c);
  out.set([1, 0, 0.5, -0.3]);
  const r = 0.998;
  const [a, b] = [Math.cos(0.3), Math.sin(0.3)];
  const [g, s] = [Math.cos(0.07), Math.sin(0.07)];
  for (let t = 1; t < rows; t++) {
    const p = (t - 1) * c;
    const q = t * c;
    out[q] = r * (a * out[p] - b * out[p + 1]);
    out[q + 1] = r * (b * out[p] + a * out[p + 1]) + 0.01 * out[p + 2];
    out[q + 2] = r * (g * out[p + 2] - s * out[p + 3]);
    out[q + 3] = r * (s * out[p + 2] + g * out[p + 3]);
  }
  return out;
}

function make(horizon: number): OnlineForecaster {
  return new OnlineForecaster({
    columns: 4,
    horizon,
    season: 24,
    calendar: false,
    profiles: [{ from: 1, to: horizon, lags: 2, forgetting: 1, initialScale: 1e4, seasonal: false }],
  });
}

describe('OnlineForecaster', () => {
  it('learns a known linear AR process to near-zero error at every horizon', () => {
    const rows = 400;
    const x = varSeries(rows);
    const model = make(3);
    const out = new Float64Array(12);
    let late = 0;
    let naive = 0;
    for (let t = 0; t < rows; t++) {
      if (t >= 300 && t + 3 <= rows) {
        model.forecast(out);
        for (let h = 1; h <= 3; h++) {
          for (let j = 0; j < 4; j++) {
            const truth = x[(t + h - 1) * 4 + j];
            late = Math.max(late, Math.abs(out[(h - 1) * 4 + j] - truth));
            naive = Math.max(naive, Math.abs(x[(t - 1) * 4 + j] - truth));
          }
        }
      }
      model.observe(t * HOUR, x.subarray(t * 4, t * 4 + 4));
    }
    expect(naive).toBeGreaterThan(0.05);
    expect(late).toBeLessThan(1e-4);
  });

  it('updates horizon h only once its truth is observed, and forecasts depend only on the past', () => {
    const rows = 120;
    const x = varSeries(rows);
    const a = make(5);
    const b = make(5);
    const changed = x.slice();
    for (let i = 80 * 4; i < changed.length; i++) changed[i] += 10; // a different future after row 80
    for (let t = 0; t < 80; t++) {
      a.observe(t * HOUR, x.subarray(t * 4, t * 4 + 4));
      b.observe(t * HOUR, changed.subarray(t * 4, t * 4 + 4));
    }
    const fa = new Float64Array(20);
    const fb = new Float64Array(20);
    a.forecast(fa);
    b.forecast(fb);
    expect(Array.from(fb)).toEqual(Array.from(fa));
    // Forecasts start at origin warmUp; the one for horizon h from origin o is learned at row o + h - 1.
    for (let h = 1; h <= 5; h++) expect(a.updatesOf(h)).toBe(Math.max(0, 80 - a.warmUp - h + 1));
    // Row 80 differs: only now may the models diverge.
    a.observe(80 * HOUR, x.subarray(320, 324));
    b.observe(80 * HOUR, changed.subarray(320, 324));
    a.forecast(fa);
    b.forecast(fb);
    expect(Array.from(fb)).not.toEqual(Array.from(fa));
  });

  it('restores a snapshot exactly, then continues bit-identically', () => {
    const rows = 200;
    const x = varSeries(rows);
    const opts = { columns: 4, horizon: 24, season: 24, profiles: defaultProfiles(24) };
    const a = new OnlineForecaster(opts);
    for (let t = 0; t < 120; t++) a.observe(t * HOUR, x.subarray(t * 4, t * 4 + 4));
    const b = new OnlineForecaster(opts);
    b.restore(a.snapshot());
    const fa = new Float64Array(96);
    const fb = new Float64Array(96);
    for (let t = 120; t < rows; t++) {
      a.observe(t * HOUR, x.subarray(t * 4, t * 4 + 4));
      b.observe(t * HOUR, x.subarray(t * 4, t * 4 + 4));
      a.forecast(fa);
      b.forecast(fb);
      expect(Array.from(fb)).toEqual(Array.from(fa));
    }
    expect(fa.every(Number.isFinite)).toBe(true);
    expect(() => b.restore(new Float64Array(3))).toThrow(/snapshot has 3 values/);
  });

  it('falls back to naive before warm-up, counts non-finite input, rejects bad configuration', () => {
    const model = make(2);
    const out = new Float64Array(8);
    model.observe(0, [1, 2, 3, 4]);
    model.observe(HOUR, [5, Number.NaN, 7, Number.POSITIVE_INFINITY]);
    expect(model.imputed).toBe(2);
    model.forecast(out);
    expect(Array.from(out)).toEqual([5, 2, 7, 4, 5, 2, 7, 4]);
    expect(() => model.observe(2 * HOUR, [1, 2])).toThrow(/expected 4 values/);
    expect(
      () =>
        new OnlineForecaster({
          columns: 2,
          horizon: 3,
          season: 24,
          profiles: [{ from: 1, to: 2, lags: 1, forgetting: 1, initialScale: 1, seasonal: false }],
        }),
    ).toThrow(/horizon 3 must be covered/);
    expect(() => new OnlineForecaster({ columns: 2, horizon: 30, season: 24, profiles: defaultProfiles(30) })).toThrow(/season >= horizon/);
  });
});
