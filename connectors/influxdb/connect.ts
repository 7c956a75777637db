import type { InfluxConnectionConfig } from './config.js';
import { v1PageReader, v2PageReader } from './page-readers.js';
import type { PageReader } from './page-query.js';
import { InfluxV1Http } from './v1-http.js';
import { InfluxV2Api } from './v2-api.js';

// The one place the API flavour is chosen: everything above this speaks pages and line protocol.

export interface LineWriter {
  /** Resolves when the server acknowledged every line; throws a TidecastError otherwise. */
  write(lines: readonly string[], signal?: AbortSignal): Promise<void>;
}

export interface InfluxConnectionHandle {
  readonly reader: PageReader;
  readonly writer: LineWriter;
  ping(signal?: AbortSignal): Promise<void>;
}

export function connect(cfg: InfluxConnectionConfig): InfluxConnectionHandle {
  if (cfg.api === 'v1') {
    const http = new InfluxV1Http(cfg);
    return { reader: v1PageReader(http, cfg.retention_policy), writer: http, ping: (s) => http.ping(s) };
  }
  const api = new InfluxV2Api(cfg);
  return {
    reader: v2PageReader(api, cfg.bucket),
    writer: { write: (lines) => api.write(lines) },
    ping: (s) => api.ping(s),
  };
}
