import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { DeadLetter, Observation, RawRecord } from '../core/types.js';
import { testContext } from './context.js';
import type { PipelineDataOptionsInput } from './options.js';
import { parse, RecordParser } from './parse.js';
import { parseEventTime } from './parse-time.js';

const origin = { connector: 'test', partition: 0, offset: '0' };
const raw = (format: RawRecord['format'], payload: string): RawRecord => ({ format, payload, origin });

function parseAll(options: PipelineDataOptionsInput, records: RawRecord[]) {
  const parser = new RecordParser(options);
  const obs: Observation[] = [];
  const dead: DeadLetter<RawRecord>[] = [];
  for (const r of records) parser.parse(r, { observation: (o) => obs.push(o), deadLetter: (d) => dead.push(d) });
  return { obs, dead };
}

const weather: PipelineDataOptionsInput = {
  step_ms: 600_000,
  fields: [{ name: 'temp_c' }, { name: 'humidity', role: 'exogenous' }],
};

describe('parseEventTime', () => {
  it('reads epoch numbers in the configured unit or guesses it from the magnitude', () => {
    const ms = Date.UTC(2024, 4, 1, 12, 30, 15, 250);
    expect(parseEventTime(ms / 1000, 'auto')).toBe(ms);
    expect(parseEventTime(ms, 'auto')).toBe(ms);
    expect(parseEventTime(ms * 1000, 'auto')).toBe(ms);
    expect(parseEventTime(`${String(ms)}000000`, 'auto')).toBe(ms);
    expect(parseEventTime('1714566615250123456', 'ns')).toBeCloseTo(1714566615250.123456, 6);
    expect(parseEventTime(5, 'ms')).toBe(5);
  });

  it('reads RFC 3339 with or without a zone (none: UTC), and refuses what is no time', () => {
    expect(parseEventTime('2016-04-12T07:21:00', 'auto')).toBe(Date.UTC(2016, 3, 12, 7, 21));
    expect(parseEventTime('2016-04-12T07:21:00.5Z', 'auto')).toBe(Date.UTC(2016, 3, 12, 7, 21, 0, 500));
    expect(parseEventTime('2016-04-12T09:21:00+02:00', 'auto')).toBe(Date.UTC(2016, 3, 12, 7, 21));
    expect(parseEventTime('2016-04-12T02:21:00-05:00', 'auto')).toBe(Date.UTC(2016, 3, 12, 7, 21));
    expect(parseEventTime('2013-02-08', 'auto')).toBe(Date.UTC(2013, 1, 8));
    for (const bad of ['2016-02-30T00:00:00', '2016-13-01', 'yesterday', '', null, Number.NaN, Infinity, {}]) {
      expect(parseEventTime(bad, 'auto')).toBeNaN();
    }
  });
});

describe('JSON', () => {
  it('maps keys to stream, time and fields; arrays give several observations', () => {
    const opts: PipelineDataOptionsInput = {
      ...weather,
      input: {
        stream_prefix: 'weather/',
        json: { stream_keys: ['station', 'sensor'], time_key: 'ts', fields: { t: 'temp_c', rh: 'humidity' }, ignore_keys: ['note'] },
      },
    };
    const { obs, dead } = parseAll(opts, [
      raw('json', '{"station":"KSEA","sensor":1,"ts":"2024-01-01T00:00:00Z","t":3.5,"rh":"81","note":"x"}'),
      raw('json', '[{"station":"KSEA","sensor":1,"ts":1704067800,"t":4}, {"station":"KPDX","sensor":2,"ts":1704067800000,"rh":70}]'),
    ]);
    expect(dead).toEqual([]);
    expect(obs).toEqual([
      { key: 'weather/KSEA/1', eventTime: Date.UTC(2024, 0, 1), fields: { temp_c: 3.5, humidity: 81 }, origin },
      { key: 'weather/KSEA/1', eventTime: Date.UTC(2024, 0, 1, 0, 10), fields: { temp_c: 4 }, origin },
      { key: 'weather/KPDX/2', eventTime: Date.UTC(2024, 0, 1, 0, 10), fields: { humidity: 70 }, origin },
    ]);
  });

  it('dead-letters bad records with the reason and the original payload', () => {
    const cases: [string, string, RegExp][] = [
      ['{"stream":"a","timestamp":1', 'parse_error', /invalid JSON/],
      ['{"timestamp":1,"temp_c":1}', 'schema_mismatch', /missing stream/],
      ['{"stream":"a","temp_c":1}', 'schema_mismatch', /missing time/],
      ['{"stream":"a","timestamp":"soon","temp_c":1}', 'parse_error', /unparsable time/],
      ['{"stream":"a","timestamp":1,"temp_c":"NaN"}', 'non_finite', /temp_c/],
      ['{"stream":"a","timestamp":1,"temp_c":1e999}', 'non_finite', /temp_c/],
      ['{"stream":"a","timestamp":1,"temp_c":null}', 'non_finite', /temp_c/],
      ['{"stream":"a","timestamp":1,"pressure":1000}', 'schema_mismatch', /unknown field "pressure"/],
      ['{"stream":"a","timestamp":1}', 'schema_mismatch', /no fields/],
      ['[1]', 'schema_mismatch', /element 0: not a JSON object/],
    ];
    const { obs, dead } = parseAll(
      weather,
      cases.map(([p]) => raw('json', p)),
    );
    expect(obs).toEqual([]);
    expect(dead.map((d) => [d.record.payload, d.code])).toEqual(cases.map(([p, c]) => [p, c]));
    dead.forEach((d, i) => {
      expect(d.detail).toMatch(cases[i][2]);
    });
  });
});

