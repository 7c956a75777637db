import { afterEach, expect, it } from 'vitest';
import { buildHttpApp } from '../api/server.js';
import { ForecastStore } from '../api/forecast-store.js';
import { alertOf, forecastOf } from '../api/test-records.js';
import { createMetrics } from '../telemetry/metrics.js';
import { Prng } from '../training/prng.js';
import { StreamClassification } from './stream-classification.js';

// model.classify as served: the regime of the coming horizon in /api/streams/:id and the deviation
// kinds on alert events, from what the engine's listener hands over.

const KEY = 'weather/KSEA/temp_c';
const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function fed(): { c: StreamClassification; level: number } {
  const c = new StreamClassification(6, { seed: 3 });
  const rng = new Prng(1);
  let level = 20,
    slope = 0;
  for (let t = 0; t < 3000; t++) {
    if (t % 50 === 0) slope = [-0.3, 0, 0.3][rng.int(3)];
    level += slope + 0.2 * rng.normal();
    c.actual(KEY, level, false);
    c.forecast(forecastOf('weather', KEY, t, 1, [level + slope, level + 2 * slope, level + 3 * slope]), level);
  }
  c.actual(KEY, Number.NaN, false); // ignored
  c.actual(KEY, 1e9, true); // imputed: not learned from
  return { c, level };
}

it('serves regime probabilities in /api/streams/:id and nothing for streams it never saw', async () => {
  const { c } = fed();
  const view = c.view(KEY);
  const p = view?.regime.probabilities;
  expect(p).not.toBeNull();
  expect((p?.falling ?? 0) + (p?.flat ?? 0) + (p?.rising ?? 0)).toBeCloseTo(1, 3);
  expect(['falling', 'flat', 'rising']).toContain(view?.regime.last);
  expect(c.regime.model.examples).toBeGreaterThan(2000);
  expect(c.view('other')).toBeUndefined();

  const store = new ForecastStore();
  store.recordActual('weather', KEY, 0, 12.5);
  store.recordActual('weather', 'other', 0, 1);
  const { app } = buildHttpApp({
    store,
    metrics: createMetrics(),
    health: () => ({ live: true, ready: true }),
    classification: (k) => c.view(k),
  });
  apps.push(app);
  const res = await app.inject({ method: 'GET', url: `/api/streams/${encodeURIComponent(KEY)}` });
  expect(res.statusCode).toBe(200);
  expect(res.json().classification.regime.probabilities).toEqual(p);
  expect(res.json().classification.regime.horizon).toBe(6);
  const other = await app.inject({ method: 'GET', url: '/api/streams/other' });
  expect(other.json().classification).toBeUndefined();
});

it('adds deviation-kind probabilities to alert events once it has learned, and a spike reads as one', () => {
  const { c, level } = fed();
  expect(c.deviation.model.examples).toBeGreaterThan(100);
  // A spike on the last value, then the alert that fired on it.
  c.actual(KEY, level + 5, false); // 25 typical one-step changes
  const a = c.annotate(alertOf({ stream: KEY, state: 'pending', time: 10 }));
  expect(a.deviationKinds).toBeDefined();
  const k = a.deviationKinds as NonNullable<typeof a.deviationKinds>;
  expect(k.spike).toBeGreaterThan(Math.max(k.level_shift, k.variance, k.stuck));
  expect(c.annotate(alertOf({ stream: 'group/asset', state: 'firing', time: 10 }))).not.toHaveProperty('deviationKinds');
  expect(c.annotate(alertOf({ stream: KEY, state: 'resolved', time: 20, episodeStart: 10 }))).not.toHaveProperty('deviationKinds');
});

it('stops learning deviations while an alert episode is open, and again after it resolves', () => {
  const { c, level } = fed();
  const before = c.deviation.model.examples;
  c.annotate(alertOf({ stream: KEY, state: 'pending', time: 100 }));
  for (let i = 0; i < 64; i++) c.actual(KEY, level + 0.01 * i, false);
  expect(c.deviation.model.examples).toBe(before);
  c.annotate(alertOf({ stream: KEY, state: 'resolved', time: 200, episodeStart: 100 }));
  for (let i = 0; i < 64; i++) c.actual(KEY, level + 0.1 * Math.sin(i), false);
  expect(c.deviation.model.examples).toBeGreaterThan(before);
});
