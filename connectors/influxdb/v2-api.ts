import { HttpError, InfluxDB, type QueryApi } from '@influxdata/influxdb-client';
import { resolveSecret } from '../../src/core/secret.js';
import type { InfluxV2ConnectionConfig } from './config.js';
import { statusError, transportError } from './http-errors.js';

// The v2 API through @influxdata/influxdb-client: Flux queries and /api/v2/write.
// Retries and buffering are ours (see durable-writer.ts), so the library's own are switched off.

export class InfluxV2Api {
  private readonly client: InfluxDB;
  private readonly queryApi: QueryApi;

  constructor(private readonly cfg: InfluxV2ConnectionConfig) {
    this.client = new InfluxDB({ url: cfg.url, token: resolveSecret(cfg.token, 'InfluxDB token'), timeout: cfg.timeout_ms });
    this.queryApi = this.client.getQueryApi(cfg.org);
  }

  /** Runs a Flux query; each row as an object with typed values (_time stays an RFC 3339 string). */
  async *rows(flux: string, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    try {
      for await (const { values, tableMeta } of this.queryApi.iterateRows(flux)) {
        if (signal?.aborted) return;
        yield tableMeta.toObject(values);
      }
    } catch (err) {
      throw mapError('query', err);
    }
  }

  /** InfluxDB 2.x and 1.8+ both answer /ping with 204. */
  ping(signal?: AbortSignal): Promise<void> {
    return pingUrl(this.cfg.url, this.cfg.timeout_ms, signal);
  }

  /** Writes line protocol with millisecond timestamps; resolves when the server acknowledged. */
  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    // A fresh WriteApi per request: its batch is exactly these lines, and a failure rejects flush()
    // instead of going to the library's retry buffer, where it could be dropped without us knowing.
    const api = this.client.getWriteApi(this.cfg.org, this.cfg.bucket, 'ms', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      writeFailed: (error: Error) => Promise.reject(error),
    });
    try {
      api.writeRecords(lines as string[]);
      await api.flush();
    } catch (err) {
      throw mapError('write', err);
    } finally {
      api.dispose();
    }
  }
}

export async function pingUrl(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(new URL('/ping', url), { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    await res.arrayBuffer();
  } catch (err) {
    throw transportError('ping', err);
  }
  if (!res.ok) throw statusError('ping', res.status, '');
}

function mapError(what: string, err: unknown): Error {
  if (err instanceof HttpError) return statusError(what, err.statusCode, err.body ?? err.message);
  return transportError(what, err);
}
