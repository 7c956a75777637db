import { z } from 'zod';
import { SecretValue } from '../../src/core/secret.js';
import type { BackoffOptions } from '../../src/core/backoff.js';

// Pipeline-file schemas for the InfluxDB source and sink. The daemon's pipeline schema embeds these.

const timeoutMs = z.number().int().positive().default(10_000).describe('Per-request HTTP timeout in milliseconds.');
const url = z.string().url().describe('Base URL of the server, e.g. http://127.0.0.1:8086.');

/** InfluxDB 1.x HTTP API (also 2.x/3.x through their v1-compatible endpoints): InfluxQL and line protocol. */
export const InfluxV1Connection = z
  .object({
    api: z.literal('v1').describe('HTTP /query (InfluxQL) and /write (line protocol).'),
    url,
    database: z.string().min(1).describe('Database to read from or write to.'),
    retention_policy: z.string().min(1).optional().describe('Retention policy; the database default when absent.'),
    username: z.string().optional().describe('User for basic authentication.'),
    password: SecretValue.optional().describe('Password for basic authentication: the value, {env: NAME} or {file: path}.'),
    timeout_ms: timeoutMs,
  })
  .strict();

/** InfluxDB 2.x, Cloud and 1.8+ through @influxdata/influxdb-client: token, org, bucket and Flux. */
export const InfluxV2Connection = z
  .object({
    api: z.literal('v2').describe('The v2 API through @influxdata/influxdb-client (Flux queries).'),
    url,
    token: SecretValue.describe('API token (1.8+: "user:password"): the value, {env: NAME} or {file: path}.'),
    org: z.string().describe('Organisation name (ignored by 1.8+).'),
    bucket: z.string().min(1).describe('Bucket (1.8+: "database/retention_policy").'),
    timeout_ms: timeoutMs,
  })
  .strict();

export const InfluxConnection = z
  .discriminatedUnion('api', [InfluxV1Connection, InfluxV2Connection])
  .describe('Which API flavour to speak and where.');

export type InfluxV1ConnectionConfig = z.infer<typeof InfluxV1Connection>;
export type InfluxV2ConnectionConfig = z.infer<typeof InfluxV2Connection>;
export type InfluxConnectionConfig = z.infer<typeof InfluxConnection>;

const identifier = z.string().min(1);

export const InfluxSourceConfig = z
  .object({
    connection: InfluxConnection,
    measurement: identifier.describe('Measurement to read.'),
    fields: z.array(identifier).min(1).describe('Numeric fields that make up each observation.'),
    stream_tags: z.array(identifier).default([]).describe('Tags whose values identify a stream, in key order.'),
    key_prefix: z.string().optional().describe('First segment of each stream key; the measurement when absent.'),
    tag_filter: z
      .record(z.string(), z.union([z.string(), z.array(z.string()).min(1)]))
      .default({})
      .describe('Only points whose tag equals the value (or one of the values).'),
    page_size: z.number().int().positive().max(100_000).default(5_000).describe('Rows per query page.'),
    page_window_ms: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Backfill: also bound each query to this much time (Flux sorts a whole range before it limits).'),
    poll_interval_ms: z.number().int().positive().default(5_000).describe('Tail: time between polls.'),
    overlap_ms: z
      .number()
      .int()
      .nonnegative()
      .default(60_000)
      .describe('Tail: re-read this far behind the newest point seen, so late writes are not missed.'),
    backfill_start: z.iso.datetime({ offset: true }).optional().describe('Backfill start (RFC 3339), inclusive; tail only when absent.'),
    backfill_stop: z.iso.datetime({ offset: true }).optional().describe('Backfill stop (RFC 3339), exclusive; "now" when absent.'),
  })
  .strict();
export type InfluxSourceOptions = z.infer<typeof InfluxSourceConfig>;

export const RetryConfig = z
  .object({
    initial_ms: z.number().int().positive().default(200).describe('First retry delay.'),
    max_ms: z.number().int().positive().default(30_000).describe('Largest retry delay.'),
    factor: z.number().min(1).default(2).describe('Delay multiplier per failed attempt.'),
    jitter: z.number().min(0).max(1).default(0.2).describe('Random spread as a fraction of the delay.'),
  })
  .strict();
export type RetryOptions = z.infer<typeof RetryConfig>;

/** The retry section as src/core/backoff options: a spread jitter, rounded to ms. */
export function retryBackoff(r: RetryOptions): BackoffOptions {
  return { initialMs: r.initial_ms, maxMs: r.max_ms, factor: r.factor, jitter: r.jitter };
}

export const InfluxSinkConfig = z
  .object({
    connection: InfluxConnection,
    forecast_measurement: identifier.default('tidecast_forecast').describe('Measurement for forecast points.'),
    alert_measurement: identifier.default('tidecast_alert').describe('Measurement for alert points.'),
    batch_size: z.number().int().positive().default(5_000).describe('Most points per write request.'),
    max_buffered_points: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('Points held in memory while the server is down; older ones beyond this go to the spill file.'),
    spill_path: z
      .string()
      .optional()
      .describe(
        'Local file (JSON lines of line protocol) for points that could not be held; replayed on recovery. ' +
          'Default: var/influxdb-spill/<hash of pipeline, server, database or bucket, measurements>.jsonl.',
      ),
    close_timeout_ms: z
      .number()
      .int()
      .nonnegative()
      .default(10_000)
      .describe('On close, how long to keep trying before spilling what is left.'),
    retry: RetryConfig.default({ initial_ms: 200, max_ms: 30_000, factor: 2, jitter: 0.2 }),
  })
  .strict();
export type InfluxSinkOptions = z.infer<typeof InfluxSinkConfig>;
