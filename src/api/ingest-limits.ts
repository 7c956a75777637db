import type { LimitsSection } from '../config/sections.js';
import type { ErrorCode } from '../core/types.js';

// Bounded work per HTTP ingest request (limits section of a pipeline file). Each parsed record is
// checked before it reaches the engine; a record over a limit is rejected with a code, dead-lettered
// and counted like any bad record. A request with too many records is refused whole before parsing.
//
//   code                  HTTP (when nothing was accepted)   limit
//   stream_id_too_long    400                                max_stream_id_length
//   future_record         400                                max_future_ms ahead of the wall clock
//   too_many_new_streams  429                                max_new_streams_per_request
//   stream_limit          429                                max_streams (streams the pipeline holds)
//   too_many_records      413 (whole request)                max_records_per_request

/** A whole request refused before any record was read (too many records, too deep JSON, bad option). */
export class IngestRefusal extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IngestRefusal';
  }
}

/** The streams a pipeline holds now. */
export interface StreamCensus {
  readonly size: number;
  has(key: string): boolean;
}

export interface LimitRejection {
  readonly code: ErrorCode;
  readonly message: string;
}

const LIMIT_CODES = new Set<string>(['too_many_new_streams', 'stream_limit']);

/** The response status of an ingest that accepted nothing: 429 when a stream limit was a reason, else 400. */
export function rejectedStatus(codes: Iterable<string>): 400 | 429 {
  for (const c of codes) if (LIMIT_CODES.has(c)) return 429;
  return 400;
}

/** Refuses a request with more records than max_records_per_request. */
export function checkRecordCount(limits: LimitsSection, records: number): void {
  if (records > limits.max_records_per_request) {
    throw new IngestRefusal(
      413,
      'too_many_records',
      `${records} records in one request; the limit is ${limits.max_records_per_request} (limits.max_records_per_request): split it.`,
    );
  }
}

/** One request's limit check: remembers the new streams this request created. */
export class RequestLimits {
  private readonly newStreams = new Set<string>();

  constructor(
    private readonly limits: LimitsSection,
    private readonly census: StreamCensus,
    private readonly nowMs: number,
  ) {}

  /** Null when the record may go on; a new stream it names counts against the limits from then on. */
  check(key: string, eventTime: number): LimitRejection | null {
    const l = this.limits;
    if (key.length > l.max_stream_id_length) {
      return {
        code: 'stream_id_too_long',
        message: `stream id of ${key.length} characters; the limit is ${l.max_stream_id_length} (limits.max_stream_id_length)`,
      };
    }
    if (eventTime > this.nowMs + l.max_future_ms) {
      return {
        code: 'future_record',
        message: `event time ${new Date(eventTime).toISOString()} is more than ${l.max_future_ms} ms ahead of now (limits.max_future_ms); check the time unit`,
      };
    }
    if (key === '' || this.census.has(key) || this.newStreams.has(key)) return null; // an empty id is the engine's to reject
    if (this.newStreams.size >= l.max_new_streams_per_request) {
      return {
        code: 'too_many_new_streams',
        message: `more than ${l.max_new_streams_per_request} new streams in one request (limits.max_new_streams_per_request)`,
      };
    }
    if (this.census.size + this.newStreams.size >= l.max_streams) {
      return {
        code: 'stream_limit',
        message: `the pipeline holds ${this.census.size + this.newStreams.size} streams, its limit (limits.max_streams); this record would start another`,
      };
    }
    this.newStreams.add(key);
    return null;
  }
}
