// InfluxDB connector throughput against real local servers (influxd 1.x, VictoriaMetrics for the v2 write
// path), each beside its peer: the bare HTTP /write and one unpaged InfluxQL query for v1, and the client
// library's own WriteApi (default batching) for v2.
//   npm run bench:influxdb            a table
//   npm run bench:influxdb -- --json  one JSON object on stdout
import { InfluxDB, type Point } from '@influxdata/influxdb-client';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxSinkConfig, InfluxSourceConfig } from '../connectors/influxdb/config.js';
import { forecastPoints, toLine } from '../connectors/influxdb/points.js';
import { InfluxSink } from '../connectors/influxdb/sink.js';
import { InfluxSource } from '../connectors/influxdb/source.js';
import { InfluxV1Http } from '../connectors/influxdb/v1-http.js';
import type { Forecast } from '../src/core/types.js';
import { installInfluxServers, startLocalServer } from '../test/helpers/influx-server.js';

const JSON_OUT = process.argv.includes('--json');
const FORECASTS = 2_000;
const H = 12;
const RUNS = 3;
const STEP = 60_000;
const T0 = Date.UTC(2024, 0, 1);

const forecasts: Forecast[] = Array.from({ length: FORECASTS }, (_, i) => {
  const m = Float64Array.from({ length: H }, (_, h) => 20 + Math.sin((i + h) / 24) * 5);
  return {
    pipeline: 'bench',
    key: `bench/s${i % 20}`,
    t: T0 + Math.floor(i / 20) * STEP,
    stepMs: STEP,
    modelVersion: 'v1',
    mean: m,
    lower: m.map((x) => x - 1),
    upper: m.map((x) => x + 1),
  };
});
const POINTS = FORECASTS * H;
const lines = forecasts.flatMap((f) => forecastPoints('peer', f).map((p) => toLine(p) as string));

interface Row {
  readonly case: string;
  readonly peer: boolean;
  readonly perSec: number;
  readonly unit: string;
}

async function median(run: (i: number) => Promise<void>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run(i);
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[RUNS >> 1];
}

async function main(): Promise<void> {
  await installInfluxServers();
  const influx = await startLocalServer('influxdb');
  const vm = await startLocalServer('victoria-metrics');
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-bench-'));
  const rows: Row[] = [];
  try {
    const http = (database: string) => new InfluxV1Http({ api: 'v1', url: influx.url, database, timeout_ms: 30_000 });
    for (let i = 0; i < RUNS; i++) await http('b').command(`CREATE DATABASE "bench${i}"`);
    for (let i = 0; i < RUNS; i++) await http('b').command(`CREATE DATABASE "peer${i}"`);

    const encode = await median(async () => {
      for (const f of forecasts) for (const p of forecastPoints('x', f)) toLine(p);
    });
    rows.push({ case: 'encode forecasts with Point', peer: false, perSec: POINTS / (encode / 1000), unit: 'points/s' });

    const sinkV1 = await median(async (i) => {
      const sink = new InfluxSink(
        InfluxSinkConfig.parse({ connection: { api: 'v1', url: influx.url, database: `bench${i}` }, spill_path: join(dir, `v1-${i}`) }),
      );
      await sink.writeForecasts(forecasts.map((forecast) => ({ forecast })));
      await sink.close();
    });
    rows.push({ case: 'v1 sink -> influxd 1.x (batch 5000)', peer: false, perSec: POINTS / (sinkV1 / 1000), unit: 'points/s' });
    const rawV1 = await median(async (i) => {
      for (let k = 0; k < lines.length; k += 5000) await http(`peer${i}`).write(lines.slice(k, k + 5000));
    });
    rows.push({ case: 'bare POST /write, same batches (peer)', peer: true, perSec: POINTS / (rawV1 / 1000), unit: 'points/s' });

    const sinkV2 = await median(async (i) => {
      const sink = new InfluxSink(
        InfluxSinkConfig.parse({
          connection: { api: 'v2', url: vm.url, token: 't', org: 'o', bucket: `b${i}` },
          spill_path: join(dir, `v2-${i}`),
        }),
      );
      await sink.writeForecasts(forecasts.map((forecast) => ({ forecast })));
      await sink.close();
    });
    rows.push({ case: 'v2 sink -> VictoriaMetrics (batch 5000)', peer: false, perSec: POINTS / (sinkV2 / 1000), unit: 'points/s' });
    const libV2 = await median(async (i) => {
      const api = new InfluxDB({ url: vm.url, token: 't' }).getWriteApi('o', `p${i}`, 'ms');
      for (const f of forecasts) api.writePoints(forecastPoints('lib', f).map((p: Point) => p));
      await api.close();
    });
    rows.push({ case: 'client WriteApi, default batching (peer)', peer: true, perSec: POINTS / (libV2 / 1000), unit: 'points/s' });

    const src = (page: number) =>
      new InfluxSource(
        InfluxSourceConfig.parse({
          connection: { api: 'v1', url: influx.url, database: 'bench0' },
          measurement: 'tidecast_forecast',
          fields: ['mean', 'lower', 'upper'],
          stream_tags: ['stream', 'horizon'],
          page_size: page,
        }),
      );
    const backfill = await median(async () => {
      let n = 0;
      for await (const page of src(5000).backfill({ start: T0, stop: T0 + 10 * 86_400_000 })) n += page.length;
      if (n !== POINTS) throw new Error(`backfill read ${n} of ${POINTS}`);
    });
    rows.push({ case: 'v1 backfill, pages of 5000', peer: false, perSec: POINTS / (backfill / 1000), unit: 'rows/s' });
    const single = await median(async () => {
      const [s] = await http('bench0').query(
        `SELECT "mean", "lower", "upper", "stream"::tag, "horizon"::tag FROM "tidecast_forecast" ORDER BY time ASC`,
      );
      if (s.values.length !== POINTS) throw new Error(`query read ${s.values.length}`);
    });
    rows.push({ case: 'one unpaged InfluxQL query (peer)', peer: true, perSec: POINTS / (single / 1000), unit: 'rows/s' });
  } finally {
    await Promise.all([influx.destroy(), vm.destroy(), rm(dir, { recursive: true, force: true })]);
  }
  const round = (r: Row) => ({ ...r, perSec: Math.round(r.perSec) });
  if (JSON_OUT) {
    process.stdout.write(
      `${JSON.stringify({ benchmark: 'influxdb', points: POINTS, runs: RUNS, statistic: 'median', results: rows.map(round) })}\n`,
    );
  } else {
    console.log(`InfluxDB connector, ${POINTS} points (${FORECASTS} forecasts x ${H} horizons), median of ${RUNS}`);
    console.table(rows.map(round));
  }
}

await main();
