import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../src/core/alert-event.js';
import { TidecastError } from '../../src/core/errors.js';
import { backoffDelay } from '../../src/core/backoff.js';
import { verifySignature } from './signature.js';
import { WebhookSink } from './webhook-sink.js';

const SECRET = 'hush';
const EVENT: AlertEvent = {
  id: 'weather/KSEA/temp|dev|60000',
  pipeline: 'weather',
  stream: 'weather/KSEA/temp',
  rule: 'dev',
  detector: 'score',
  state: 'firing',
  severity: 'critical',
  time: 120000,
  episodeStart: 60000,
  actual: 31.5,
  forecast: 12.25,
  interval: { lower: 10, upper: 14.5 },
  score: 0.9999,
  surprise: 7.5,
  level: 0.9999,
  modelVersion: 'lstm-3',
  dashboardUrl: 'http://x/#/streams/weather%2FKSEA%2Ftemp',
};

type Handler = (req: IncomingMessage, body: string, res: ServerResponse, n: number) => void;
let server: Server | undefined;

async function serve(handler: Handler): Promise<{ url: string; received: Array<{ body: string; verified: boolean; id?: string }> }> {
  const received: Array<{ body: string; verified: boolean; id?: string }> = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const verified = verifySignature(SECRET, body, req.headers['x-tidecast-signature'] as string | undefined);
      received.push({ body, verified, id: req.headers['x-tidecast-alert-id'] as string | undefined });
      handler(req, body, res, received.length);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hook`, received };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('WebhookSink against a local HTTP server', () => {
  it('retries 503s with backoff and delivers a body whose signature the server verifies', async () => {
    const { url, received } = await serve((_q, _b, res, n) => res.writeHead(n <= 2 ? 503 : 200).end());
    const delays: number[] = [];
    const sink = new WebhookSink(
      { url, secret: SECRET, backoff_initial_ms: 8, backoff_max_ms: 1000 },
      { random: () => 0.5, onRetry: (_a, d) => delays.push(d) },
    );
    await sink.write([EVENT]);
    expect(received).toHaveLength(3);
    expect(received.every((r) => r.verified)).toBe(true);
    expect(JSON.parse(received[2].body)).toEqual(EVENT);
    expect(decodeURIComponent(received[2].id!)).toBe(EVENT.id);
    expect(delays).toEqual([4, 8]); // half of 8·2^0 and 8·2^1
    expect(sink.stats).toEqual({ sent: 1, attempts: 3, retries: 2, failed: 0 });
  });

  it('a wrong secret fails verification on the server', async () => {
    const { url, received } = await serve((_q, _b, res) => res.writeHead(200).end());
    await new WebhookSink({ url, secret: 'other' }).write([EVENT]);
    expect(received[0].verified).toBe(false);
  });

  it('does not retry a 400 and says why', async () => {
    const { url, received } = await serve((_q, _b, res) => res.writeHead(400).end());
    const sink = new WebhookSink({ url, secret: SECRET, backoff_initial_ms: 1 });
    const err = await sink.write([EVENT]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidecastError);
    expect((err as TidecastError).retriable).toBe(false);
    expect((err as TidecastError).message).toMatch(/400/);
    expect(received).toHaveLength(1);
  });

  it('times out a hanging attempt and gives up after max_attempts with a retriable error', async () => {
    const { url, received } = await serve(() => undefined); // never answers
    const sink = new WebhookSink({ url, secret: SECRET, timeout_ms: 100, max_attempts: 2, backoff_initial_ms: 1 });
    const err = await sink.write([EVENT]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidecastError);
    expect((err as TidecastError).code).toBe('sink_rejected');
    expect((err as TidecastError).retriable).toBe(true);
    expect(received).toHaveLength(2);
  });

  it('retries while nothing listens and delivers once the server is up', async () => {
    // Reserve a free port, close it, and start the real server there only during the first backoff.
    const { url, received } = await serve((_q, _b, res) => res.writeHead(204).end());
    const port = (server!.address() as AddressInfo).port;
    await new Promise<void>((r) => server!.close(() => r()));
    let sleeps = 0;
    const sink = new WebhookSink(
      { url, secret: SECRET, backoff_initial_ms: 1 },
      {
        sleep: async () => {
          if (sleeps++ === 0) await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
        },
      },
    );
    await sink.write([EVENT, { ...EVENT, state: 'resolved' }]);
    expect(sleeps).toBe(1);
    expect(sink.stats.attempts).toBe(3);
    expect(received.map((r) => JSON.parse(r.body).state)).toEqual(['firing', 'resolved']);
  });
});

describe('backoffDelay', () => {
  it('doubles the cap up to the maximum, scaled by the jitter', () => {
    const p = { initialMs: 100, maxMs: 1000, jitter: 'full' as const };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(p, n, () => 0.999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(p, 4, () => 0)).toBe(0);
  });
});

describe('webhookOutputSink', () => {
  it('posts the alerts of each batch in order, and counts a failed one instead of throwing', async () => {
    const { webhookOutputSink } = await import('./runtime.js');
    const { url, received } = await serve((_q, body, res) => res.writeHead(JSON.parse(body).rule === 'bad' ? 400 : 200).end());
    const warnings: string[] = [];
    const out = webhookOutputSink({ url, secret: SECRET }, { warn: (_e, m) => warnings.push(m) });
    const none = { forecasts: [], deadLetters: [] };
    await out.write({ ...none, alerts: [EVENT, { ...EVENT, rule: 'bad' }] }, new AbortController().signal);
    await out.write({ ...none, alerts: [{ ...EVENT, state: 'resolved' }] }, new AbortController().signal);
    await out.flush(true);
    expect(received.map((r) => [JSON.parse(r.body).rule, JSON.parse(r.body).state])).toEqual([
      ['dev', 'firing'],
      ['bad', 'firing'],
      ['dev', 'resolved'],
    ]);
    expect(out.failed()).toBe(1);
    expect(warnings).toHaveLength(1);
    await out.close();
  });
});
