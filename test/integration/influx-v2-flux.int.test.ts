import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxSinkConfig, InfluxSourceConfig } from '../../connectors/influxdb/config.js';
import { InfluxSink } from '../../connectors/influxdb/sink.js';
import { InfluxSource } from '../../connectors/influxdb/source.js';
import type { Observation } from '../../src/core/types.js';
import { FAST_RETRY, uniqueName, waitFor } from '../helpers/influx-test-kit.js';

// The Flux query path against a real InfluxDB 2.x, when one is given:
//   INFLUXDB_V2_URL=http://127.0.0.1:8086 INFLUXDB_V2_TOKEN=... INFLUXDB_V2_ORG=... [INFLUXDB_V2_BUCKET=...]
// Points are written with the v2 sink under a unique measurement, then read back by backfill and tail.

const URL_ = process.env.INFLUXDB_V2_URL;
const TOKEN = process.env.INFLUXDB_V2_TOKEN;
const ORG = process.env.INFLUXDB_V2_ORG;
const BUCKET = process.env.INFLUXDB_V2_BUCKET ?? 'tidecast_test';
const configured = Boolean(URL_ && TOKEN && ORG);
if (!configured) {
  console.warn(
    'Skipping the Flux tests: set INFLUXDB_V2_URL, INFLUXDB_V2_TOKEN and INFLUXDB_V2_ORG (and INFLUXDB_V2_BUCKET, default tidecast_test) to run them against an InfluxDB 2.x.',
  );
}

const STEP = 60_000;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-flux-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(!configured)('Flux query path against InfluxDB 2.x', () => {
  it('reads back by backfill and tail what the v2 sink wrote, once each, in order', async () => {
    const connection = { api: 'v2' as const, url: URL_ as string, token: TOKEN as string, org: ORG as string, bucket: BUCKET };
    const measurement = uniqueName('tidecast_flux');
    const t0 = Date.now() - 3_600_000;
    const sink = new InfluxSink(
      InfluxSinkConfig.parse({ connection, forecast_measurement: measurement, spill_path: join(dir, 's.jsonl'), retry: FAST_RETRY }),
    );
    const write = (from: number, n: number): Promise<void> =>
      sink.writeForecasts(
        Array.from({ length: n }, (_, k) => ({
          forecast: {
            pipeline: 'p',
            key: 'flux/a',
            t: t0 + (from + k) * STEP,
            stepMs: STEP,
            modelVersion: 'v',
            mean: Float64Array.of(from + k),
            lower: Float64Array.of(0),
            upper: Float64Array.of(1),
          },
        })),
      );
    await write(0, 25);
    const source = new InfluxSource(
      InfluxSourceConfig.parse({
        connection,
        measurement,
        fields: ['mean'],
        stream_tags: ['stream'],
        key_prefix: 'x',
        page_size: 7,
        poll_interval_ms: 100,
        overlap_ms: 10 * STEP,
      }),
      { retry: FAST_RETRY },
    );
    const seen: Observation[] = [];
    for await (const page of source.backfill({ start: t0, stop: Date.now() })) seen.push(...page);
    expect(seen.map((o) => o.fields.mean)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const abort = new AbortController();
    const tailing = (async () => {
      for await (const page of source.tail(abort.signal)) seen.push(...page);
    })();
    await write(25, 10);
    await waitFor('tailed points', () => (seen.length >= 35 ? true : undefined));
    const polls = source.stats.polls;
    await waitFor('more polls', () => (source.stats.polls >= polls + 3 ? true : undefined));
    abort.abort();
    await tailing;
    await sink.close();
    expect(seen.map((o) => [o.key, o.eventTime, o.fields.mean])).toEqual(
      Array.from({ length: 35 }, (_, i) => ['x/flux/a', t0 + (i + 1) * STEP, i]),
    );
  });
});
