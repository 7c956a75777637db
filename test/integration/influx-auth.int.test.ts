import { Point } from '@influxdata/influxdb-client';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxSinkConfig, InfluxSourceConfig } from '../../connectors/influxdb/config.js';
import { toLine } from '../../connectors/influxdb/points.js';
import { InfluxSink } from '../../connectors/influxdb/sink.js';
import { InfluxSource } from '../../connectors/influxdb/source.js';
import { InfluxV1Http } from '../../connectors/influxdb/v1-http.js';
import type { TidecastError } from '../../src/core/errors.js';
import type { DeadLetter, Observation } from '../../src/core/types.js';
import { startLocalServer, type LocalServer } from '../helpers/influx-server.js';
import { FAST_RETRY, uniqueName, waitFor } from '../helpers/influx-test-kit.js';

// The connectors against an InfluxDB 1.x with auth-enabled = true: without credentials every request is
// refused with a clear auth_failed error; with the password taken from an environment variable, the
// source backfills and the sink writes as on an open server.

const USER = 'tidecast_admin';
const PASSWORD = randomBytes(12).toString('hex');
const STEP = 60_000;
const T0 = Date.UTC(2024, 4, 1);
let server: LocalServer;
let dir: string;

beforeAll(async () => {
  server = await startLocalServer('influxdb', { admin: { user: USER, password: PASSWORD } });
  dir = await mkdtemp(join(tmpdir(), 'tidecast-influx-auth-'));
  process.env.TIDECAST_TEST_INFLUX_PASSWORD = PASSWORD;
});
afterAll(async () => {
  await server?.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<TidecastError> {
  return p.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (err: TidecastError) => err,
  );
}

describe('InfluxDB 1.x with authentication', () => {
  it('refuses requests without or with wrong credentials, saying so', async () => {
    const none = new InfluxV1Http({ api: 'v1', url: server.url, database: 'x', timeout_ms: 5_000 });
    const anonymous = await refusal(none.command('CREATE DATABASE "x"'));
    expect([anonymous.code, anonymous.message]).toEqual([
      'auth_failed',
      expect.stringMatching(/HTTP 401.*check the connection's username\/password or token/),
    ]);
    const wrong = new InfluxV1Http({ api: 'v1', url: server.url, database: 'x', username: USER, password: 'not-it', timeout_ms: 5_000 });
    expect((await refusal(wrong.query('SHOW DATABASES'))).code).toBe('auth_failed');
  });

  it('backfills and writes with the password from an environment variable', async () => {
    const database = uniqueName('tidecast_auth');
    const connection = { api: 'v1', url: server.url, database, username: USER, password: { env: 'TIDECAST_TEST_INFLUX_PASSWORD' } };
    const http = new InfluxV1Http({ ...connection, api: 'v1', password: PASSWORD, timeout_ms: 10_000 });
    await http.command(`CREATE DATABASE "${database}"`);
    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        toLine(
          new Point('pump')
            .tag('unit', 'p1')
            .floatField('flow', i * 0.25)
            .timestamp(T0 + i * STEP),
        ) as string,
    );
    await http.write(lines);

    const dead: DeadLetter[] = [];
    const source = new InfluxSource(
      InfluxSourceConfig.parse({ connection, measurement: 'pump', fields: ['flow'], stream_tags: ['unit'] }),
      {
        deadLetter: (d) => dead.push(d),
        retry: FAST_RETRY,
      },
    );
    const seen: Observation[] = [];
    for await (const page of source.backfill({ start: T0, stop: T0 + 30 * STEP })) seen.push(...page);
    expect(seen.map((o) => [o.key, o.eventTime, o.fields.flow])).toEqual(
      Array.from({ length: 30 }, (_, i) => ['pump/p1', T0 + i * STEP, i * 0.25]),
    );

    const sink = new InfluxSink(InfluxSinkConfig.parse({ connection, spill_path: join(dir, 'spill.jsonl'), retry: FAST_RETRY }), {
      deadLetter: (d) => dead.push(d),
    });
    await sink.writeForecasts([
      {
        forecast: {
          pipeline: 'pumps',
          key: 'pump/p1',
          t: T0 + 30 * STEP,
          stepMs: STEP,
          modelVersion: 'v1',
          mean: Float64Array.of(7.5),
          lower: Float64Array.of(7),
          upper: Float64Array.of(8),
        },
        actual: 7.25,
      },
    ]);
    await sink.close();
    expect(dead).toEqual([]);
    const rows = await waitFor('the forecast', async () => {
      const series = await http.query('SELECT "mean", "lower", "upper" FROM "tidecast_forecast"');
      return series.length > 0 ? series.flatMap((s) => s.values.map((v) => v.slice(1))) : undefined;
    });
    expect(rows).toEqual([[7.5, 7, 8]]);
  });
});
