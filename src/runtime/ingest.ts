import { checkRecordCount, IngestRefusal, RequestLimits, type StreamCensus } from '../api/ingest-limits.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../api/json-depth.js';
import type { IngestHandler, IngestOptions, IngestRejection, IngestResult } from '../api/server.js';
import { mediaType } from '../api/write-guard.js';
import { dataPart } from '../config/pipeline-schema.js';
import type { DeadLetter, Observation, RawRecord } from '../core/types.js';
import { RecordParser } from '../operators/parse.js';
import type { TimeUnit } from '../operators/parse-time.js';
import type { PipelineRuntime } from './pipeline-runtime.js';

// POST /api/ingest: a JSON array/object, JSON lines or line protocol body becomes raw records, parsed
// with the pipeline's own input mapping, checked against the pipeline's limits, then handed to the
// engine. The answer counts this request's records only: parse and limit rejections are known here,
// and the engine's own (duplicate, late, empty id, ...) are the dead letters it raises for these very
// observation objects while it takes them in, synchronously, so concurrent requests cannot mix.
// HTTP ingest is at-most-once: it is not replayed after a restart.

const TIME_UNITS = new Set<string>(['auto', 's', 'ms', 'us', 'ns']);

/** A raw record and where it was in the body (array element, or 0-based line). */
interface IndexedRecord {
  readonly raw: RawRecord;
  readonly index: number;
  /** An array inside the body's array: not a record (a parser would read it as several, or none). */
  readonly nested?: boolean;
  /** An element of a JSON body parsed whole: handed to the parser as is (no second parse). */
  readonly parsed?: boolean;
  readonly value?: unknown;
}

export function ingestHandler(runtime: PipelineRuntime, now: () => number = Date.now): IngestHandler {
  const data = dataPart(runtime.spec);
  const limits = runtime.spec.limits;
  const parsers = new Map<string, RecordParser>([['', new RecordParser(data)]]);
  // A request's time_unit overrides input.time_unit (JSON/CSV numbers) and, unless auto, input.line.precision.
  const parserFor = (unit: string | undefined): RecordParser => {
    const key = unit ?? '';
    let p = parsers.get(key);
    if (p !== undefined) return p;
    if (!TIME_UNITS.has(key))
      throw new IngestRefusal(400, 'bad_request', `time_unit must be one of ${[...TIME_UNITS].join(', ')}, got "${key}".`);
    const u = key as TimeUnit;
    const input = { ...data.input, time_unit: u, line: u === 'auto' ? data.input.line : { ...data.input.line, precision: u } };
    p = new RecordParser({ ...data, input });
    parsers.set(key, p);
    return p;
  };
  const engine = runtime.engine;
  // Streams held: in memory or evicted as idle (an evicted stream's record is not a new stream).
  const census: StreamCensus = {
    get size() {
      return engine.streamCount;
    },
    has: (k) => engine.runner.arena.peek(k) >= 0 || engine.eviction?.has(k) === true,
  };
  const refused = runtime.options.metrics?.ingestRefused;

  return async (body: string, contentType: string, options: IngestOptions = {}): Promise<IngestResult> => {
    let records: IndexedRecord[];
    let parser: RecordParser;
    try {
      parser = parserFor(options.timeUnit);
      records = toRawRecords(body, contentType);
      checkRecordCount(limits, records.length);
    } catch (err) {
      if (err instanceof IngestRefusal) refused?.labels(runtime.spec.name, err.code).inc();
      throw err;
    }
    const check = new RequestLimits(limits, census, now());
    const observations: Observation[] = [];
    const indexOf = new Map<Observation, number>();
    const dead: DeadLetter[] = [];
    const rejections: IngestRejection[] = [];
    let index = 0;
    const sink = {
      observation: (o: Observation) => {
        const limit = check.check(o.key, o.eventTime);
        if (limit === null) {
          observations.push(o);
          indexOf.set(o, index);
          return;
        }
        dead.push({ record: o, code: limit.code, detail: limit.message, origin: o.origin });
        rejections.push({ index, code: limit.code, message: limit.message });
      },
      deadLetter: (d: DeadLetter<RawRecord>) => {
        dead.push(d);
        rejections.push({ index, code: d.code, message: d.detail });
      },
    };
    for (const r of records) {
      index = r.index;
      if (r.nested)
        sink.deadLetter({ record: r.raw, code: 'schema_mismatch', detail: `record ${r.index} is an array: a record is an object` });
      else if (r.parsed === true) parser.parseJsonValue(r.value, r.raw, sink);
      else parser.parse(r.raw, sink);
    }
    let engineRejected = 0;
    await runtime.ingestExternal(observations, dead, (d) => {
      const i = indexOf.get(d.record as Observation);
      if (i === undefined) return; // another request's record released now (e.g. late once its wait ended)
      engineRejected++;
      rejections.push({ index: i, code: d.code, message: d.detail });
    });
    rejections.sort((a, b) => a.index - b.index);
    return { accepted: observations.length - engineRejected, rejected: rejections.length, errors: rejections };
  };
}

