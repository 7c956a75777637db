import { TidecastError } from '../../src/core/errors.js';
import { resolveSecret } from '../../src/core/secret.js';
import type { InfluxV1ConnectionConfig } from './config.js';
import { statusError, transportError } from './http-errors.js';

// The InfluxDB 1.x HTTP API: /query (InfluxQL, JSON with epoch-ms times), /write (line protocol, ms), /ping.

export interface V1Series {
  readonly name: string;
  readonly columns: readonly string[];
  readonly values: readonly (readonly unknown[])[];
  readonly tags?: Readonly<Record<string, string>>;
}

interface V1Response {
  readonly results?: readonly { readonly series?: readonly V1Series[]; readonly error?: string }[];
  readonly error?: string;
}

export class InfluxV1Http {
  private readonly auth: string | undefined;

  constructor(private readonly cfg: InfluxV1ConnectionConfig) {
    this.auth =
      cfg.username !== undefined
        ? `Basic ${Buffer.from(`${cfg.username}:${cfg.password === undefined ? '' : resolveSecret(cfg.password, 'InfluxDB password')}`).toString('base64')}`
        : undefined;
  }

  /** Runs one read statement and returns its series. */
  async query(q: string, signal?: AbortSignal): Promise<V1Series[]> {
    // The retention policy, when any, is named in the statement's FROM clause.
    const params = new URLSearchParams({ db: this.cfg.database, q, epoch: 'ms' });
    const body = await this.request('GET', `/query?${params}`, undefined, signal, 'query');
    return firstResult(body, q);
  }

  /** Runs a statement that changes things (CREATE DATABASE, DROP ...), which needs POST. */
  async command(q: string, signal?: AbortSignal): Promise<void> {
    const params = new URLSearchParams({ q });
    if (this.cfg.database) params.set('db', this.cfg.database);
    const body = await this.request('POST', `/query?${params}`, undefined, signal, 'command');
    firstResult(body, q);
  }

  /** Writes line protocol with millisecond timestamps; resolves when the server acknowledged (204). */
  async write(lines: readonly string[], signal?: AbortSignal): Promise<void> {
    if (lines.length === 0) return;
    const params = new URLSearchParams({ db: this.cfg.database, precision: 'ms' });
    if (this.cfg.retention_policy) params.set('rp', this.cfg.retention_policy);
    await this.request('POST', `/write?${params}`, lines.join('\n'), signal, 'write');
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.request('GET', '/ping', undefined, signal, 'ping');
  }

  private async request(
    method: string,
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<string> {
    const timeout = AbortSignal.timeout(this.cfg.timeout_ms);
    const headers: Record<string, string> = {};
    if (this.auth) headers.authorization = this.auth;
    if (body !== undefined) headers['content-type'] = 'text/plain; charset=utf-8';
    let res: Response;
    let text: string;
    try {
      res = await fetch(new URL(path, this.cfg.url), {
        method,
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (err) {
      throw transportError(what, err);
    }
    if (!res.ok) throw statusError(what, res.status, text);
    return text;
  }
}

function firstResult(text: string, q: string): V1Series[] {
  let parsed: V1Response;
  try {
    parsed = JSON.parse(text) as V1Response;
  } catch (cause) {
    throw new TidecastError(`InfluxDB answered ${JSON.stringify(q)} with something that is not JSON`, 'schema_mismatch', false, { cause });
  }
  const result = parsed.results?.[0];
  const error = parsed.error ?? result?.error;
  if (error) throw new TidecastError(`InfluxDB rejected ${JSON.stringify(q)}: ${error}`, 'config_invalid', false);
  return [...(result?.series ?? [])];
}
