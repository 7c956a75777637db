import { KafkaJSConnectionError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLog } from './client.js';
import type { GroupConsumerPort } from './clients/port.js';
import { ConsumerRestart } from './consumer-restart.js';

// A consumer whose connect() fails with the queued errors, then succeeds; the times of each call are kept.
function harness(connectErrors: Error[], opts: { initialDelayMs: number; maxDelayMs: number }) {
  const connects: number[] = [];
  const runs: number[] = [];
  const failures: unknown[] = [];
  let closing = false;
  const start = Date.now();
  const consumer = {
    connect: () => {
      connects.push(Date.now() - start);
      const err = connectErrors.shift();
      return err === undefined ? Promise.resolve() : Promise.reject(err);
    },
  } as unknown as GroupConsumerPort;
  const restart = new ConsumerRestart({
    consumer,
    log: silentLog,
    ...opts,
    isClosing: () => closing,
    run: () => {
      runs.push(Date.now() - start);
      return Promise.resolve();
    },
    fail: (err) => failures.push(err),
  });
  return { restart, connects, runs, failures, close: () => (closing = true) };
}

const outage = () => new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092');
// kafkajs's typings lag its constructors: this one takes a message too.
const authFailure = () => new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)('SASL authentication failed');

describe('ConsumerRestart', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('runs the consumer again after an outage, doubling the pause up to the cap while connects fail', async () => {
    const h = harness([outage(), outage(), outage()], { initialDelayMs: 100, maxDelayMs: 300 });
    h.restart.onCrash(outage(), false);
    await vi.advanceTimersByTimeAsync(2_000);
    // pauses 100, 200, 300 (capped), 300: connects at 100, 300, 600, 900; the last one succeeds
    expect(h.connects).toEqual([100, 300, 600, 900]);
    expect(h.runs).toEqual([900]);
    expect(h.failures).toEqual([]);
  });

  it('fails the source on an error a wait cannot fix, at the crash or at a later connect', async () => {
    const auth = authFailure();
    const first = harness([], { initialDelayMs: 100, maxDelayMs: 1_000 });
    first.restart.onCrash(auth, false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(first.failures).toEqual([auth]);
    expect(first.connects).toEqual([]);

    const later = harness([auth], { initialDelayMs: 100, maxDelayMs: 1_000 });
    later.restart.onCrash(outage(), false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(later.connects).toEqual([100]);
    expect(later.failures).toEqual([auth]);
    expect(later.runs).toEqual([]);
  });

  it('leaves restarts to kafkajs when it restarts itself, and stops once the source closes', async () => {
    const self = harness([], { initialDelayMs: 100, maxDelayMs: 1_000 });
    self.restart.onCrash(outage(), true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(self.connects).toEqual([]);
    expect(self.failures).toEqual([]);

    const closed = harness([outage()], { initialDelayMs: 100, maxDelayMs: 1_000 });
    closed.restart.onCrash(outage(), false);
    await vi.advanceTimersByTimeAsync(100);
    expect(closed.connects).toEqual([100]);
    closed.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(closed.connects).toEqual([100]);
    expect(closed.failures).toEqual([]);
  });
});
