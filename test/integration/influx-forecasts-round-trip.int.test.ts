import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InfluxSinkConfig, InfluxSourceConfig } from '../../connectors/influxdb/config.js';
import { InfluxSink } from '../../connectors/influxdb/sink.js';
import { InfluxSource } from '../../connectors/influxdb/source.js';
import { InfluxV1Http } from '../../connectors/influxdb/v1-http.js';
import type { DeadLetter, Forecast } from '../../src/core/types.js';
import { FAST_RETRY, createDatabase } from '../helpers/influx-test-kit.js';

// Forecasts and alerts written to a real InfluxDB 1.x through the v1 flavour, read back with InfluxQL.

const STEP = 60_000;
const T0 = Date.UTC(2024, 2, 1);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-rt-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function forecastAt(stream: string, i: number, version: string): Forecast {
  const base = i * 1.25 + (stream.endsWith('b') ? 100 : 0);
  return {
    pipeline: 'weather',
    key: stream,
    t: T0 + i * STEP,
    stepMs: STEP,
    modelVersion: version,
    mean: Float64Array.of(base + 0.5, base + 1.5, base + 2.5),
    lower: Float64Array.of(base - 1, base - 2, base - 3),
    upper: Float64Array.of(base + 1, base + 2, base + 3.125),
  };
}

describe('InfluxDB 1.x forecast and alert sink', () => {
  it('writes forecasts (with actuals) and alerts that read back equal', async () => {
    const url = inject('influxV1Url');
    const database = await createDatabase(url);
    const dead: DeadLetter[] = [];
    const cfg = InfluxSinkConfig.parse({
      connection: { api: 'v1', url, database },
      batch_size: 7,
      spill_path: join(dir, 'rt.jsonl'),
      retry: FAST_RETRY,
    });
    const sink = new InfluxSink(cfg, { deadLetter: (d) => dead.push(d) });
    const streams = ['weather/KSEA/temp c', 'weather/KSEA,b=1/b'];
    const actual = (s: string, i: number): number => (s.endsWith('b') ? -i : i * 10);
    for (let i = 0; i < 6; i++) {
      const version = i < 3 ? 'v1' : 'v2';
      await sink.writeForecasts(streams.map((s) => ({ forecast: forecastAt(s, i, version), actual: actual(s, i) })));
    }
    await sink.writeAlerts([
      {
        pipeline: 'weather',
        stream: streams[0],
        time: T0 + 5 * STEP,
        state: 'firing',
        severity: 'critical',
        score: 4.25,
        actual: 50,
        rule: 'temp "high"',
      },
    ]);
    await sink.close();
    expect(dead).toEqual([]);

    const http = new InfluxV1Http({ api: 'v1', url, database, timeout_ms: 10_000 });
    const series = await http.query(
      `SELECT "mean", "lower", "upper", "actual" FROM "tidecast_forecast" GROUP BY "stream", "horizon", "model_version", "pipeline"`,
    );
    const got = new Map<string, unknown[]>();
    for (const s of series)
      for (const v of s.values) got.set(`${s.tags?.stream}|${s.tags?.horizon}|${s.tags?.model_version}|${v[0]}`, v.slice(1));

    // Expected from the inputs: forecast i, horizon h lands at t_i + h·step; the actual at t_j goes into the
    // forecast issued at t_j - h·step (when one was) under that forecast's model version.
    const expected = new Map<string, unknown[]>();
    for (const s of streams) {
      for (let i = 0; i < 6; i++) {
        const f = forecastAt(s, i, i < 3 ? 'v1' : 'v2');
        for (let h = 1; h <= 3; h++) {
          const t = f.t + h * STEP;
          const j = i + h; // the step whose actual matches this point, if it was written
          expected.set(`${s}|${h}|${f.modelVersion}|${t}`, [f.mean[h - 1], f.lower[h - 1], f.upper[h - 1], j < 6 ? actual(s, j) : null]);
        }
      }
    }
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));

    const alerts = await http.query(`SELECT "score", "actual" FROM "tidecast_alert" GROUP BY *`);
    expect(alerts.map((s) => [s.tags, s.values])).toEqual([
      [
        { pipeline: 'weather', rule: 'temp "high"', severity: 'critical', state: 'firing', stream: streams[0] },
        [[T0 + 5 * STEP, 4.25, 50]],
      ],
    ]);
  });

  it('dead-letters non-finite values and writes the rest', async () => {
    const url = inject('influxV1Url');
    const database = await createDatabase(url);
    const dead: DeadLetter[] = [];
    const cfg = InfluxSinkConfig.parse({ connection: { api: 'v1', url, database }, spill_path: join(dir, 'nan.jsonl'), retry: FAST_RETRY });
    const sink = new InfluxSink(cfg, { deadLetter: (d) => dead.push(d) });
    const f = { ...forecastAt('s', 0, 'v'), mean: Float64Array.of(1, Number.NaN, 3) };
    await sink.writeForecasts([{ forecast: f }]);
    await sink.close();
    expect(dead.map((d) => [d.code, d.detail])).toEqual([['non_finite', 'Not written (InfluxDB stores finite floats only): mean=NaN']]);
    const http = new InfluxV1Http({ api: 'v1', url, database, timeout_ms: 10_000 });
    const [s] = await http.query(`SELECT "mean", "lower" FROM "tidecast_forecast"`);
    expect(s.values).toEqual([
      [T0 + STEP, 1, f.lower[0]],
      [T0 + 2 * STEP, null, f.lower[1]],
      [T0 + 3 * STEP, 3, f.lower[2]],
    ]);
  });

  it('writes to and reads from a named retention policy, not the default one', async () => {
    const url = inject('influxV1Url');
    const database = await createDatabase(url);
    const http = new InfluxV1Http({ api: 'v1', url, database, timeout_ms: 10_000 });
    await http.command(`CREATE RETENTION POLICY "long" ON "${database}" DURATION 1000w REPLICATION 1`);
    const connection = { api: 'v1' as const, url, database, retention_policy: 'long' };
    const sink = new InfluxSink(InfluxSinkConfig.parse({ connection, spill_path: join(dir, 'rp.jsonl'), retry: FAST_RETRY }));
    await sink.writeForecasts([{ forecast: forecastAt('rp/a', 0, 'v') }]);
    await sink.close();
    expect(await http.query(`SELECT count("mean") FROM "tidecast_forecast"`)).toEqual([]); // default policy: empty
    const source = new InfluxSource(
      InfluxSourceConfig.parse({ connection, measurement: 'tidecast_forecast', fields: ['mean'], stream_tags: ['horizon'] }),
    );
    const got: [string, number, number][] = [];
    for await (const page of source.backfill({ start: T0, stop: T0 + 10 * STEP }))
      for (const o of page) got.push([o.key, o.eventTime, o.fields.mean]);
    const f = forecastAt('rp/a', 0, 'v');
    expect(got).toEqual([1, 2, 3].map((h) => [`tidecast_forecast/${h}`, T0 + h * STEP, f.mean[h - 1]]));
  });
});
