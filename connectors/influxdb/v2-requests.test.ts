import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../src/core/types.js';
import { InfluxSinkConfig, InfluxSourceConfig } from './config.js';
import { fluxPage } from './flux.js';
import { InfluxSink } from './sink.js';
import { InfluxSource } from './source.js';

// The v2 flavour's requests, as @influxdata/influxdb-client sends them, recorded by a loopback HTTP
// server. Semantics against a real 2.x are in test/integration/influx-v2-flux.int.test.ts.

interface Recorded {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

const recorded: Recorded[] = [];
let server: Server;
let url: string;
let dir: string;

// One page of the pivoted Flux result (annotated CSV, as InfluxDB 2.x answers).
const CSV = [
  '#datatype,string,long,dateTime:RFC3339,double,double,string',
  '#group,false,false,false,false,false,false',
  '#default,_result,,,,,',
  ',result,table,_time,temp_c,rh,station',
  ',,0,2024-01-01T00:00:00Z,1.5,80,KSEA',
  ',,0,2024-01-01T00:01:00Z,2.5,,KSEA',
  ',,0,2024-01-01T00:01:00Z,-3,70,KPDX',
  '',
].join('\r\n');

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-v2req-'));
  server = createServer((req, res) => {
    void body(req).then((b) => {
      recorded.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: b });
      if (req.url?.startsWith('/api/v2/query')) {
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(CSV);
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const connection = () => ({ api: 'v2' as const, url, token: 'secret-token', org: 'my org', bucket: 'sensors' });

describe('v2 flavour requests', () => {
  it('queries with Flux over POST /api/v2/query, token auth, and maps the pivoted rows to observations', async () => {
    recorded.length = 0;
    const cfg = InfluxSourceConfig.parse({
      connection: connection(),
      measurement: 'weather',
      fields: ['temp_c', 'rh'],
      stream_tags: ['station'],
      page_size: 1000,
    });
    const source = new InfluxSource(cfg);
    const start = Date.UTC(2024, 0, 1);
    const stop = Date.UTC(2024, 0, 2);
    const got: Observation[] = [];
    for await (const page of source.backfill({ start, stop })) got.push(...page);

    expect(recorded).toHaveLength(1);
    const [req] = recorded;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v2/query?org=my%20org');
    expect(req.auth).toBe('Token secret-token');
    const sent = JSON.parse(req.body) as { query: string };
    expect(sent.query).toBe(
      fluxPage(
        { measurement: 'weather', fields: ['temp_c', 'rh'], tags: ['station'], tagFilter: {}, start, stop, limit: 1000, offset: 0 },
        'sensors',
      ),
    );
    expect(got.map((o) => [o.key, o.eventTime, o.fields])).toEqual([
      ['weather/KSEA', start, { temp_c: 1.5, rh: 80 }],
      ['weather/KSEA', start + 60_000, { temp_c: 2.5 }],
      ['weather/KPDX', start + 60_000, { temp_c: -3, rh: 70 }],
    ]);
  });

  it('writes line protocol made by Point to /api/v2/write with org, bucket and precision=ms', async () => {
    recorded.length = 0;
    const cfg = InfluxSinkConfig.parse({ connection: connection(), spill_path: join(dir, 'spill.jsonl') });
    const sink = new InfluxSink(cfg);
    await sink.writeAlerts([
      { pipeline: 'p', stream: 's', time: 1_000, state: 'firing', severity: 'warning', score: 3, actual: 7, rule: 'r' },
    ]);
    await sink.close();
    expect(recorded).toHaveLength(1);
    const [req] = recorded;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v2/write?org=my%20org&bucket=sensors&precision=ms');
    expect(req.auth).toBe('Token secret-token');
    expect(req.body).toBe('tidecast_alert,pipeline=p,rule=r,severity=warning,state=firing,stream=s actual=7,score=3 1000');
  });
});
