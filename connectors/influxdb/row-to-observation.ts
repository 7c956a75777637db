import type { DeadLetter, Observation, Origin } from '../../src/core/types.js';
import type { PageRow } from './page-query.js';

// A page row becomes an Observation, or a dead letter saying why not: bad data is a value.

export interface RowShape {
  readonly connector: string;
  readonly keyPrefix: string;
  readonly fields: readonly string[];
  readonly tags: readonly string[];
}

export type RowOutcome =
  | { readonly ok: true; readonly observation: Observation }
  | { readonly ok: false; readonly dead: DeadLetter<PageRow> };

export function rowToObservation(row: PageRow, shape: RowShape): RowOutcome {
  const origin: Origin = { connector: shape.connector, partition: 0, offset: String(row.time) };
  if (!Number.isFinite(row.time)) return dead(row, origin, 'parse_error', `time is not a number: ${String(row.time)}`);
  let key = shape.keyPrefix;
  for (let i = 0; i < shape.tags.length; i++) {
    const v = row.tags[i];
    if (v === null || v === undefined || v === '') {
      return dead(row, origin, 'schema_mismatch', `stream tag "${shape.tags[i]}" is missing`);
    }
    key += `/${v}`;
  }
  const fields: Record<string, number> = {};
  let present = 0;
  for (let i = 0; i < shape.fields.length; i++) {
    const v = row.values[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number') {
      return dead(row, origin, 'schema_mismatch', `field "${shape.fields[i]}" is ${typeof v} ${JSON.stringify(v)}, expected a number`);
    }
    if (!Number.isFinite(v)) return dead(row, origin, 'non_finite', `field "${shape.fields[i]}" is ${v}`);
    fields[shape.fields[i]] = v;
    present++;
  }
  if (present === 0) return dead(row, origin, 'schema_mismatch', 'none of the selected fields has a value');
  return { ok: true, observation: { key, eventTime: row.time, fields, origin } };
}

function dead(row: PageRow, origin: Origin, code: DeadLetter['code'], detail: string): RowOutcome {
  return { ok: false, dead: { record: row, code, detail, origin } };
}
