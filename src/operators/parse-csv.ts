import type { RawRecord } from '../core/types.js';
import { parseEventTime } from './parse-time.js';
import { fieldMapper, toNumber, type ParseConfig, type ParseSink } from './parse-sink.js';

// CSV rows (one or more lines per record; RFC 4180 quotes). The header comes from the options or is
// the first line seen. Columns mapped to fields give values; an empty cell means the field is absent
// from that observation; other columns are ignored.

type Err = ['parse_error' | 'schema_mismatch' | 'non_finite', string];

export class CsvParser {
  private header: readonly string[] | null;
  private readonly mapField: (n: string) => string | undefined;

  constructor(private readonly cfg: ParseConfig) {
    this.header = cfg.input.csv.header;
    this.mapField = fieldMapper(cfg.input.csv.fields, cfg.fieldNames);
  }

  parse(raw: RawRecord, sink: ParseSink): void {
    const lines = raw.payload.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const err = this.one(line, raw, sink);
      if (err !== null) {
        const where = lines.length > 1 ? `line ${i + 1}: ` : '';
        sink.deadLetter({ record: raw, code: err[0], detail: where + err[1], origin: raw.origin });
      }
    });
  }

  private one(line: string, raw: RawRecord, sink: ParseSink): Err | null {
    const cells = splitCsv(line, this.cfg.input.csv.delimiter);
    if (cells === null) return ['parse_error', 'unterminated quote'];
    if (this.header === null) {
      this.header = cells.map((c) => c.trim());
      return null;
    }
    const h = this.header;
    if (cells.length !== h.length) return ['parse_error', `expected ${h.length} columns, got ${cells.length}`];
    const c = this.cfg.input.csv;
    const parts: string[] = [];
    let eventTime = NaN;
    let timeSeen = false;
    const fields: Record<string, number> = {};
    let n = 0;
    for (let i = 0; i < h.length; i++) {
      const col = h[i];
      const cell = cells[i].trim();
      if (col === c.time_column) {
        timeSeen = true;
        if (cell === '') return ['schema_mismatch', `empty time column "${col}"`];
        eventTime = parseEventTime(cell, this.cfg.input.time_unit);
        if (Number.isNaN(eventTime)) return ['parse_error', `unparsable time "${cell}"`];
        continue;
      }
      const name = this.mapField(col);
      if (name === undefined || cell === '') continue;
      const v = toNumber(cell);
      if (Number.isNaN(v)) return ['non_finite', `column "${col}" is "${cell}"`];
      fields[name] = v;
      n++;
    }
    for (const k of c.stream_columns) {
      const i = h.indexOf(k);
      if (i < 0 || cells[i].trim() === '') return ['schema_mismatch', `missing stream column "${k}"`];
      parts.push(cells[i].trim());
    }
    if (!timeSeen) return ['schema_mismatch', `missing time column "${c.time_column}"`];
    if (n === 0) return ['schema_mismatch', 'no field values'];
    sink.observation({ key: this.cfg.input.stream_prefix + parts.join('/'), eventTime, fields, origin: raw.origin });
    return null;
  }
}

/** Cells of one line; null for an unterminated quote. */
export function splitCsv(line: string, sep: string): string[] | null {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (q) return null;
  out.push(cur);
  return out;
}
