import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../benchmarks/alerts-random.js';
import type { AlertEvent } from '../core/alert-event.js';
import { AlertEngine } from './alert-engine.js';
import { CombinedDetector } from './combined-detector.js';
import { surpriseFromZ } from './normal-tail.js';

const HOUR = 3_600_000;
const DAY = 24;

/**
 * A stream whose one-step model is good whatever the values do: the forecast for t is x_t minus an
 * N(0, 1) error, with log-variance 0. So the residual z is N(0, 1) except where `residual` adds to
 * it: anomalies in x alone are only visible to the parts that look at the values (seasonal, stuck).
 */
function run(
  x: Float64Array,
  seed: number,
  residualShift: (i: number) => number = () => 0,
  options: Record<string, unknown> = {},
): { engine: AlertEngine; events: Array<AlertEvent & { step: number }>; combined: Float64Array; drivers: string[] } {
  const engine = new AlertEngine('p', {
    storm_control: { max_per_minute: 1_000_000 },
    scorer: { horizons: 1, season_steps: DAY },
    rules: [{ name: 'any', detector: 'combined', warning: 5, resolve_below: 2, resolve_steps: 3 }],
    ...options,
  });
  const g = gaussian(mulberry32(seed));
  const err = Float64Array.from(x, () => g());
  const events: Array<AlertEvent & { step: number }> = [];
  const combined = new Float64Array(x.length).fill(NaN);
  const drivers: string[] = [];
  const mean = new Float64Array(1);
  const f = {
    t: 0,
    stepMs: HOUR,
    modelVersion: 'm',
    mean,
    lower: new Float64Array(1),
    upper: new Float64Array(1),
    logVar: new Float64Array(1),
  };
  for (let i = 0; i < x.length; i++) {
    const t = i * HOUR;
    f.t = t;
    if (i + 1 < x.length) mean[0] = x[i + 1] - err[i + 1] - residualShift(i + 1);
    for (const e of engine.step('s', t, HOUR, x[i], false, f)) events.push({ ...e, step: i });
    const s = engine.lastScore;
    combined[i] = s.combined;
    drivers.push(s.driver);
  }
  return { engine, events, combined, drivers };
}

/** Daily cycle plus small noise. */
function daily(n: number, seed: number): Float64Array {
  const g = gaussian(mulberry32(seed));
  return Float64Array.from({ length: n }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / DAY) + 0.5 * g());
}

function firstFiring(events: ReadonlyArray<AlertEvent & { step: number }>, from: number, to: number) {
  return events.find((e) => e.state === 'firing' && e.step >= from && e.step <= to);
}

