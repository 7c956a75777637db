// Records flowing through Tidecast. Times are epoch milliseconds throughout.

/** Identifies one stream, e.g. "weather/KSEA/temp_c". */
export type StreamKey = string;

/** Where a raw record came from, so a dead letter or a replay can point back to it. */
export interface Origin {
  readonly connector: string;
  /** The topic (Kafka) or table the record came from, where the connector has several. */
  readonly topic?: string;
  readonly partition: number;
  readonly offset: string;
}

/** A raw record as a source delivers it, before parsing. */
export interface RawRecord {
  readonly payload: string;
  readonly format: 'json' | 'line' | 'csv';
  readonly key?: string;
  readonly origin: Origin;
}

/** One validated observation: a stream, an event time and one or more numeric fields. */
export interface Observation {
  readonly key: StreamKey;
  readonly eventTime: number;
  readonly fields: Readonly<Record<string, number>>;
  readonly origin?: Origin;
}

/** One point of a stream's regular grid after resampling and imputation. */
export interface Tick {
  readonly key: StreamKey;
  readonly t: number;
  /** Field values in the pipeline's field order. */
  readonly values: Float64Array;
  /** Per field: true where the value was imputed rather than observed. */
  readonly imputed: Uint8Array;
  /** The stream's gap exceeded the maximum: state must be reset, values are not to be trusted. */
  readonly broken: boolean;
}

/** A forecast for horizons 1..H of one stream's target field(s), in the data's own units. */
export interface Forecast {
  readonly pipeline: string;
  readonly key: StreamKey;
  /** Time of the last observed step the forecast was made from. */
  readonly t: number;
  readonly stepMs: number;
  readonly modelVersion: string;
  /** Per horizon h (index h-1): mean and central interval bounds. */
  readonly mean: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export type ErrorCode =
  | 'config_invalid'
  | 'parse_error'
  | 'schema_mismatch'
  | 'late_record'
  | 'duplicate'
  | 'non_finite'
  | 'broker_down'
  | 'auth_failed'
  | 'sink_rejected'
  | 'state_corrupt'
  // Ingest limits (src/api/ingest-limits.ts): bounded work per request and per pipeline.
  | 'stream_id_too_long'
  | 'future_record'
  | 'stream_limit'
  | 'too_many_new_streams'
  | 'too_many_records';

/** A record that could not be processed, kept with the reason instead of being dropped. */
export interface DeadLetter<T = unknown> {
  readonly record: T;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly origin?: Origin;
}
