import type { RawRecord } from '../core/types.js';
import { digitsToMs } from './parse-time.js';
import { fieldMapper, type ParseConfig, type ParseSink } from './parse-sink.js';

// InfluxDB line protocol: `measurement,tag=v field=1.5,other=2i 1700000000000000000`, one record per
// line. Measurement and tags make the stream id; backslash escapes and quoted string fields are
// honoured. Booleans read as 1/0; string fields are not numbers and dead-letter the line.

type Err = ['parse_error' | 'schema_mismatch' | 'non_finite', string];

const INT = /^-?\d+[iu]$/;
const BOOL: Record<string, number> = { t: 1, T: 1, true: 1, True: 1, TRUE: 1, f: 0, F: 0, false: 0, False: 0, FALSE: 0 };

export class LineProtocolParser {
  private readonly mapField: (n: string) => string | undefined;

  constructor(private readonly cfg: ParseConfig) {
    this.mapField = fieldMapper(cfg.input.line.fields, cfg.fieldNames);
  }

  parse(raw: RawRecord, sink: ParseSink): void {
    const lines = raw.payload.split('\n');
    lines.forEach((line, i) => {
      const l = line.trim();
      if (l === '' || l.startsWith('#')) return;
      const err = this.one(l, raw, sink);
      if (err !== null) {
        const where = lines.length > 1 ? `line ${i + 1}: ` : '';
        sink.deadLetter({ record: raw, code: err[0], detail: where + err[1], origin: raw.origin });
      }
    });
  }

  private one(line: string, raw: RawRecord, sink: ParseSink): Err | null {
    const sections = splitUnescaped(line, ' ', true).filter((s) => s !== '');
    if (sections.length < 2 || sections.length > 3) return ['parse_error', 'expected "measurement[,tags] fields [timestamp]"'];
    if (sections.length === 2) return ['schema_mismatch', 'missing timestamp'];
    const key = this.streamId(sections[0]);
    if (typeof key !== 'string') return key;
    if (!/^-?\d+$/.test(sections[2])) return ['parse_error', `unparsable timestamp "${sections[2]}"`];
    const eventTime = digitsToMs(sections[2], this.cfg.input.line.precision);
    const fields: Record<string, number> = {};
    let n = 0;
    for (const pair of splitUnescaped(sections[1], ',', true)) {
      const eq = indexUnescaped(pair, '=');
      if (eq <= 0) return ['parse_error', `bad field "${pair}"`];
      const name = unescapeLineProtocol(pair.slice(0, eq));
      const mapped = this.mapField(name);
      if (mapped === undefined) return ['schema_mismatch', `unknown field "${name}"`];
      const v = fieldValue(pair.slice(eq + 1));
      if (typeof v !== 'number') return v;
      fields[mapped] = v;
      n++;
    }
    if (n === 0) return ['schema_mismatch', 'no fields'];
    sink.observation({ key: this.cfg.input.stream_prefix + key, eventTime, fields, origin: raw.origin });
    return null;
  }

  private streamId(section: string): string | Err {
    const parts = splitUnescaped(section, ',', false);
    const measurement = unescapeLineProtocol(parts[0]);
    if (measurement === '') return ['parse_error', 'empty measurement'];
    const tags = new Map<string, string>();
    for (const p of parts.slice(1)) {
      const eq = indexUnescaped(p, '=');
      if (eq <= 0) return ['parse_error', `bad tag "${p}"`];
      tags.set(unescapeLineProtocol(p.slice(0, eq)), unescapeLineProtocol(p.slice(eq + 1)));
    }
    const wanted = this.cfg.input.line.stream_tags;
    if (wanted === null) {
      const sorted = [...tags.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      return [measurement, ...sorted.map(([k, v]) => `${k}=${v}`)].join('/');
    }
    const vals: string[] = [measurement];
    for (const k of wanted) {
      const v = tags.get(k);
      if (v === undefined) return ['schema_mismatch', `missing tag "${k}"`];
      vals.push(v);
    }
    return vals.join('/');
  }
}

function fieldValue(s: string): number | Err {
  if (s.startsWith('"')) return ['schema_mismatch', `string field value ${s}`];
  if (s in BOOL) return BOOL[s];
  const n = INT.test(s) ? Number(s.slice(0, -1)) : s === '' ? NaN : Number(s);
  if (Number.isNaN(n)) return ['parse_error', `unparsable field value "${s}"`];
  if (!Number.isFinite(n)) return ['non_finite', `field value ${s}`];
  return n;
}

/** Splits at `sep` not preceded by a backslash (and, if `quotes`, not inside double quotes). */
function splitUnescaped(s: string, sep: string, quotes: boolean): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (quotes && c === '"') inQuote = !inQuote;
    else if (c === sep && !inQuote) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function indexUnescaped(s: string, ch: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) return i;
  }
  return -1;
}

function unescapeLineProtocol(s: string): string {
  return s.replace(/\\([,= "\\])/g, '$1');
}
