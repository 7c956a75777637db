import type { DeadLetter, Observation, Origin } from '../../src/core/types.js';
import { splitCsv } from '../../src/operators/parse-csv.js';
import type { FileSourceConfig } from './config.js';

// One line of a CSV or JSON-lines file -> observations (several for a wide CSV row), or a dead letter.
// Lines are split by the stream pipeline's splitCsv (one CSV splitter for the project).

const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** Event time in epoch ms: epoch ms (or s below 1e11), YYYY-MM-DD, ISO 8601 (no zone = UTC), M/D/YYYY H:MM. */
export function parseTime(s: string): number {
  const v = s.trim();
  if (/^-?\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    return Math.abs(n) >= 1e11 ? n : n * 1000;
  }
  const us = US.exec(v);
  if (us) return Date.UTC(+us[3], +us[1] - 1, +us[2], +(us[4] ?? 0), +(us[5] ?? 0), +(us[6] ?? 0));
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return Date.parse(`${v}T00:00:00Z`);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) return Date.parse(`${v.replace(' ', 'T')}Z`);
  return Date.parse(v);
}

export type RowResult =
  | { readonly ok: true; readonly observations: readonly Observation[] }
  | { readonly ok: false; readonly dead: DeadLetter };

export class RowParser {
  private header: string[] = [];
  private timeIdx = -1;
  private keyIdx = -1;
  private valueIdx: number[] = [];
  private readonly wanted: ReadonlySet<string> | undefined;
  // Rows of one time usually come together (a long file: every stream's row of a date) and the same
  // few keys recur: the last time cell's parse and each stream's prefixed key are reused rather than
  // rebuilt per row (parseTime's regexes and Date.parse were a visible share of a replay's time).
  private lastTimeCell = '';
  private lastTime = NaN; // parseTime('')
  private readonly prefixed = new Map<string, string>();

  constructor(readonly config: FileSourceConfig) {
    this.wanted = config.streams ? new Set(config.streams) : undefined;
  }

  /** CSV only: reads the header; returns a problem to report, or undefined. */
  setHeader(line: string): string | undefined {
    const cells = splitCsv(line, ',');
    if (cells === null) return 'unterminated quote in the header';
    this.header = cells.map((h) => h.trim());
    const c = this.config;
    this.timeIdx = this.header.indexOf(c.time_column);
    this.keyIdx = c.key_column === undefined ? -1 : this.header.indexOf(c.key_column);
    this.valueIdx = c.value_columns.map((v) => this.header.indexOf(v));
    const missing = [c.time_column, ...(c.key_column ? [c.key_column] : []), ...c.value_columns].filter((n) => !this.header.includes(n));
    return missing.length > 0 ? `columns ${missing.join(', ')} not in header [${this.header.join(', ')}]` : undefined;
  }

  parse(line: string, origin: Origin): RowResult {
    return this.config.format === 'csv' ? this.parseCsv(line, origin) : this.parseJson(line, origin);
  }

  private parseCsv(line: string, origin: Origin): RowResult {
    const cells = splitCsv(line, ',');
    if (cells === null) return fail(line, 'parse_error', 'unterminated quote', origin);
    if (cells.length !== this.header.length)
      return fail(line, 'parse_error', `${cells.length} columns, header has ${this.header.length}`, origin);
    const t = this.timeOf(cells[this.timeIdx]);
    if (!Number.isFinite(t)) return fail(line, 'parse_error', `unreadable time "${cells[this.timeIdx]}"`, origin);
    const c = this.config;
    if (this.keyIdx >= 0) {
      const id = cells[this.keyIdx];
      if (this.wanted && !this.wanted.has(id)) return { ok: true, observations: [] };
      const fields: Record<string, number> = {};
      const names = c.value_columns;
      for (let j = 0; j < names.length; j++) {
        const raw = cells[this.valueIdx[j]].trim();
        if (raw !== '') fields[names[j]] = Number(raw);
      }
      return { ok: true, observations: [{ key: this.keyOf(id), eventTime: t, fields, origin }] };
    }
    const out: Observation[] = [];
    c.value_columns.forEach((name, j) => {
      if (this.wanted && !this.wanted.has(name)) return;
      const raw = cells[this.valueIdx[j]].trim();
      out.push({ key: c.key_prefix + name, eventTime: t, fields: raw === '' ? {} : { value: Number(raw) }, origin });
    });
    return { ok: true, observations: out };
  }

  private timeOf(cell: string): number {
    if (cell !== this.lastTimeCell) {
      this.lastTimeCell = cell;
      this.lastTime = parseTime(cell);
    }
    return this.lastTime;
  }

  /** key_prefix + id, one string per stream (the engine's lookups then hash it once). */
  private keyOf(id: string): string {
    let key = this.prefixed.get(id);
    if (key === undefined) {
      key = this.config.key_prefix + id;
      this.prefixed.set(id, key);
    }
    return key;
  }

  private parseJson(line: string, origin: Origin): RowResult {
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      return fail(line, 'parse_error', (err as Error).message, origin);
    }
    if (rec === null || typeof rec !== 'object') return fail(line, 'parse_error', 'not a JSON object', origin);
    const r = rec as Record<string, unknown>;
    const c = this.config;
    const time = r[c.time_column];
    const t = typeof time === 'number' ? time : typeof time === 'string' ? parseTime(time) : NaN;
    if (!Number.isFinite(t)) return fail(line, 'parse_error', `unreadable time ${JSON.stringify(time)}`, origin);
    const id = c.key_column === undefined ? '' : r[c.key_column];
    if (typeof id !== 'string' && typeof id !== 'number') return fail(line, 'schema_mismatch', `no stream id in "${c.key_column}"`, origin);
    if (this.wanted && !this.wanted.has(String(id))) return { ok: true, observations: [] };
    const fields: Record<string, number> = {};
    for (const name of c.value_columns) {
      const v = r[name];
      if (typeof v === 'number' || typeof v === 'string') fields[name] = Number(v);
    }
    return { ok: true, observations: [{ key: c.key_prefix + String(id), eventTime: t, fields, origin }] };
  }
}

function fail(record: string, code: DeadLetter['code'], detail: string, origin: Origin): RowResult {
  return { ok: false, dead: { record, code, detail, origin } };
}
