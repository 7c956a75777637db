import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxSinkConfig } from '../../connectors/influxdb/config.js';
import { InfluxSink } from '../../connectors/influxdb/sink.js';
import { InfluxV1Http } from '../../connectors/influxdb/v1-http.js';
import type { Forecast } from '../../src/core/types.js';
import { startLocalServer, type LocalServer } from '../helpers/influx-server.js';
import { FAST_RETRY, createDatabase, waitFor } from '../helpers/influx-test-kit.js';

// The server is stopped for a few seconds while forecasts keep coming: they are buffered, spilled past
// the bound, and after it returns every point is in the database.

const STEP = 1_000;
const T0 = Date.UTC(2024, 8, 1);
let server: LocalServer;
let dir: string;

beforeAll(async () => {
  server = await startLocalServer('influxdb'); // its own server: this test stops it
  dir = await mkdtemp(join(tmpdir(), 'tidecast-outage-'));
});
afterAll(async () => {
  await server?.destroy();
  await rm(dir, { recursive: true, force: true });
});

const forecast = (stream: string, i: number): Forecast => ({
  pipeline: 'outage',
  key: stream,
  t: T0 + i * STEP,
  stepMs: STEP,
  modelVersion: 'v1',
  mean: Float64Array.of(i),
  lower: Float64Array.of(i - 1),
  upper: Float64Array.of(i + 1),
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('InfluxDB sink during an outage', () => {
  it('loses no point when the server is down for a few seconds mid-stream', async () => {
    const database = await createDatabase(server.url);
    const spillPath = join(dir, 'spill.jsonl');
    const cfg = InfluxSinkConfig.parse({
      connection: { api: 'v1', url: server.url, database, timeout_ms: 2_000 },
      batch_size: 50,
      max_buffered_points: 200,
      spill_path: spillPath,
      retry: { ...FAST_RETRY, max_ms: 300 },
    });
    const sink = new InfluxSink(cfg);
    const streams = ['a', 'b', 'c', 'd'];
    const writes: Promise<void>[] = [];
    const N = 300;
    let stopped: Promise<void> | undefined;
    for (let i = 0; i < N; i++) {
      // Not awaited one by one: the producer keeps going while the sink is down, as a pipeline would.
      writes.push(sink.writeForecasts(streams.map((s) => ({ forecast: forecast(s, i) }))));
      if (i === 60) stopped = server.stop();
      if (i === 240) {
        await stopped;
        await waitFor('writes failing', () => (sink.stats.failures > 0 ? true : undefined));
        await sleep(2_000);
        expect(sink.degraded).toBe(true);
        await server.restart();
      }
      await sleep(10);
    }
    await Promise.all(writes);
    expect(sink.stats.spilled).toBeGreaterThan(0);
    const http = new InfluxV1Http({ api: 'v1', url: server.url, database, timeout_ms: 10_000 });
    const count = async (): Promise<number> => {
      const [s] = await http.query(`SELECT count("mean") FROM "tidecast_forecast"`);
      return Number(s?.values[0]?.[1] ?? 0);
    };
    await waitFor('every point in the database', async () => ((await count()) === N * streams.length ? true : undefined), 30_000, 200);
    await sink.close();

    const series = await http.query(`SELECT "mean", "lower", "upper" FROM "tidecast_forecast" GROUP BY "stream"`);
    expect(series.map((s) => s.tags?.stream)).toEqual(streams);
    for (const s of series) {
      expect(s.values).toEqual(Array.from({ length: N }, (_, i) => [T0 + (i + 1) * STEP, i, i - 1, i + 1]));
    }
    expect(sink.stats.replayed).toBeGreaterThanOrEqual(sink.stats.spilled);
    expect(await readFile(spillPath, 'utf8')).toBe('');
  });
});
