import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../telemetry/metrics.js';
import { ForecastStore } from './forecast-store.js';
import { startHttpServer, type HttpServer } from './server.js';
import { alertOf, forecastOf } from './test-records.js';

// The SSE feed over real HTTP on loopback: what arrives, in order, filtered by stream.

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads SSE events from `url` until `done` says so or the deadline passes. */
async function readEvents(url: string, onOpen: () => void, done: (events: SseEvent[]) => boolean, deadlineMs = 5000): Promise<SseEvent[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), deadlineMs);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    while (!done(events)) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buf += value;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name !== undefined && data !== undefined) {
          events.push({ event: name, data: JSON.parse(data) });
          if (name === 'hello') onOpen();
        }
      }
    }
    await reader.cancel();
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return events;
}

let server: HttpServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('GET /api/events', () => {
  it('streams actuals, forecasts and alerts of the chosen stream, in order', async () => {
    const store = new ForecastStore();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      store,
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
      sseFlushMs: 20,
    });
    const key = 'weather/KSEA/temp_c';
    const events = await readEvents(
      `${server.url}/api/events?stream=${encodeURIComponent(key)}`,
      () => {
        store.recordActual('weather', 'other/stream', 0, 99);
        store.recordActual('weather', key, 0, 10);
        store.recordForecast(forecastOf('weather', key, 0, 60_000, [11, 12], 0.5));
        store.recordAlert(alertOf({ stream: key, state: 'firing', time: 0 }));
      },
      (ev) => ev.some((e) => e.event === 'alert'),
    );
    expect(events.map((e) => e.event)).toEqual(['hello', 'actual', 'forecast', 'alert']);
    expect(events[1].data).toEqual({ type: 'actual', pipeline: 'weather', stream: key, t: 0, value: 10, imputed: false });
    expect(events[2].data).toMatchObject({
      type: 'forecast',
      stream: key,
      forecast: { t: 0, stepMs: 60_000, mean: [11, 12], lower: [10.5, 11.5], upper: [11.5, 12.5] },
    });
    expect((events[3].data as { alert: { state: string } }).alert.state).toBe('firing');
    expect(store.subscriberCount).toBeLessThanOrEqual(1);
  });

  it('filters by type and rejects unknown types', async () => {
    const store = new ForecastStore();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      store,
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
      sseFlushMs: 20,
    });
    const events = await readEvents(
      `${server.url}/api/events?types=alert`,
      () => {
        store.recordActual('p', 'k', 0, 1);
        store.recordAlert(alertOf({ stream: 'k', state: 'pending', time: 0 }));
      },
      (ev) => ev.some((e) => e.event === 'alert'),
    );
    expect(events.map((e) => e.event)).toEqual(['hello', 'alert']);
    const bad = await fetch(`${server.url}/api/events?types=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('types must be');
  });

  it('closes open feeds on shutdown instead of hanging', async () => {
    const store = new ForecastStore();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      store,
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
    });
    const res = await fetch(`${server.url}/api/events`);
    const reader = res.body!.getReader();
    await reader.read();
    expect(store.subscriberCount).toBe(1);
    const t0 = performance.now();
    await server.close();
    server = null;
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(store.subscriberCount).toBe(0);
  });
});
