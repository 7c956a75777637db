import { afterEach, describe, expect, it } from 'vitest';
import type { StreamKey } from '../core/types.js';
import { createMetrics } from '../telemetry/metrics.js';
import { ForecastStore } from './forecast-store.js';
import { buildHttpApp } from './server.js';
import { MAX_PAGE_LIMIT, StreamsIndex } from './streams-page.js';

// GET /api/streams in pages: a walk over next_cursor sees every stream exactly once, in order, also
// while streams are added and removed; filters by pipeline, prefix and glob; bad parameters -> 400.
// And GET /api/models answers without retraining.

let apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

function setup() {
  const store = new ForecastStore({ capacity: 4, sparklinePoints: 4 });
  const { app } = buildHttpApp({ store, metrics: createMetrics(), health: () => ({ live: true, ready: true }) });
  apps.push(app);
  return { app, store };
}

/** Keys in a scrambled insertion order, so the index has to sort them. */
function fill(store: ForecastStore, pipeline: string, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const j = (i * 7919) % n;
    const key = `${pipeline}/site${j % 13}/s${j}`;
    store.recordActual(pipeline, key as StreamKey, 1000, j);
    keys.push(key);
  }
  return keys;
}

type Page = { streams: { key: string; pipeline: string; lastActual: { value: number } }[]; next_cursor: string | null };

async function walk(
  app: ReturnType<typeof setup>['app'],
  query: string,
  between?: (page: number) => void,
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/api/streams?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    const page = res.json() as Page;
    keys.push(...page.streams.map((s) => s.key));
    cursor = page.next_cursor;
    pages++;
    between?.(pages);
  } while (cursor !== null && pages < 10_000);
  return { keys, pages };
}

