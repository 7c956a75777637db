import { z } from 'zod';
import { FileSinkConfig, FileSourceConfig } from './file/config.js';
import { KafkaSinkConfig, KafkaSourceConfig } from './kafka/config.js';
import { InfluxSinkConfig, InfluxSourceConfig } from './influxdb/config.js';
import { WebhookSinkOptions } from './webhook/webhook-options.js';
import { KafkaSourceChangelog } from './kafka/changelog/changelog-config.js';

// Every connector a pipeline file can name, by `kind`. The pipeline schema embeds these unions; the
// runtime's connector factory (src/runtime/connectors.ts) maps each kind to its implementation.

const sourceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" and "-"')
  .optional()
  .describe('Name of the source in logs and checkpoints; "<kind>-<index>" when absent.');

export const SourceConfig = z.discriminatedUnion('kind', [
  FileSourceConfig.extend({
    kind: z.literal('file').describe('Replays a local CSV or JSON-lines file.'),
    name: sourceName,
    // A pipeline used only with `tidecast replay`/`train` declares its columns here; their --input is the file.
    path: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File to read, relative to the working directory. Optional for `replay`/`train` (--input names the file); `run` refuses a file source without one.',
      ),
  }),
  KafkaSourceConfig.extend({
    kind: z.literal('kafka').describe('Consumes Kafka topics as a consumer group.'),
    name: sourceName,
    changelog: KafkaSourceChangelog.optional(),
  }),
  InfluxSourceConfig.extend({ kind: z.literal('influxdb').describe('Backfills and tails an InfluxDB measurement.'), name: sourceName }),
]);

export const SinkConfig = z.discriminatedUnion('kind', [
  FileSinkConfig.extend({ kind: z.literal('file').describe('Appends JSON lines to local files.') }),
  KafkaSinkConfig.extend({ kind: z.literal('kafka').describe('Produces to Kafka topics, keyed by stream.') }),
  InfluxSinkConfig.extend({ kind: z.literal('influxdb').describe('Writes points to InfluxDB.') }),
  WebhookSinkOptions.extend({ kind: z.literal('webhook').describe('POSTs each alert event as signed JSON (alerts only).') }),
]);

export type SourceConfig = z.infer<typeof SourceConfig>;
export type SinkConfig = z.infer<typeof SinkConfig>;
export const SOURCE_KINDS = ['file', 'kafka', 'influxdb'] as const;
export const SINK_KINDS = ['file', 'kafka', 'influxdb', 'webhook'] as const;
