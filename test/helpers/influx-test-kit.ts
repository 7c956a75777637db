import { randomUUID } from 'node:crypto';
import type { RetryOptions } from '../../connectors/influxdb/config.js';
import { InfluxV1Http } from '../../connectors/influxdb/v1-http.js';

// Small helpers shared by the InfluxDB integration tests.

export const FAST_RETRY: RetryOptions = { initial_ms: 20, max_ms: 200, factor: 2, jitter: 0 };

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** A fresh database on the 1.x server: one per test, so tests never see each other's points. */
export async function createDatabase(url: string, prefix = 'tidecast_test'): Promise<string> {
  const database = uniqueName(prefix);
  await new InfluxV1Http({ api: 'v1', url, database, timeout_ms: 10_000 }).command(`CREATE DATABASE "${database}"`);
  return database;
}

/** Polls until `check` returns a value or the deadline passes: waits on events, never a bare sleep. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