describe('GET /api/streams pages', () => {
  it('walks all streams exactly once, ordered by pipeline then key, with the usual fields', async () => {
    const { app, store } = setup();
    const all = [...fill(store, 'weather', 1234), ...fill(store, 'stocks', 567)];
    const { keys, pages } = await walk(app, 'limit=100');
    expect(keys).toHaveLength(all.length);
    expect(new Set(keys).size).toBe(all.length);
    const expected = [...all].sort((a, b) =>
      a.split('/')[0] === b.split('/')[0] ? (a < b ? -1 : 1) : a.split('/')[0] < b.split('/')[0] ? -1 : 1,
    );
    expect(keys).toEqual(expected);
    expect(pages).toBe(Math.ceil(all.length / 100));
    const first = (await app.inject({ method: 'GET', url: '/api/streams?limit=1' })).json() as Page;
    expect(first.streams[0].pipeline).toBe('stocks');
    expect(first.streams[0].lastActual.value).toBe(Number(first.streams[0].key.split('/s').pop()));
  });

  it('answers the default page of 500 and not more', async () => {
    const { app, store } = setup();
    fill(store, 'weather', 1200);
    const page = (await app.inject({ method: 'GET', url: '/api/streams' })).json() as Page;
    expect(page.streams).toHaveLength(500);
    expect(page.next_cursor).not.toBeNull();
  });

  it('sees streams added during the walk once, and survives removals', async () => {
    const { app, store } = setup();
    fill(store, 'weather', 300);
    // Added behind the cursor ("a..." sorts first) and ahead of it ("z..."): only those ahead show.
    const { keys } = await walk(app, 'limit=50', (page) => {
      if (page === 2) {
        store.recordActual('weather', 'weather/a-late' as StreamKey, 1, 1);
        store.recordActual('weather', 'weather/z-late' as StreamKey, 1, 1);
        store.removeStream('weather/site0/s0' as StreamKey);
      }
    });
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('weather/z-late');
    expect(keys).not.toContain('weather/a-late');
    const again = await walk(app, 'limit=50');
    expect(again.keys).toHaveLength(301);
    expect(again.keys).toContain('weather/a-late');
    expect(again.keys).not.toContain('weather/site0/s0');
    // Removed and added again between two requests (its stale entry still indexed): listed once.
    store.removeStream('weather/site1/s1' as StreamKey);
    store.recordActual('weather', 'weather/site1/s1' as StreamKey, 2, 2);
    const third = await walk(app, 'limit=50');
    expect(third.keys).toEqual(again.keys);
  });

  it('stays exact under churn: removals, re-additions (also into another pipeline), rebuilds', async () => {
    const { app, store } = setup();
    const live = new Map<string, string>(); // key -> pipeline
    const add = (pipeline: string, key: string) => {
      store.recordActual(pipeline, key as StreamKey, 0, 1);
      live.set(key, pipeline);
    };
    for (const k of fill(store, 'weather', 3000)) live.set(k, 'weather');
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 6; round++) {
      const keys = [...live.keys()];
      const removed: string[] = [];
      for (let i = 0; i < 400; i++) {
        const k = keys[rand(keys.length)];
        if (store.removeStream(k as StreamKey)) {
          live.delete(k);
          removed.push(k);
        }
      }
      for (let i = 0; i < 300; i++) add('weather', `weather/new${round}/s${i}`);
      for (let i = 0; i < 50 && i < removed.length; i++) add(i % 2 === 0 ? 'weather' : 'stocks', removed[i]);
      const { keys: listed } = await walk(app, 'limit=997');
      const want = [...live].sort((x, y) => (x[1] === y[1] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : 1)).map((e) => e[0]);
      expect(listed, `round ${round}`).toEqual(want);
    }
  });

  it('filters by pipeline, prefix and glob', async () => {
    const { app, store } = setup();
    const weather = fill(store, 'weather', 400);
    fill(store, 'stocks', 100);
    const byPipeline = await walk(app, 'pipeline=weather&limit=77');
    expect(byPipeline.keys).toHaveLength(400);
    expect(byPipeline.keys.every((k) => k.startsWith('weather/'))).toBe(true);
    const byPrefix = await walk(app, `prefix=${encodeURIComponent('weather/site3/')}&limit=10`);
    expect(new Set(byPrefix.keys)).toEqual(new Set(weather.filter((k) => k.startsWith('weather/site3/'))));
    const byGlob = await walk(app, `glob=${encodeURIComponent('*/site1?/*')}`);
    const want = [...weather, ...fill(new ForecastStore(), 'stocks', 100)].filter((k) => /^[^/]*\/site1[^/]\/[^/]*$/.test(k));
    expect(want.length).toBeGreaterThan(0);
    expect(new Set(byGlob.keys)).toEqual(new Set(want));
    const none = (await app.inject({ method: 'GET', url: '/api/streams?glob=nothing%2F**' })).json() as Page;
    expect(none).toEqual({ streams: [], next_cursor: null });
  });

  it('rejects bad limits, cursors and oversized filters with 400', async () => {
    const { app } = setup();
    for (const q of [
      'limit=0',
      `limit=${MAX_PAGE_LIMIT + 1}`,
      'limit=abc',
      'cursor=not-a-cursor',
      `glob=${'*'.repeat(600)}`,
      'limit=1&limit=2',
    ]) {
      const res = await app.inject({ method: 'GET', url: `/api/streams?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error).toBe('bad_request');
    }
  });

  it('sorts a large index in chunks, letting the event loop run between them, and gets it exact', async () => {
    const store = new ForecastStore({ capacity: 1, sparklinePoints: 1 });
    const keys = fill(store, 'weather', 5000).concat(fill(store, 'stocks', 1000));
    const index = new StreamsIndex(store, { syncMergeMax: 100, chunk: 256 });
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const listed: string[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await index.page({ limit: 5000, ...(cursor === undefined ? {} : { cursor }) });
        listed.push(...page.streams.map((x) => x.key));
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
    } finally {
      clearInterval(ticker);
    }
    expect(turns).toBeGreaterThan(3);
    const byPipeline = (p: string) => keys.filter((k) => k.startsWith(`${p}/`)).sort();
    expect(listed).toEqual([...byPipeline('stocks'), ...byPipeline('weather')]);
    // 150 more (over syncMergeMax): a chunked rebuild again, still exact.
    const more = fill(store, 'health', 150);
    const again = await index.page({ limit: 5000 });
    expect(again.streams.slice(0, 150).map((x) => x.key)).toEqual([...more].sort());
  });

  it("refreshes from the store's added log: new streams cost what changed, no walk over every stream", async () => {
    const store = new ForecastStore({ capacity: 1, sparklinePoints: 1, addedLogCapacity: 500 });
    const keys = fill(store, 'weather', 20_000);
    const index = new StreamsIndex(store);
    const listAll = async (): Promise<string[]> => {
      const out: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await index.page({ limit: 5000, ...(cursor === undefined ? {} : { cursor }) });
        out.push(...page.streams.map((x) => x.key));
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      return out;
    };
    expect(await listAll()).toEqual([...keys].sort());
    let walks = 0;
    const forEach = store.forEachStream.bind(store);
    store.forEachStream = (f, skip) => {
      walks++;
      forEach(f, skip);
    };
    // A few new streams, one removed and added again, one added and removed before the refresh.
    const more = ['weather/zz/1', 'weather/aa/2', 'weather/m/3'];
    for (const k of more) store.recordActual('weather', k as StreamKey, 0, 1);
    store.removeStream(keys[5] as StreamKey);
    store.recordActual('weather', keys[5] as StreamKey, 0, 1);
    store.recordActual('weather', 'weather/gone' as StreamKey, 0, 1);
    store.removeStream('weather/gone' as StreamKey);
    expect(await listAll()).toEqual([...keys, ...more].sort());
    expect(walks).toBe(0);
    // More new streams than the log holds (but few enough to merge): the index rebuilds, still exact.
    const many = fill(store, 'stocks', 600);
    expect(await listAll()).toEqual([...many].sort().concat([...keys, ...more].sort()));
    expect(walks).toBe(1);
  });

  it('inspects at most the scan budget per request when a filter matches almost nothing', async () => {
    const store = new ForecastStore({ capacity: 1, sparklinePoints: 1 });
    const budget = 1000;
    const n = budget + 10;
    for (let i = 0; i < n; i++) store.recordActual('p', `p/${String(i).padStart(7, '0')}` as StreamKey, 0, i);
    const index = new StreamsIndex(store, { scanBudget: budget });
    const first = await index.page({ limit: 10, glob: 'p/9999999' });
    expect(first.streams).toEqual([]);
    expect(first.next_cursor).not.toBeNull();
    const second = await index.page({ limit: 10, prefix: `p/${String(n - 1).padStart(7, '0')}`, cursor: first.next_cursor as string });
    expect(second.streams.map((s) => s.lastActual?.value)).toEqual([n - 1]);
    expect(second.next_cursor).toBeNull();
  });
});

describe('GET /api/models', () => {
  it('answers without retraining: each pipeline with its current model and training off', async () => {
    const { app, store } = setup();
    store.upsertPipeline({ name: 'weather', modelVersion: 'gru-fit-1', model: { cell: 'gru', layers: 1, units: 16, horizon: 12 } });
    store.setModelVersion('weather', { version: 'gru-fit-2', since: 1, reason: 'restored' });
    const res = await app.inject({ method: 'GET', url: '/api/models' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      pipelines: [
        {
          pipeline: 'weather',
          live: 'gru-fit-2',
          versions: [],
          training: 'off',
          model: { cell: 'gru', layers: 1, units: 16, horizon: 12 },
        },
      ],
    });
    expect((await app.inject({ method: 'POST', url: '/api/models/weather/rollback' })).statusCode).toBe(404);
  });
});
