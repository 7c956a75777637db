import { afterEach, describe, expect, it } from 'vitest';
import type { AlertSeverity, AlertState } from '../core/alert-event.js';
import type { StreamKey } from '../core/types.js';
import { createMetrics } from '../telemetry/metrics.js';
import { ForecastStore } from './forecast-store.js';
import { buildHttpApp } from './server.js';
import { alertOf } from './test-records.js';

// GET /api/pipelines answers alerts_firing per pipeline (what the dashboard's badge shows), kept by
// the store as alert events arrive: it must always equal a walk over every stream's active alerts.

let apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

function setup() {
  const store = new ForecastStore();
  const { app } = buildHttpApp({ store, metrics: createMetrics(), health: () => ({ live: true, ready: true }) });
  apps.push(app);
  for (const name of ['weather', 'stocks']) store.upsertPipeline({ name, modelVersion: 'v1', startedAt: 1 });
  const read = async () =>
    (await app.inject({ method: 'GET', url: '/api/pipelines' })).json() as {
      pipelines: { name: string; streams: number; alerts_firing: { warning: number; critical: number; streams: number } }[];
    };
  const firing = async () => Object.fromEntries((await read()).pipelines.map((p) => [p.name, p.alerts_firing]));
  const streams = async () => Object.fromEntries((await read()).pipelines.map((p) => [p.name, p.streams]));
  return { store, firing, streams };
}

/** The same counts by walking GET /api/alerts' active list (what the dashboard used to fetch). */
function walked(store: ForecastStore, pipeline: string) {
  const firing = store.alerts(0).active.filter((a) => a.state === 'firing' && store.summary(a.stream as StreamKey)?.pipeline === pipeline);
  return {
    warning: firing.filter((a) => a.severity === 'warning').length,
    critical: firing.filter((a) => a.severity === 'critical').length,
    streams: new Set(firing.map((a) => a.stream)).size,
  };
}

describe('GET /api/pipelines alerts_firing', () => {
  it('counts firing rules by severity and the streams with any, per pipeline', async () => {
    const { store, firing } = setup();
    expect(await firing()).toEqual({ stocks: { warning: 0, critical: 0, streams: 0 }, weather: { warning: 0, critical: 0, streams: 0 } });
    store.recordAlert(alertOf({ pipeline: 'weather', stream: 'weather/a', rule: 'spike', state: 'pending', time: 1 }));
    expect((await firing()).weather).toEqual({ warning: 0, critical: 0, streams: 0 });
    store.recordAlert(alertOf({ pipeline: 'weather', stream: 'weather/a', rule: 'spike', state: 'firing', time: 2, episodeStart: 1 }));
    store.recordAlert(alertOf({ pipeline: 'weather', stream: 'weather/a', rule: 'level', state: 'firing', time: 2, severity: 'critical' }));
    store.recordAlert(alertOf({ pipeline: 'weather', stream: 'weather/b', rule: 'spike', state: 'firing', time: 3 }));
    store.recordAlert(alertOf({ pipeline: 'stocks', stream: 'stocks/x', rule: 'spike', state: 'firing', time: 3, severity: 'critical' }));
    expect(await firing()).toEqual({ stocks: { warning: 0, critical: 1, streams: 1 }, weather: { warning: 2, critical: 1, streams: 2 } });
    // A rule that resolves, and a stream removed while firing.
    store.recordAlert(alertOf({ pipeline: 'weather', stream: 'weather/a', rule: 'spike', state: 'resolved', time: 4, episodeStart: 1 }));
    expect((await firing()).weather).toEqual({ warning: 1, critical: 1, streams: 2 });
    store.removeStream('weather/b' as StreamKey);
    expect((await firing()).weather).toEqual({ warning: 0, critical: 1, streams: 1 });
    store.recordAlert(
      alertOf({ pipeline: 'weather', stream: 'weather/a', rule: 'level', state: 'resolved', time: 5, severity: 'critical' }),
    );
    expect(await firing()).toEqual({ stocks: { warning: 0, critical: 1, streams: 1 }, weather: { warning: 0, critical: 0, streams: 0 } });
  });

  it('equals a walk over every active alert (and stream) after a long random sequence of events', async () => {
    const { store, firing, streams } = setup();
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed >>> 8) % n;
    };
    const states: AlertState[] = ['pending', 'firing', 'firing', 'resolved'];
    const severities: AlertSeverity[] = ['warning', 'critical'];
    for (let i = 0; i < 3000; i++) {
      const pipeline = rand(2) === 0 ? 'weather' : 'stocks';
      const stream = `${pipeline}/s${rand(40)}`;
      if (rand(50) === 0) {
        store.removeStream(stream as StreamKey);
        continue;
      }
      store.recordAlert(
        alertOf({
          pipeline,
          stream,
          rule: `r${rand(3)}`,
          state: states[rand(4)],
          severity: severities[rand(2)],
          time: i,
        }),
      );
    }
    const counts = await firing();
    for (const p of ['weather', 'stocks']) {
      expect(counts[p]).toEqual(walked(store, p));
      expect(counts[p].streams).toBeGreaterThan(0);
    }
    // The pipelines' stream counts (live history slots) after removals and re-additions.
    const held = await streams();
    for (const p of ['weather', 'stocks']) expect(held[p]).toBe(store.streamKeys().filter((k) => k.startsWith(`${p}/`)).length);
    expect(store.streamChanges.removed).toBeGreaterThan(0);
  });
});
