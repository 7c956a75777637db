import { afterEach, describe, expect, it } from 'vitest';
import { Silences } from '../alerting/silences.js';
import { TidecastError } from '../core/errors.js';
import { createMetrics } from '../telemetry/metrics.js';
import { ForecastStore } from './forecast-store.js';
import { buildHttpApp, type HealthReport, type HttpServerOptions, type IngestHandler, type SilenceApi } from './server.js';
import { alertOf, forecastOf } from './test-records.js';

const H = 3_600_000;
const KEY = 'weather/KSEA/temp_c';
let apps: { close(): Promise<unknown> }[] = [];

function setup(over: Partial<HttpServerOptions> = {}) {
  const store = new ForecastStore();
  const metrics = createMetrics();
  let health: HealthReport = { live: true, ready: true, details: { pipelines: 1 } };
  const { app } = buildHttpApp({ store, metrics, health: () => health, ...over });
  apps.push(app);
  return {
    app,
    store,
    metrics,
    setHealth: (h: HealthReport) => {
      health = h;
    },
  };
}

function silenceApi(s: Silences): SilenceApi {
  return { list: () => s.listSilences(), add: (i) => s.addSilence(i), remove: (id) => s.removeSilence(id) };
}

afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

describe('HTTP API', () => {
  it('lists streams with their latest forecast and alert state', async () => {
    const { app, store } = setup();
    store.recordActual('weather', KEY, 0, 12.5);
    store.recordForecast(forecastOf('weather', KEY, 0, H, [13, 14], 1));
    store.recordAlert(alertOf({ stream: KEY, pipeline: 'weather', state: 'firing', time: 0 }));
    const res = await app.inject({ method: 'GET', url: '/api/streams' });
    expect(res.statusCode).toBe(200);
    const { streams } = res.json();
    expect(streams).toHaveLength(1);
    expect(streams[0].key).toBe(KEY);
    expect(streams[0].lastActual).toEqual({ t: 0, value: 12.5 });
    expect(streams[0].latestForecast.mean).toEqual([13, 14]);
    expect(streams[0].latestForecast.upper).toEqual([14, 15]);
    expect(streams[0].alert.level).toBe('firing');
  });

  it('filters streams by pipeline', async () => {
    const { app, store } = setup();
    store.recordActual('weather', 'weather/a', 0, 1);
    store.recordActual('stocks', 'stocks/b', 0, 1);
    const res = await app.inject({ method: 'GET', url: '/api/streams?pipeline=stocks' });
    expect(res.json().streams.map((s: { key: string }) => s.key)).toEqual(['stocks/b']);
  });

  it('serves one stream by URL-encoded key (with slashes) and by raw path, with a limit', async () => {
    const { app, store } = setup();
    for (let k = 0; k < 10; k++) {
      store.recordActual('weather', KEY, k * H, k);
      store.recordForecast(forecastOf('weather', KEY, k * H, H, [k + 1]));
    }
    const enc = await app.inject({ method: 'GET', url: `/api/streams/${encodeURIComponent(KEY)}?limit=3` });
    expect(enc.statusCode).toBe(200);
    const d = enc.json();
    expect(d.key).toBe(KEY);
    expect(d.actuals.value).toEqual([7, 8, 9]);
    expect(d.forecasts.t).toEqual([8 * H, 9 * H, 10 * H]);
    expect(d.forecasts.mean).toEqual([8, 9, 10]);
    const raw = await app.inject({ method: 'GET', url: `/api/streams/${KEY}` });
    expect(raw.statusCode).toBe(200);
    expect(raw.json().actuals.value).toHaveLength(10);
  });

  it('answers 404 for an unknown stream and 400 for a bad limit', async () => {
    const { app, store } = setup();
    store.recordActual('p', 'k', 0, 1);
    const missing = await app.inject({ method: 'GET', url: '/api/streams/nope%2Fx' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toContain('nope/x');
    expect((await app.inject({ method: 'GET', url: '/api/streams/k?limit=-1' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/alerts?limit=abc' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/nothing' })).statusCode).toBe(404);
  });

  it('lists active and recent alerts, and pipelines with model versions', async () => {
    const { app, store } = setup();
    store.upsertPipeline({ name: 'weather', modelVersion: 'lstm-1', startedAt: 1 });
    store.setModelVersion('weather', { version: 'lstm-2', since: 2, reason: 'trained' });
    store.recordAlert(alertOf({ stream: KEY, state: 'firing', time: 5 }));
    store.recordAlert(alertOf({ stream: 'weather/b', state: 'firing', time: 6 }));
    store.recordAlert(alertOf({ stream: 'weather/b', state: 'resolved', time: 7, episodeStart: 6 }));
    const alerts = (await app.inject({ method: 'GET', url: '/api/alerts' })).json();
    expect(alerts.active.map((a: { stream: string }) => a.stream)).toEqual([KEY]);
    expect(alerts.recent.map((a: { time: number }) => a.time)).toEqual([7, 6, 5]);
    const { pipelines } = (await app.inject({ method: 'GET', url: '/api/pipelines' })).json();
    expect(pipelines[0].modelVersion).toBe('lstm-2');
    expect(pipelines[0].modelVersions.map((v: { version: string }) => v.version)).toEqual(['lstm-1', 'lstm-2']);
  });

  it('reports liveness and readiness from the health callback', async () => {
    const { app, setHealth } = setup();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready', details: { pipelines: 1 } });
    setHealth({ live: true, ready: false, details: { restoring: 'weather' } });
    const r = await app.inject({ method: 'GET', url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json().details).toEqual({ restoring: 'weather' });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    setHealth({ live: false, ready: false });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
  });

  it('exposes Prometheus metrics including its own request counts', async () => {
    const { app, metrics } = setup();
    metrics.deadLetters.inc({ pipeline: 'weather', component: 'parse', code: 'parse_error', stage: 'parse' }, 3);
    await app.inject({ method: 'GET', url: '/api/streams' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('tidecast_dead_letters_total{pipeline="weather",component="parse",code="parse_error",stage="parse"} 3');
    expect(res.body).toContain('tidecast_http_requests_total{route="/api/streams",method="GET",status="200"} 1');
  });

  it('hands ingest bodies to the runtime as text, JSON and line protocol alike', async () => {
    const calls: [string, string][] = [];
    const ingest: IngestHandler = async (body, type) => {
      calls.push([body, type]);
      const lines = body.split('\n').filter((l) => l.trim() !== '');
      const bad = lines.filter((l) => l.includes('bad')).length;
      return {
        accepted: lines.length - bad,
        rejected: bad,
        errors: bad > 0 ? [{ index: 0, code: 'parse_error', message: 'bad line' }] : [],
      };
    };
    const { app } = setup({ ingest: new Map([['weather', ingest]]) });
    const json = '{"stream":"s","timestamp":1,"value":2}';
    const r1 = await app.inject({ method: 'POST', url: '/api/ingest', headers: { 'content-type': 'application/json' }, payload: json });
    expect(r1.statusCode).toBe(200);
    expect(r1.json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
    const lp = 'temp,stream=a value=1 1000\ntemp,stream=b value=2 2000\n';
    const r2 = await app.inject({ method: 'POST', url: '/api/ingest', headers: { 'content-type': 'text/plain' }, payload: lp });
    expect(r2.json().accepted).toBe(2);
    expect(calls).toEqual([
      [json, 'application/json'],
      [lp, 'text/plain'],
    ]);
    const r3 = await app.inject({ method: 'POST', url: '/api/ingest', headers: { 'content-type': 'text/plain' }, payload: 'bad' });
    expect(r3.statusCode).toBe(400);
    expect(r3.json().rejected).toBe(1);
    expect((await app.inject({ method: 'POST', url: '/api/ingest', payload: '  ' })).statusCode).toBe(400);
  });

  it('maps ingest failures: retriable to 503 with Retry-After, others to 400; no source to 404', async () => {
    let retriable = true;
    const { app } = setup({
      ingest: new Map<string, IngestHandler>([
        [
          'weather',
          async () => {
            throw new TidecastError('Queue full.', 'broker_down', retriable);
          },
        ],
      ]),
    });
    const r = await app.inject({ method: 'POST', url: '/api/ingest', payload: 'x value=1' });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    retriable = false;
    expect((await app.inject({ method: 'POST', url: '/api/ingest', payload: 'x value=1' })).statusCode).toBe(400);
    const { app: none } = setup();
    expect((await none.inject({ method: 'POST', url: '/api/ingest', payload: 'x value=1' })).statusCode).toBe(404);
  });

  it('adds, lists and removes silences, rejecting invalid ones', async () => {
    const s = new Silences();
    const { app } = setup({ silences: new Map([['weather', silenceApi(s)]]) });
    const body = JSON.stringify({ pattern: 'weather/*', starts_at: 0, ends_at: 10_000, comment: 'maintenance' });
    const created = await app.inject({
      method: 'POST',
      url: '/api/silences',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await app.inject({ method: 'GET', url: '/api/silences' })).json().silences.map((x: { id: string }) => x.id)).toEqual([id]);
    expect((await app.inject({ method: 'POST', url: '/api/silences', payload: '{"pattern":1}' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/silences', payload: 'not json' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: `/api/silences/${id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/api/silences/${id}` })).statusCode).toBe(404);
  });

  it('sends ingest to the pipeline named by ?pipeline, and asks for a name when there are several', async () => {
    const got: string[] = [];
    const handler =
      (name: string): IngestHandler =>
      async (body) => {
        got.push(`${name}:${body}`);
        return { accepted: 1, rejected: 0, errors: [] };
      };
    const { app } = setup({
      ingest: new Map([
        ['weather', handler('weather')],
        ['stocks', handler('stocks')],
      ]),
    });
    const post = (url: string) => app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'p value=1 1' });

    expect((await post('/api/ingest?pipeline=stocks')).statusCode).toBe(200);
    const unknown = await post('/api/ingest?pipeline=health');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: 'not_found',
      message: 'Unknown pipeline "health" for HTTP ingest; this daemon runs "weather", "stocks".',
    });
    const unnamed = await post('/api/ingest');
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json()).toEqual({
      error: 'pipeline_required',
      message: 'This daemon runs several pipelines ("weather", "stocks"): name the one for HTTP ingest with ?pipeline=NAME.',
    });
    expect(got).toEqual(['stocks:p value=1 1']);

    const { app: lone } = setup({ ingest: new Map([['weather', handler('weather')]]) });
    expect((await lone.inject({ method: 'POST', url: '/api/ingest', payload: 'q value=2 2' })).statusCode).toBe(200);
    expect((await lone.inject({ method: 'POST', url: '/api/ingest?pipeline=stocks', payload: 'q value=2 2' })).statusCode).toBe(404);
    expect(got).toEqual(['stocks:p value=1 1', 'weather:q value=2 2']);
  });

  it('keeps silences per pipeline, picked by ?pipeline or a "pipeline" body field', async () => {
    const weather = new Silences();
    const stocks = new Silences();
    const { app } = setup({
      silences: new Map([
        ['weather', silenceApi(weather)],
        ['stocks', silenceApi(stocks)],
      ]),
    });
    const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ pattern: 'a/*', starts_at: 0, ends_at: 10, ...extra });
    const post = (url: string, payload: string) =>
      app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

    const inBody = await post('/api/silences', body({ pipeline: 'stocks', comment: 'split' }));
    expect(inBody.statusCode).toBe(201);
    expect(inBody.json()).toEqual({ id: 'silence-1', pattern: 'a/*', startsAt: 0, endsAt: 10, comment: 'split', pipeline: 'stocks' });
    expect((await post('/api/silences?pipeline=weather', body())).json().pipeline).toBe('weather');
    const unnamed = await post('/api/silences', body());
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json().message).toBe(
      'This daemon runs several pipelines ("weather", "stocks"): name the one for silences with ?pipeline=NAME or a "pipeline" field.',
    );
    expect((await post('/api/silences?pipeline=weather', body({ pipeline: 'stocks' }))).statusCode).toBe(400);
    expect((await post('/api/silences', body({ pipeline: 7 }))).statusCode).toBe(400);
    const unknown = await post('/api/silences?pipeline=health', body());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toBe('Unknown pipeline "health" for silences; this daemon runs "weather", "stocks".');
    expect(stocks.listSilences().map((x) => x.comment)).toEqual(['split']);
    expect(weather.listSilences()).toHaveLength(1);

    const all = (await app.inject({ method: 'GET', url: '/api/silences' })).json().silences as { id: string; pipeline: string }[];
    expect(all.map((x) => `${x.pipeline}:${x.id}`)).toEqual(['weather:silence-1', 'stocks:silence-1']);
    const one = (await app.inject({ method: 'GET', url: '/api/silences?pipeline=stocks' })).json().silences as { comment: string }[];
    expect(one.map((x) => x.comment)).toEqual(['split']);
    expect((await app.inject({ method: 'GET', url: '/api/silences?pipeline=health' })).statusCode).toBe(404);

    expect((await app.inject({ method: 'DELETE', url: '/api/silences/silence-1' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: '/api/silences/silence-1?pipeline=stocks' })).statusCode).toBe(204);
    expect(stocks.listSilences()).toEqual([]);
    expect(weather.listSilences()).toHaveLength(1);
  });

  it('serves the dashboard page, its script and uPlot', async () => {
    const { app } = setup();
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/vendor/uplot.js');
    const js = await app.inject({ method: 'GET', url: '/app.js' });
    expect(js.headers['content-type']).toContain('javascript');
    const uplot = await app.inject({ method: 'GET', url: '/vendor/uplot.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain('uPlot');
  });
});
