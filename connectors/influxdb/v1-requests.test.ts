import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxV1Http } from './v1-http.js';

// The v1 flavour's request shapes (auth, parameters, precision), recorded by a loopback HTTP server.
// What a real 1.x does with them: test/integration/influx-*.int.test.ts.

const seen: { method: string; url: string; auth?: string; body: string }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      if (req.url?.startsWith('/write')) res.writeHead(req.url.includes('db=broken') ? 500 : 204).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('InfluxV1Http requests', () => {
  it('sends basic auth, the database, retention policy and ms precision', async () => {
    seen.length = 0;
    const http = new InfluxV1Http({
      api: 'v1',
      url,
      database: 'my db',
      retention_policy: 'rp1',
      username: 'u',
      password: 'p:w',
      timeout_ms: 1_000,
    });
    await http.write(['m v=1 1', 'm v=2 2']);
    await http.query('SELECT 1');
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/write?db=my+db&precision=ms&rp=rp1',
        auth: `Basic ${Buffer.from('u:p:w').toString('base64')}`,
        body: 'm v=1 1\nm v=2 2',
      },
      { method: 'GET', url: '/query?db=my+db&q=SELECT+1&epoch=ms', auth: `Basic ${Buffer.from('u:p:w').toString('base64')}`, body: '' },
    ]);
  });

  it('classifies a 5xx as retriable and an unreachable server as retriable', async () => {
    await expect(new InfluxV1Http({ api: 'v1', url, database: 'broken', timeout_ms: 1_000 }).write(['m v=1 1'])).rejects.toMatchObject({
      code: 'broker_down',
      retriable: true,
    });
    await expect(
      new InfluxV1Http({ api: 'v1', url: 'http://127.0.0.1:9', database: 'd', timeout_ms: 1_000 }).write(['m v=1 1']),
    ).rejects.toMatchObject({ code: 'broker_down', retriable: true });
  });
});
