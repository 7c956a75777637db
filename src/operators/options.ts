import { z } from 'zod';
import { StepSetting } from './step-setting.js';

// Options of the time-ordered stream pipeline, in the style of the pipeline YAML files: snake_case,
// units in names, every field described, defaults where sensible. The daemon's pipeline-file schema
// embeds `PipelineDataOptions`; `resolveOptions` (resolved-options.ts) turns it into flat numbers.

export const FieldOptions = z
  .object({
    name: z.string().min(1).describe('Field name as it appears in observations (after input mapping).'),
    role: z
      .enum(['target', 'exogenous'])
      .default('target')
      .describe('target: forecast and given lag/rolling features; exogenous: model input only.'),
    aggregation: z
      .enum(['mean', 'last', 'sum', 'min', 'max'])
      .default('mean')
      .describe('How several observations inside one step are combined when resampling.'),
  })
  .strict();

export const OrderingOptions = z
  .object({
    max_delay_ms: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Bounded out-of-orderness: the watermark of a stream is its newest event time minus this; records wait until it passes them.',
      ),
    allowed_lateness_ms: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'A record behind the watermark by at most this still joins its step if that step is not yet emitted; later ones are dead-lettered.',
      ),
    duplicates: z
      .enum(['drop', 'replace'])
      .default('drop')
      .describe('A second record with the same stream and event time: drop it (dead-lettered as duplicate) or replace the earlier value.'),
    max_buffered_events: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(4)
      .describe('Records held per stream while waiting for the watermark; when full the oldest is released early (counted).'),
    idle_flush_ms: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe(
        'Live mode: every this many ms of clock time the watermark of every stream advances to now minus max_delay_ms. null: data time only (replay).',
      ),
  })
  .strict();

export const ImputeOptions = z
  .object({
    method: z
      .enum(['forward_fill', 'linear', 'seasonal', 'mean'])
      .default('linear')
      .describe(
        'Fill of missing steps: last value, straight line to the next value, value one season ago, running mean of observed values.',
      ),
    max_gap_steps: z
      .number()
      .int()
      .min(0)
      .default(6)
      .describe('Longer gaps are not filled: the next step is marked broken and stream state (features, recurrent state) restarts.'),
    season_steps: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(24)
      .describe('seasonal: length of the season in steps (costs 8 bytes per field and step of state).'),
  })
  .strict();

export const NormaliseOptions = z
  .object({
    method: z
      .enum(['zscore', 'ewm_zscore', 'minmax', 'robust', 'none'])
      .default('zscore')
      .describe(
        'zscore: Welford mean/std over all history; ewm_zscore: exponentially weighted; minmax; robust: median/IQR (P² estimator).',
      ),
    half_life_steps: z.number().positive().default(200).describe('ewm_zscore: half-life of the weights in observed steps.'),
    transform: z
      .enum(['none', 'log', 'log_return'])
      .default('none')
      .describe('Applied to target fields before scaling: log(x) or log(x_t / x_{t-1}); both need values > 0.'),
  })
  .strict();

export const FeatureOptions = z
  .object({
    lags: z.array(z.number().int().min(1).max(10_000)).default([1, 2, 3]).describe('Lagged normalised targets, in steps.'),
    diffs: z.array(z.number().int().min(1).max(10_000)).default([1]).describe('Differences x_t - x_{t-d} of normalised targets, in steps.'),
    seasonal_diff_steps: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .nullable()
      .default(null)
      .describe('Seasonal difference x_t - x_{t-s} (null: none); costs 8 bytes per target and step of history.'),
    rolling_windows: z.array(z.number().int().min(2).max(10_000)).default([6, 12]).describe('Rolling window lengths in steps.'),
    rolling_stats: z
      .array(z.enum(['mean', 'std', 'min', 'max']))
      .default(['mean', 'std', 'min', 'max'])
      .describe('Statistics computed over every rolling window.'),
    calendar: z.boolean().default(true).describe('Hour of day and day of week (UTC) as sin/cos pairs.'),
    time_since_observation: z.boolean().default(true).describe('log(1 + steps since the last real observation).'),
    imputed_mask: z.boolean().default(true).describe('One 0/1 input per field telling the model the value was imputed.'),
  })
  .strict();

export const JsonInputOptions = z
  .object({
    stream_keys: z
      .array(z.string().min(1))
      .min(1)
      .default(['stream'])
      .describe('JSON keys whose values, joined by "/", form the stream id.'),
    time_key: z.string().min(1).default('timestamp').describe('JSON key of the event time.'),
    fields: z
      .record(z.string(), z.string())
      .nullable()
      .default(null)
      .describe('JSON key -> pipeline field; null: keys named like the pipeline fields.'),
    ignore_keys: z.array(z.string()).default([]).describe('Other keys that may appear and are ignored; any other key is an unknown field.'),
  })
  .strict();

