import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Silences } from '../alerting/silences.js';
import type { ModelsApi } from '../retraining/models-api.js';
import type { ModelVersionMeta } from '../retraining/model-registry.js';
import { createMetrics } from '../telemetry/metrics.js';
import { apiToken, assertSafeBind, isLoopback, loadHttpAuth, scopeOf, type HttpAuth } from './auth.js';
import { ForecastStore } from './forecast-store.js';
import { buildHttpApp, startHttpServer, type HttpServerOptions, type IngestHandler, type SilenceApi } from './server.js';
import { loadTls } from './tls.js';

// Tokens by scope, cross-origin writes, content types, the refuse-to-start rule, TLS, forced promotion.

const READ = 'r-secret-token-1';
const WRITE = 'w-secret-token-2';
const TOKENS = [apiToken(READ, 'read'), apiToken(WRITE, 'write')];
const AUTH: HttpAuth = { tokens: TOKENS };
const root = await mkdtemp(join(tmpdir(), 'tidecast-http-security-'));
afterAll(() => rm(root, { recursive: true, force: true }));

let apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

function setup(over: Partial<HttpServerOptions> = {}) {
  const silences = new Silences();
  const ingested: string[] = [];
  const ingest: IngestHandler = async (body) => {
    ingested.push(body);
    return { accepted: 1, rejected: 0, errors: [] };
  };
  const api: SilenceApi = {
    list: () => silences.listSilences(),
    add: (i) => silences.addSilence(i),
    remove: (id) => silences.removeSilence(id),
  };
  const { app } = buildHttpApp({
    store: new ForecastStore(),
    metrics: createMetrics(),
    health: () => ({ live: true, ready: true }),
    ingest: new Map([['weather', ingest]]),
    silences: new Map([['weather', api]]),
    ...over,
  });
  apps.push(app);
  return { app, silences, ingested };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const SILENCE = JSON.stringify({ pattern: 'weather/**', starts_at: 0, ends_at: 10 });

describe('bearer tokens', () => {
  it('reads need a read or write token: 401 without or with a wrong one, open probes and dashboard', async () => {
    const { app } = setup({ auth: AUTH });
    const none = await app.inject({ method: 'GET', url: '/api/pipelines' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tidecast"');
    expect((await app.inject({ method: 'GET', url: '/api/pipelines', headers: bearer('nope') })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/pipelines', headers: { authorization: `Basic ${READ}` } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/pipelines', headers: bearer(READ) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: bearer(WRITE) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
  });

  it('ingest needs a write token for JSON and line protocol alike: 401 without, 403 with a read token', async () => {
    const { app, ingested } = setup({ auth: AUTH });
    const bodies = [
      ['application/json', '{"stream":"s","timestamp":1,"value":2}'],
      ['text/plain', 'temp,stream=a value=1 1000'],
    ] as const;
    for (const [i, [type, payload]] of bodies.entries()) {
      const post = (headers: Record<string, string>) =>
        app.inject({ method: 'POST', url: '/api/ingest', headers: { 'content-type': type, ...headers }, payload });
      expect((await post({})).statusCode).toBe(401);
      expect((await post(bearer('wrong'))).statusCode).toBe(401);
      const read = await post(bearer(READ));
      expect(read.statusCode).toBe(403);
      expect(read.json().error).toBe('insufficient_scope');
      expect(ingested).toHaveLength(i); // none of the refused ones reached the handler
      expect((await post(bearer(WRITE))).statusCode).toBe(200);
    }
    expect(ingested).toEqual(bodies.map(([, b]) => b));
  });

  it('silences create/delete and model promote/rollback need a write token', async () => {
    const { app, silences } = setup({ auth: AUTH, models: fakeModels([]) });
    const headers = (t: string) => ({ 'content-type': 'application/json', ...bearer(t) });
    expect((await app.inject({ method: 'POST', url: '/api/silences', headers: headers(READ), payload: SILENCE })).statusCode).toBe(403);
    expect(silences.listSilences()).toHaveLength(0);
    const created = await app.inject({ method: 'POST', url: '/api/silences', headers: headers(WRITE), payload: SILENCE });
    expect(created.statusCode).toBe(201);
    expect((await app.inject({ method: 'DELETE', url: `/api/silences/${created.json().id}`, headers: bearer(READ) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `/api/silences/${created.json().id}` })).statusCode).toBe(401);
    expect(silences.listSilences()).toHaveLength(1);
    expect((await app.inject({ method: 'DELETE', url: `/api/silences/${created.json().id}`, headers: bearer(WRITE) })).statusCode).toBe(
      204,
    );
    expect((await app.inject({ method: 'POST', url: '/api/models/weather/rollback', headers: bearer(READ) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/models/weather/promote/v1', headers: bearer(READ) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/models/weather/rollback', headers: bearer(WRITE) })).statusCode).toBe(200);
  });

  it('compares by digest against every token; the best scope wins', () => {
    expect(scopeOf(TOKENS, WRITE)).toBe('write');
    expect(scopeOf(TOKENS, READ)).toBe('read');
    expect(scopeOf(TOKENS, READ.slice(0, -1))).toBeUndefined();
    expect(scopeOf([apiToken('same', 'read'), apiToken('same', 'write')], 'same')).toBe('write');
  });

  it('reads tokens from env or file, and fails the start when one is missing', async () => {
    const file = join(root, 'token');
    await writeFile(file, `${WRITE}\n`);
    const auth = await loadHttpAuth(
      {
        tokens: [
          { scope: 'read', env: 'TC_READ' },
          { scope: 'write', file, name: 'writer' },
        ],
      },
      { TC_READ: READ },
    );
    if (auth === undefined || auth === 'none') throw new Error('tokens expected');
    expect(auth.tokens.map((t) => [t.name, t.scope])).toEqual([
      ['tokens[0]', 'read'],
      ['writer', 'write'],
    ]);
    expect(scopeOf(auth.tokens, WRITE)).toBe('write');
    await expect(loadHttpAuth({ tokens: [{ scope: 'read', env: 'TC_MISSING' }] }, {})).rejects.toThrow(
      'environment variable TC_MISSING is not set',
    );
    await expect(loadHttpAuth({ tokens: [{ scope: 'read', file: join(root, 'absent') }] }, {})).rejects.toThrow(
      /http\.auth tokens\[0\]: cannot read .*absent/,
    );
    expect(await loadHttpAuth('none')).toBe('none');
    expect(await loadHttpAuth(undefined)).toBeUndefined();
  });
});

describe('refuse-to-start rule', () => {
  it('a non-loopback bind needs tokens or an explicit http.auth: none', async () => {
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('127.1.2.3')).toBe(true);
    expect(isLoopback('0.0.0.0') || isLoopback('::') || isLoopback('10.0.0.5')).toBe(false);
    expect(() => assertSafeBind('0.0.0.0', undefined)).toThrow(/Refusing to listen on 0\.0\.0\.0 without authentication.*http\.auth: none/);
    expect(() => assertSafeBind('127.0.0.1', undefined)).not.toThrow();
    const base = {
      store: new ForecastStore(),
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
      port: 0,
      host: '0.0.0.0',
    };
    await expect(startHttpServer(base)).rejects.toThrow('Refusing to listen on 0.0.0.0');
    for (const auth of ['none', AUTH] as const) {
      const s = await startHttpServer({ ...base, auth });
      apps.push(s);
      expect(s.port).toBeGreaterThan(0);
    }
  });
});

describe('cross-origin writes and content types', () => {
  it('a cross-site text/plain or form POST creates no silence; a same-origin JSON one does', async () => {
    const { app, silences } = setup();
    const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/silences', headers, payload: SILENCE });
    const plain = await post({ 'content-type': 'text/plain', origin: 'https://evil.example' });
    expect(plain.statusCode).toBe(403);
    expect(plain.json().error).toBe('cross_origin');
    expect((await post({ 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await post({ 'content-type': 'application/json', 'sec-fetch-site': 'same-site' })).statusCode).toBe(403);
    expect((await post({ 'content-type': 'application/json', origin: 'null' })).statusCode).toBe(403);
    // Even from a non-browser client, text/plain and form bodies are not what silences accept.
    expect((await post({ 'content-type': 'text/plain' })).statusCode).toBe(415);
    expect((await post({ 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(415);
    expect(silences.listSilences()).toHaveLength(0);
    expect((await post({ 'content-type': 'application/json', origin: 'http://localhost:8080', host: 'localhost:80' })).statusCode).toBe(
      403,
    );
    expect((await post({ 'content-type': 'application/json', origin: 'https://localhost', host: 'localhost:80' })).statusCode).toBe(403);
    expect(silences.listSilences()).toHaveLength(0);
    // The browser leaves the default port out of Origin; the Host header here carries it.
    const same = await post({
      'content-type': 'application/json; charset=utf-8',
      origin: 'http://localhost',
      host: 'localhost:80',
      'sec-fetch-site': 'same-origin',
    });
    expect(same.statusCode).toBe(201);
    expect((await post({ 'content-type': 'application/json', origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' })).statusCode).toBe(
      201,
    );
    expect(silences.listSilences()).toHaveLength(2);
  });

  it('ingest takes JSON, JSON lines and text/plain line protocol, not forms; cross-origin ingest is refused', async () => {
    const { app, ingested } = setup({ allowedOrigins: ['https://proxy.example'] });
    const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/ingest', headers, payload: 'm value=1 1' });
    expect((await post({ 'content-type': 'text/plain', origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await post({ 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(415);
    expect((await post({ 'content-type': 'multipart/form-data; boundary=x' })).statusCode).toBe(415);
    expect(ingested).toEqual([]);
    for (const type of ['text/plain; charset=utf-8', 'application/json', 'application/x-ndjson', 'application/jsonl']) {
      expect((await post({ 'content-type': type })).statusCode).toBe(200);
    }
    expect((await post({ 'content-type': 'text/plain', origin: 'https://proxy.example' })).statusCode).toBe(200);
    expect(ingested).toHaveLength(5);
  });
});

describe('promoting a rejected model', () => {
  it('needs force (query or body); otherwise 409 with the reason', async () => {
    const promoted: string[] = [];
    const models = fakeModels([meta('v0002', true, 'won'), meta('v0003', false, 'validation loss 0.9 >= champion 0.5 x 0.98')], promoted);
    const { app } = setup({ models });
    const refused = await app.inject({ method: 'POST', url: '/api/models/weather/promote/v0003' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'rejected_model', reason: 'validation loss 0.9 >= champion 0.5 x 0.98' });
    expect((await app.inject({ method: 'POST', url: '/api/models/weather/promote/v0003?force=false' })).statusCode).toBe(409);
    expect(promoted).toEqual([]);
    expect((await app.inject({ method: 'POST', url: '/api/models/weather/promote/v0002' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/models/weather/promote/v0003?force=true' })).statusCode).toBe(200);
    const body = await app.inject({
      method: 'POST',
      url: '/api/models/weather/promote/v0003',
      headers: { 'content-type': 'application/json' },
      payload: '{"force":true}',
    });
    expect(body.statusCode).toBe(200);
    expect(promoted).toEqual(['v0002', 'v0003', 'v0003']);
  });
});

// The certificate is made by openssl (node's crypto cannot issue X.509 certificates).
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('TLS', () => {
  it.skipIf(!hasOpenssl)('serves HTTPS with http.tls files: a request verified against the certificate round-trips', async () => {
    const cert = join(root, 'cert.pem');
    const key = join(root, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const tls = await loadTls({ cert, key });
    const server = await startHttpServer({
      store: new ForecastStore(),
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
      port: 0,
      tls,
      auth: AUTH,
    });
    apps.push(server);
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const ca = await readFile(cert);
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string; authorized: boolean }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path, ca, headers, agent: false }, (res) => {
          const authorized = (res.socket as import('node:tls').TLSSocket).authorized;
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, authorized }));
        });
        req.on('error', reject);
        req.end();
      });
    const ok = await get('/api/pipelines', bearer(READ));
    expect(ok).toMatchObject({ status: 200, authorized: true });
    expect(JSON.parse(ok.body)).toEqual({ pipelines: [] });
    expect((await get('/api/pipelines')).status).toBe(401);
    await expect(loadTls({ cert: join(root, 'absent.pem'), key })).rejects.toThrow('http.tls.cert: cannot read');
  });
});

function meta(version: string, promoted: boolean, reason: string): ModelVersionMeta {
  return {
    version,
    parent: null,
    createdAt: '2026-01-01T00:00:00Z',
    dataRange: null,
    trainLoss: 1,
    validationLoss: 1,
    championLoss: 1,
    epochs: 1,
    promoted,
    reason,
  };
}

function fakeModels(versions: ModelVersionMeta[], promoted: string[] = []): ModelsApi {
  return {
    list: () => [{ pipeline: 'weather', live: 'v0002', versions }],
    promote: async (_p, v) => {
      promoted.push(v);
    },
    rollback: async () => 'v0001',
    train: async () => undefined,
  };
}