describe('InfluxDB line protocol', () => {
  it('makes the stream id from measurement and tags, reads floats, integers and booleans', () => {
    const { obs, dead } = parseAll(weather, [
      raw(
        'line',
        'weather,station=KSEA,city=Seattle temp_c=3.5,humidity=81i 1704067200000000000\nweather,station=KPDX,city=Portland temp_c=4 1704067800000000000',
      ),
      raw('line', 'my\\ weather,station=K\\,1 temp_c=1,humidity=t 1704067200000000000'),
    ]);
    expect(dead).toEqual([]);
    expect(obs.map((o) => [o.key, o.eventTime, o.fields])).toEqual([
      ['weather/city=Seattle/station=KSEA', Date.UTC(2024, 0, 1), { temp_c: 3.5, humidity: 81 }],
      ['weather/city=Portland/station=KPDX', Date.UTC(2024, 0, 1, 0, 10), { temp_c: 4 }],
      ['my weather/station=K,1', Date.UTC(2024, 0, 1), { temp_c: 1, humidity: 1 }],
    ]);
  });

  it('uses the configured tags and precision', () => {
    const { obs } = parseAll({ ...weather, input: { line: { stream_tags: ['station'], precision: 's', fields: { t: 'temp_c' } } } }, [
      raw('line', 'weather,city=Seattle,station=KSEA t=2.5 1704067200'),
    ]);
    expect(obs.map((o) => [o.key, o.eventTime, o.fields])).toEqual([['weather/KSEA', Date.UTC(2024, 0, 1), { temp_c: 2.5 }]]);
  });

  it('dead-letters bad lines one by one, keeping the good ones', () => {
    const { obs, dead } = parseAll(weather, [
      raw(
        'line',
        [
          'weather,station=A temp_c=1 1704067200000000000',
          'weather,station=A temp_c=1',
          'weather,station=A temp_c="warm" 1704067200000000000',
          'weather,station=A wind=3 1704067200000000000',
          'weather,station=A temp_c=abc 1704067200000000000',
          'weather,station=A temp_c=1 12:00',
          'weather,station=A',
        ].join('\n'),
      ),
    ]);
    expect(obs).toHaveLength(1);
    expect(dead.map((d) => d.code)).toEqual([
      'schema_mismatch',
      'schema_mismatch',
      'schema_mismatch',
      'parse_error',
      'parse_error',
      'parse_error',
    ]);
    expect(dead.map((d) => d.detail.slice(0, 7))).toEqual(['line 2:', 'line 3:', 'line 4:', 'line 5:', 'line 6:', 'line 7:']);
  });
});

describe('CSV', () => {
  it('takes the header from the first record and maps columns', () => {
    const { obs, dead } = parseAll(
      { ...weather, input: { csv: { stream_columns: ['station'], time_column: 'date', fields: { t: 'temp_c', rh: 'humidity' } } } },
      [
        raw('csv', 'station,date,t,rh,comment'),
        raw('csv', 'KSEA,2024-01-01T00:00:00,3.5,81,"dry, cold"'),
        raw('csv', 'KSEA,2024-01-01T00:10:00,,80,'),
      ],
    );
    expect(dead).toEqual([]);
    expect(obs.map((o) => [o.key, o.eventTime, o.fields])).toEqual([
      ['KSEA', Date.UTC(2024, 0, 1), { temp_c: 3.5, humidity: 81 }],
      ['KSEA', Date.UTC(2024, 0, 1, 0, 10), { humidity: 80 }],
    ]);
  });

  it('reads the shared data layout (stream,timestamp,value) with defaults', () => {
    const { obs } = parseAll({ step_ms: 1000 }, [raw('csv', 'stream,timestamp,value\n4020332650,2016-04-12T00:00:01,64')]);
    expect(obs).toEqual([{ key: '4020332650', eventTime: Date.UTC(2016, 3, 12, 0, 0, 1), fields: { value: 64 }, origin }]);
  });

  it('dead-letters rows it cannot read', () => {
    const { dead } = parseAll({ step_ms: 1000, input: { csv: { header: ['stream', 'timestamp', 'value'] } } }, [
      raw('csv', 'a,2016-04-12T00:00:01'),
      raw('csv', 'a,2016-04-12T00:00:01,abc'),
      raw('csv', 'a,,1'),
      raw('csv', ',2016-04-12T00:00:01,1'),
      raw('csv', 'a,2016-04-12T00:00:01,'),
      raw('csv', 'a,"2016-04-12,1'),
    ]);
    expect(dead.map((d) => d.code)).toEqual([
      'parse_error',
      'non_finite',
      'schema_mismatch',
      'schema_mismatch',
      'schema_mismatch',
      'parse_error',
    ]);
  });
});

describe('parse operator', () => {
  it('emits observations and sends dead letters to the context, counted', async () => {
    const ctx = testContext();
    const out = await lastValueFrom(
      from([
        raw('json', '{"stream":"a","timestamp":1000,"value":1}'),
        raw('json', 'nope'),
        { format: 'xml', payload: '<a/>', origin } as unknown as RawRecord,
      ]).pipe(parse({ step_ms: 1000, input: { time_unit: 'ms' } }, ctx), toArray()),
    );
    expect(out).toEqual([{ key: 'a', eventTime: 1000, fields: { value: 1 }, origin }]);
    expect(ctx.deadLetters.map((d) => d.code)).toEqual(['parse_error', 'parse_error']);
    expect(ctx.metrics.get('error:parse_error:parse')).toBe(2);
    expect(ctx.metrics.get('received')).toBe(3);
  });
});
