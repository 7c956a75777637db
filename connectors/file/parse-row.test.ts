import { describe, expect, it } from 'vitest';
import { FileSourceConfig } from './config.js';
import { parseTime, RowParser } from './parse-row.js';

const origin = { connector: 'f', partition: 0, offset: '7' };

describe('parseTime', () => {
  it('reads the time formats of the sample data as UTC epoch ms', () => {
    expect(parseTime('2016-04-12T00:00:05')).toBe(Date.UTC(2016, 3, 12, 0, 0, 5));
    expect(parseTime('2010-01-01T00:00')).toBe(Date.UTC(2010, 0, 1));
    expect(parseTime('1970-01-01T00:07:00Z')).toBe(7 * 60_000);
    expect(parseTime('2015-06-01')).toBe(Date.UTC(2015, 5, 1));
    expect(parseTime('1/2/2010 13:00')).toBe(Date.UTC(2010, 0, 2, 13));
    expect(parseTime('1460419200000')).toBe(1460419200000);
    expect(parseTime('1460419200')).toBe(1460419200000);
    expect(parseTime('yesterday')).toBeNaN();
  });
});

describe('CSV lines (split by the stream pipeline splitCsv)', () => {
  it('handles quotes and escaped quotes; an unterminated quote is a dead letter, not a guess', () => {
    const p = new RowParser(FileSourceConfig.parse({ path: 'x', key_column: 'stream' }));
    expect(p.setHeader('stream,timestamp,value')).toBeUndefined();
    const origin = { connector: 'f', partition: 0, offset: '2' };
    expect(p.parse('"a,b",2024-01-01,"1"', origin)).toEqual({
      ok: true,
      observations: [{ key: 'a,b', eventTime: Date.UTC(2024, 0, 1), fields: { value: 1 }, origin }],
    });
    expect(p.parse('"say ""hi""",2024-01-01,2', origin)).toMatchObject({ ok: true, observations: [{ key: 'say "hi"' }] });
    expect(p.parse('"a,2024-01-01,2', origin)).toMatchObject({ ok: false, dead: { code: 'parse_error', detail: 'unterminated quote' } });
    expect(new RowParser(FileSourceConfig.parse({ path: 'x' })).setHeader('"stream,timestamp,value')).toBe(
      'unterminated quote in the header',
    );
  });
});

describe('RowParser', () => {
  it('reads long CSV rows into one observation, with the key prefix', () => {
    const p = new RowParser(FileSourceConfig.parse({ path: 'x', key_column: 'stream', key_prefix: 'w/' }));
    expect(p.setHeader('stream,timestamp,value')).toBeUndefined();
    expect(p.parse('a,2010-01-01T01:00,3.5', origin)).toEqual({
      ok: true,
      observations: [{ key: 'w/a', eventTime: Date.UTC(2010, 0, 1, 1), fields: { value: 3.5 }, origin }],
    });
  });

  it('reads wide CSV rows into one observation per value column', () => {
    const p = new RowParser(FileSourceConfig.parse({ path: 'x', time_column: 'date', value_columns: ['t', 'h'], key_prefix: 'wx/' }));
    p.setHeader('date,t,h,other');
    const r = p.parse('1/1/2010 0:00,-9,67,x', origin);
    expect(r).toEqual({
      ok: true,
      observations: [
        { key: 'wx/t', eventTime: Date.UTC(2010, 0, 1), fields: { value: -9 }, origin },
        { key: 'wx/h', eventTime: Date.UTC(2010, 0, 1), fields: { value: 67 }, origin },
      ],
    });
  });

  it('turns bad rows into dead letters with a code and the place they came from', () => {
    const p = new RowParser(FileSourceConfig.parse({ path: 'x', key_column: 'stream' }));
    p.setHeader('stream,timestamp,value');
    expect(p.parse('a,b', origin)).toEqual({
      ok: false,
      dead: { record: 'a,b', code: 'parse_error', detail: '2 columns, header has 3', origin },
    });
    expect(p.parse('a,soon,1', origin)).toMatchObject({ ok: false, dead: { code: 'parse_error', detail: 'unreadable time "soon"' } });
    expect(new RowParser(FileSourceConfig.parse({ path: 'x', key_column: 'id' })).setHeader('stream,timestamp,value')).toBe(
      'columns id not in header [stream, timestamp, value]',
    );
  });

  it("reads each row's own time and key when rows repeat or alternate them (the reused last time and keys)", () => {
    const p = new RowParser(FileSourceConfig.parse({ path: 'x', key_column: 'stream', key_prefix: 'w/' }));
    p.setHeader('stream,timestamp,value');
    const rows = ['a,2010-01-01,1', 'b,2010-01-01,2', 'a,2010-01-02,3', 'b,,4', 'a,2010-01-02,5', 'b,2010-01-01,6'];
    const read = rows.map((line) => {
      const r = p.parse(line, origin);
      return r.ok ? [r.observations[0].key, r.observations[0].eventTime] : r.dead.code;
    });
    const day = (d: number) => Date.UTC(2010, 0, d);
    expect(read).toEqual([['w/a', day(1)], ['w/b', day(1)], ['w/a', day(2)], 'parse_error', ['w/a', day(2)], ['w/b', day(1)]]);
  });

  it('reads JSON lines', () => {
    const p = new RowParser(FileSourceConfig.parse({ path: 'x', format: 'json', key_column: 'id', time_column: 'ts' }));
    expect(p.parse('{"id":"k","ts":"2015-06-01","value":2}', origin)).toEqual({
      ok: true,
      observations: [{ key: 'k', eventTime: Date.UTC(2015, 5, 1), fields: { value: 2 }, origin }],
    });
    expect(p.parse('{"id":"k"', origin)).toMatchObject({ ok: false, dead: { code: 'parse_error' } });
  });
});
