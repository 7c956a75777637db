import type { RawRecord } from '../core/types.js';
import { parseEventTime } from './parse-time.js';
import { fieldMapper, toNumber, type ParseConfig, type ParseSink } from './parse-sink.js';

// JSON records: one object or an array of objects, e.g. {"stream":"KSEA","timestamp":"2024-01-01T00:00Z","temp":3.1}.
// The stream id joins the values of `stream_keys`; keys that are neither stream, time, a mapped field
// nor ignored are unknown fields and dead-letter the record.

export class JsonParser {
  private readonly mapField: (n: string) => string | undefined;
  private readonly skip: Set<string>;

  constructor(private readonly cfg: ParseConfig) {
    const j = cfg.input.json;
    this.mapField = fieldMapper(j.fields, cfg.fieldNames);
    this.skip = new Set([...j.stream_keys, j.time_key, ...j.ignore_keys]);
  }

  parse(raw: RawRecord, sink: ParseSink): void {
    let doc: unknown;
    try {
      doc = JSON.parse(raw.payload);
    } catch (e) {
      sink.deadLetter({ record: raw, code: 'parse_error', detail: `invalid JSON: ${(e as Error).message}`, origin: raw.origin });
      return;
    }
    this.parseValue(doc, raw, sink);
  }

  /** A JSON value parsed already (HTTP ingest parses the body once); `raw` is what dead letters carry. */
  parseValue(doc: unknown, raw: RawRecord, sink: ParseSink): void {
    if (!Array.isArray(doc)) {
      const err = this.one(doc, raw, sink);
      if (err !== null) sink.deadLetter({ record: raw, code: err[0], detail: err[1], origin: raw.origin });
      return;
    }
    doc.forEach((item, i) => {
      const err = this.one(item, raw, sink);
      if (err !== null) sink.deadLetter({ record: raw, code: err[0], detail: `element ${i}: ${err[1]}`, origin: raw.origin });
    });
  }

  private one(item: unknown, raw: RawRecord, sink: ParseSink): ['parse_error' | 'schema_mismatch' | 'non_finite', string] | null {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return ['schema_mismatch', 'not a JSON object'];
    const obj = item as Record<string, unknown>;
    const j = this.cfg.input.json;
    const parts: string[] = [];
    for (const k of j.stream_keys) {
      const v = obj[k];
      if (typeof v !== 'string' && typeof v !== 'number') return ['schema_mismatch', `missing stream key "${k}"`];
      parts.push(String(v));
    }
    if (obj[j.time_key] === undefined) return ['schema_mismatch', `missing time key "${j.time_key}"`];
    const eventTime = parseEventTime(obj[j.time_key], this.cfg.input.time_unit);
    if (Number.isNaN(eventTime)) return ['parse_error', `unparsable time ${JSON.stringify(obj[j.time_key])}`];
    const fields: Record<string, number> = {};
    let n = 0;
    for (const k of Object.keys(obj)) {
      if (this.skip.has(k)) continue;
      const name = this.mapField(k);
      if (name === undefined) return ['schema_mismatch', `unknown field "${k}"`];
      const v = toNumber(obj[k]);
      if (Number.isNaN(v)) return ['non_finite', `field "${k}" is ${JSON.stringify(obj[k])}`];
      fields[name] = v;
      n++;
    }
    if (n === 0) return ['schema_mismatch', 'no fields'];
    sink.observation({ key: this.cfg.input.stream_prefix + parts.join('/'), eventTime, fields, origin: raw.origin });
    return null;
  }
}