/** The body's records by content type (see write-guard.ts for the accepted types). */
export function toRawRecords(body: string, contentType: string): IndexedRecord[] {
  const type = mediaType(contentType);
  const trimmed = body.trim();
  const sniffedJson = type === '' && (trimmed.startsWith('[') || trimmed.startsWith('{'));
  if (type === 'application/json' || sniffedJson) return jsonRecords(body, false);
  if (type === 'application/x-ndjson' || type === 'application/jsonl') return jsonRecords(body, true);
  return lines(body)
    .filter((l) => l.text.trim() !== '' && !l.text.startsWith('#'))
    .map((l) => ({ raw: { payload: l.text, format: 'line' as const, origin: origin(l.index) }, index: l.index }));
}

function jsonRecords(text: string, jsonLines: boolean): IndexedRecord[] {
  if (jsonTooDeep(text)) {
    throw new IngestRefusal(
      400,
      'too_deep',
      `JSON nested more than ${MAX_JSON_DEPTH} levels deep: records are flat objects, or an array of them.`,
    );
  }
  if (!jsonLines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      jsonLines = true; // not one JSON document: read it as JSON lines
    }
    if (!jsonLines) {
      const items = Array.isArray(parsed) ? parsed : [parsed];
      const outer = Array.isArray(parsed);
      return items.map((item, i) => ({
        raw: lazyJsonRecord(item, i),
        index: i,
        nested: outer && Array.isArray(item),
        parsed: true,
        value: item,
      }));
    }
  }
  return lines(text)
    .filter((l) => l.text.trim() !== '')
    .map((l) => ({
      raw: { payload: l.text, format: 'json' as const, origin: origin(l.index) },
      index: l.index,
      nested: l.text.trimStart().startsWith('['),
    }));
}

/**
 * A JSON element's raw record: its text is made only when something reads it (a dead-letter sink),
 * not for every record. A class, so the accessor sits on the prototype (object literals with getters
 * are slow to make); toJSON gives sinks that serialise the record the same shape as a plain one.
 */
class LazyJsonRecord implements RawRecord {
  readonly format = 'json' as const;
  private text: string | undefined;

  constructor(
    private readonly item: unknown,
    readonly origin: RawRecord['origin'],
  ) {}

  get payload(): string {
    this.text ??= JSON.stringify(this.item) ?? 'null';
    return this.text;
  }

  toJSON(): RawRecord {
    return { payload: this.payload, format: this.format, origin: this.origin };
  }
}

function lazyJsonRecord(item: unknown, i: number): RawRecord {
  return new LazyJsonRecord(item, origin(i));
}

function lines(text: string): { text: string; index: number }[] {
  return text.split('\n').map((t, index) => ({ text: t.endsWith('\r') ? t.slice(0, -1) : t, index }));
}

function origin(i: number): RawRecord['origin'] {
  return { connector: 'http', partition: 0, offset: String(i) };
}
