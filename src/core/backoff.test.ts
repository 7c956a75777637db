import { describe, expect, it } from 'vitest';
import { abortableSleep, Backoff, backoffDelay, timerSleep } from './backoff.js';

// One helper, three callers' semantics: full jitter (webhooks), a rounded spread (InfluxDB retry
// section), an unrounded ±20% spread (Kafka clients).

describe('backoffDelay', () => {
  it('full jitter: doubles the cap up to the maximum, uniform below it, floored', () => {
    const o = { initialMs: 100, maxMs: 1000, jitter: 'full' as const };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(o, n, () => 0.999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(o, 4, () => 0)).toBe(0);
  });

  it('spread jitter: the cap grows by the factor, the delay lies within cap·(1 ± jitter), rounded', () => {
    const o = { initialMs: 200, maxMs: 5000, factor: 3, jitter: 0.2 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(o, n, () => 0.5))).toEqual([200, 600, 1800, 5000, 5000]);
    expect([1, 2, 3].map((n) => backoffDelay(o, n, () => 0))).toEqual([160, 480, 1440]);
    expect(backoffDelay(o, 1, () => 0.99999)).toBe(240);
    expect(backoffDelay({ ...o, initialMs: 7 }, 1, () => 0.3)).toBe(Math.round(7 - 1.4 + 2.8 * 0.3));
  });

  it('spread jitter unrounded: the Kafka client form cap·(0.8 + 0.4·r)', () => {
    const o = { initialMs: 100, maxMs: 30_000, jitter: 0.2, round: false };
    for (const [n, r] of [
      [1, 0.1],
      [3, 0.77],
      [12, 0.5],
    ] as const) {
      const cap = Math.min(30_000, 100 * 2 ** (n - 1));
      expect(backoffDelay(o, n, () => r)).toBeCloseTo(cap * (0.8 + 0.4 * r), 9);
    }
  });
});

describe('Backoff', () => {
  it('counts failures since the last reset', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 100, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([10, 20, 40, 80, 100]);
    expect(b.failures).toBe(5);
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.next()).toBe(10);
  });
});

describe('sleeps', () => {
  it('timerSleep resolves early on abort; abortableSleep rejects with the reason', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const resolved = timerSleep(10_000, ac.signal);
    const rejected = abortableSleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(resolved).resolves.toBeUndefined();
    await expect(rejected).rejects.toThrow('stop');
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(abortableSleep(5)).resolves.toBeUndefined();
  });
});