describe('combined detector', () => {
  it('a spike fires, driven by the spike part, with every part listed', () => {
    const { events } = run(daily(800, 1), 2, (i) => (i === 600 ? 9 : 0));
    const e = firstFiring(events, 600, 600);
    expect(e?.driver).toBe('spike');
    expect(e?.detector).toBe('combined');
    expect(e?.parts?.map((p) => p.name)).toEqual(['spike', 'level', 'variance', 'seasonal', 'stuck']);
    const spike = e!.parts!.find((p) => p.name === 'spike')!.surprise;
    // z ≈ 9: -log10 P(|Z| >= 9) ≈ 18.6, minus log10(5) for the five parts.
    expect(spike).toBeGreaterThan(15);
    expect(e!.level).toBeCloseTo(spike - Math.log10(5), 10);
  });

  it('a level shift of 2 sigmas, which single steps barely flag, fires on the level part', () => {
    const { events, combined, drivers } = run(daily(800, 3), 4, (i) => (i >= 600 && i < 630 ? 2 : 0));
    const e = firstFiring(events, 600, 630);
    expect(e?.driver).toBe('level');
    expect(e!.step - 600).toBeLessThan(15);
    // Before the shift nothing reached the threshold.
    expect(events.filter((x) => x.step < 600)).toEqual([]);
    const peak = argMax(combined, 600, 630);
    expect(drivers[peak]).toBe('level');
  });

  it('a variance burst (noise x3) fires on the variance part', () => {
    const g = gaussian(mulberry32(9));
    const burst = Float64Array.from({ length: 800 }, () => 2 * g());
    const { events } = run(daily(800, 5), 6, (i) => (i >= 600 && i < 624 ? burst[i] : 0));
    const e = firstFiring(events, 600, 624);
    expect(e?.driver).toBe('variance');
    expect(e!.parts!.find((p) => p.name === 'variance')!.surprise).toBeGreaterThan(5 + Math.log10(5));
  });

  it('a seasonal break the one-step model follows (the day runs in antiphase) fires on the seasonal part', () => {
    const x = daily(800, 7);
    for (let i = 20 * DAY; i < 21 * DAY; i++) x[i] -= 20 * Math.sin((2 * Math.PI * i) / DAY);
    const { events, combined, drivers } = run(x, 8);
    expect(events.filter((e) => e.step < 20 * DAY)).toEqual([]);
    const e = firstFiring(events, 20 * DAY, 21 * DAY);
    expect(e?.driver).toBe('seasonal');
    expect(drivers[argMax(combined, 20 * DAY, 21 * DAY)]).toBe('seasonal');
    // The residuals are the same N(0, 1) as before: only the seasonal part can see it.
    expect(e!.parts!.find((p) => p.name === 'spike')!.surprise).toBeLessThan(3);
    // The broken day is not the next day's reference: no echo the day after.
    expect(events.filter((x) => x.state === 'firing' && x.step >= 21 * DAY)).toEqual([]);
  });

  it('a stuck sensor fires on the stuck part', () => {
    // No daily cycle here: stuck on a cycle is also a seasonal break (and may fire on that part first).
    const g = gaussian(mulberry32(10));
    const x = Float64Array.from({ length: 800 }, () => g());
    for (let i = 600; i < 612; i++) x[i] = x[599];
    const { events } = run(x, 11);
    const e = firstFiring(events, 600, 612);
    expect(e?.driver).toBe('stuck');
  });

  it('stays calibrated on stationary noise: the share of steps at combined >= s is at most 10^-s and not far below', () => {
    const n = 200_000;
    const { combined } = run(daily(n, 12), 13);
    const from = 2000;
    for (const s of [1.5, 2, 2.5, 3]) {
      let above = 0,
        total = 0;
      for (let i = from; i < n; i++) {
        if (!Number.isFinite(combined[i])) continue;
        total++;
        if (combined[i] >= s) above++;
      }
      const ratio = above / total / 10 ** -s;
      // Bonferroni over five parts, one of which (stuck) is 0 on continuous values: ~0.8 of nominal.
      expect(ratio, `threshold ${s}: ${above} of ${total}`).toBeGreaterThan(0.5);
      expect(ratio, `threshold ${s}: ${above} of ${total}`).toBeLessThan(1.15);
    }
  });
});

describe('combined detector parts on autocorrelated residuals', () => {
  it('the level part learns the EWMA variance of AR(1) residuals: near nominal, where the plain chart is far above', () => {
    const phi = 0.6;
    const d = new CombinedDetector({ levelSpan: 8, varianceWindow: 12, seasonSteps: 0, seasonalSpan: 6 });
    const out = {
      residual: 0,
      surprise: 0,
      levelSurprise: 0,
      varianceSurprise: 0,
      seasonalSurprise: 0,
      flatSurprise: 0,
      combined: 0,
      driver: '' as const,
    };
    const g = gaussian(mulberry32(3));
    let z = 0;
    let m = 0;
    let n = 0,
      learned = 0,
      plain = 0;
    const alpha = 2 / 9;
    for (let i = 0; i < 200_000; i++) {
      z = phi * z + Math.sqrt(1 - phi * phi) * g(); // unit variance, lag-1 correlation 0.6
      out.residual = z;
      d.update(0, i * 1000, 1000, 0, z, out);
      m += alpha * (z - m);
      if (i < 5000) continue;
      n++;
      if (out.levelSurprise >= 2) learned++;
      if (surpriseFromZ(m / Math.sqrt(alpha / (2 - alpha))) >= 2) plain++;
    }
    expect(learned / n / 0.01).toBeLessThan(1.3);
    expect(learned / n / 0.01).toBeGreaterThan(0.7);
    expect(plain / n / 0.01).toBeGreaterThan(5);
  });
});

function argMax(a: Float64Array, from: number, to: number): number {
  let best = from;
  for (let i = from; i < to; i++) if (a[i] > a[best]) best = i;
  return best;
}