export const CsvInputOptions = z
  .object({
    header: z.array(z.string()).nullable().default(null).describe('Column names; null: the first record is the header.'),
    delimiter: z.string().length(1).default(',').describe('Column separator.'),
    stream_columns: z
      .array(z.string().min(1))
      .min(1)
      .default(['stream'])
      .describe('Columns whose values, joined by "/", form the stream id.'),
    time_column: z.string().min(1).default('timestamp').describe('Column of the event time.'),
    fields: z
      .record(z.string(), z.string())
      .nullable()
      .default(null)
      .describe('Column -> pipeline field; null: columns named like the pipeline fields. Other columns are ignored.'),
  })
  .strict();

export const LineInputOptions = z
  .object({
    precision: z.enum(['s', 'ms', 'us', 'ns']).default('ns').describe('Unit of line-protocol timestamps.'),
    stream_tags: z
      .array(z.string())
      .nullable()
      .default(null)
      .describe('Tags whose values follow the measurement in the stream id ("m/v1/v2"); null: all tags as "m/k=v/..." sorted by key.'),
    fields: z
      .record(z.string(), z.string())
      .nullable()
      .default(null)
      .describe('Line-protocol field -> pipeline field; null: fields named like the pipeline fields.'),
  })
  .strict();

export const InputOptions = z
  .object({
    time_unit: z
      .enum(['auto', 's', 'ms', 'us', 'ns'])
      .default('auto')
      .describe('Unit of numeric JSON/CSV times; auto: guessed from the magnitude. Strings may also be RFC 3339 (no zone: UTC).'),
    stream_prefix: z.string().default('').describe('Prepended to every stream id, e.g. "health/".'),
    json: JsonInputOptions.default(JsonInputOptions.parse({})).describe('JSON records (format json).'),
    csv: CsvInputOptions.default(CsvInputOptions.parse({})).describe('CSV rows (format csv).'),
    line: LineInputOptions.default(LineInputOptions.parse({})).describe('InfluxDB line protocol (format line).'),
  })
  .strict();

export const MicroBatchOptions = z
  .object({
    max_batch: z.number().int().min(1).default(256).describe('Most steps handed to the model in one batched call.'),
    max_wait_ms: z.number().int().nonnegative().default(5).describe('Longest a ready step waits for others to join its batch.'),
  })
  .strict();

export const PipelineDataOptions = z
  .object({
    fields: z
      .array(FieldOptions)
      .min(1)
      .default([{ name: 'value', role: 'target', aggregation: 'mean' }])
      .describe('Numeric fields of every observation.'),
    step_ms: StepSetting,
    ordering: OrderingOptions.default(OrderingOptions.parse({})).describe('Event-time ordering, lateness and duplicates.'),
    impute: ImputeOptions.default(ImputeOptions.parse({})).describe('Filling of missing steps.'),
    normalise: NormaliseOptions.default(NormaliseOptions.parse({})).describe('Online per-stream, per-field scaling.'),
    features: FeatureOptions.default(FeatureOptions.parse({})).describe('Model inputs computed at every step.'),
    input: InputOptions.default(InputOptions.parse({})).describe('How raw JSON, CSV and line-protocol records map to observations.'),
    batching: MicroBatchOptions.default(MicroBatchOptions.parse({})).describe('Micro-batching of ready steps for the model.'),
  })
  .strict()
  .superRefine((o, ctx) => {
    const seen = new Set<string>();
    o.fields.forEach((f, i) => {
      if (seen.has(f.name)) ctx.addIssue({ code: 'custom', message: `duplicate field "${f.name}"`, path: ['fields', i, 'name'] });
      seen.add(f.name);
    });
    if (!o.fields.some((f) => f.role === 'target')) {
      ctx.addIssue({ code: 'custom', message: 'at least one field must have role "target"', path: ['fields'] });
    }
  });

export type FieldOptions = z.infer<typeof FieldOptions>;
export type OrderingOptions = z.infer<typeof OrderingOptions>;
export type ImputeOptions = z.infer<typeof ImputeOptions>;
export type NormaliseOptions = z.infer<typeof NormaliseOptions>;
export type FeatureOptions = z.infer<typeof FeatureOptions>;
export type InputOptions = z.infer<typeof InputOptions>;
export type MicroBatchOptions = z.infer<typeof MicroBatchOptions>;
export type PipelineDataOptions = z.infer<typeof PipelineDataOptions>;
/** What a caller writes: defaults may be left out. */
export type PipelineDataOptionsInput = z.input<typeof PipelineDataOptions>;
