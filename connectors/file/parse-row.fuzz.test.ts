import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCsv } from '../../src/operators/parse-csv.js';
import { FileSourceConfig } from './config.js';
import { RowParser } from './parse-row.js';

// The CSV reader under fuzzing: quoting round-trips, and any line is an observation or a dead letter
// with a reason, never a throw.

const origin = { connector: 'f', partition: 0, offset: '1' };

/** RFC 4180 quoting of one cell: quoted when it holds the separator or a quote. */
function quote(cell: string): string {
  return /[",]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

const cell = fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s));

describe('splitCsv under fuzzing', () => {
  it('splits what quoting joined, cell for cell', () => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (cells) => {
        expect(splitCsv(cells.map(quote).join(','), ',')).toEqual(cells);
      }),
      { numRuns: 500 },
    );
  });

  it('any line: cells or null (unterminated quote), never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (line) => {
        const cells = splitCsv(line, ',');
        return cells === null ? (line.match(/"/g) ?? []).length % 2 === 1 : cells.length >= 1;
      }),
      { numRuns: 500 },
    );
  });
});

describe('RowParser under fuzzing', () => {
  const parser = new RowParser(FileSourceConfig.parse({ path: 'x', key_column: 'stream', value_columns: ['value', 'rh'] }));
  parser.setHeader('stream,timestamp,value,rh');
  const time = fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('', 'yesterday', '1e17', '2024-13-45', '1460419200'),
    fc.string({ maxLength: 10 }),
  );
  const value = fc.oneof(fc.double().map(String), fc.constantFrom('', 'n/a', '1e999', '-0', ' 3 '), fc.string({ maxLength: 6 }));
  const row = fc.oneof(
    fc.tuple(cell, time, value, value).map((cells) => cells.map(quote).join(',')),
    fc.string({ maxLength: 60 }),
  );

  it('every line is observations or one dead letter with a code and a reason', () => {
    fc.assert(
      fc.property(row, (line) => {
        const r = parser.parse(line, origin);
        if (r.ok) return r.observations.every((o) => Number.isFinite(o.eventTime) && typeof o.key === 'string');
        return typeof r.dead.code === 'string' && r.dead.detail.length > 0 && r.dead.record === line;
      }),
      { numRuns: 1000 },
    );
  });
});
