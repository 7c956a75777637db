import { z } from 'zod';

// Pipeline-file schemas for the file source (replays a CSV or JSON-lines file) and the file sink.

export const FileReplayConfig = z
  .object({
    speedup: z
      .number()
      .positive()
      .default(3_600)
      .describe('Event-time milliseconds replayed per wall-clock millisecond (3600: one hour of data per second).'),
    max_batch_records: z.number().int().positive().default(500).describe('Most records handed to the pipeline at once.'),
    start_delay_ms: z.number().int().nonnegative().default(0).describe('Wall-clock wait before the first record.'),
  })
  .strict();

export const FileSourceConfig = z
  .object({
    path: z.string().min(1).describe('File to read, relative to the working directory.'),
    format: z.enum(['csv', 'json']).default('csv').describe('csv with a header row, or JSON lines.'),
    key_column: z
      .string()
      .min(1)
      .optional()
      .describe('Column (or JSON field) holding the stream id; absent for wide files, where each value column is a stream.'),
    time_column: z
      .string()
      .min(1)
      .default('timestamp')
      .describe('Column with the event time: ISO 8601 (no zone = UTC), YYYY-MM-DD, M/D/YYYY H:MM or epoch ms.'),
    value_columns: z
      .array(z.string().min(1))
      .min(1)
      .default(['value'])
      .describe('Numeric columns read as fields; in a wide file (no key_column) each becomes its own stream.'),
    key_prefix: z.string().default('').describe('Prepended to every stream key, e.g. "weather/".'),
    streams: z.array(z.string().min(1)).optional().describe('Only these stream ids (before the prefix); all when absent.'),
    replay: FileReplayConfig.default(FileReplayConfig.parse({})).describe(
      'Pacing of the replay in `run`; `replay` and `train` read as fast as possible.',
    ),
    loop: z
      .boolean()
      .default(false)
      .describe(
        "`run` only: replay the file forever, each lap with event times shifted forward by the sample's span (last - first time, plus its smallest step); a restart continues the lap it was in. `replay` and `train` read the file once.",
      ),
  })
  .strict();

export const FileSinkConfig = z
  .object({
    forecasts_path: z.string().min(1).optional().describe('JSON-lines file receiving forecasts.'),
    alerts_path: z.string().min(1).optional().describe('JSON-lines file receiving alert events.'),
    dead_letters_path: z.string().min(1).optional().describe('JSON-lines file receiving records that could not be processed.'),
    fsync: z.boolean().default(true).describe('fsync after each flush so that a checkpoint never gets ahead of its outputs.'),
  })
  .strict();

export type FileReplayConfig = z.infer<typeof FileReplayConfig>;
export type FileSourceConfig = z.infer<typeof FileSourceConfig>;
export type FileSinkConfig = z.infer<typeof FileSinkConfig>;
