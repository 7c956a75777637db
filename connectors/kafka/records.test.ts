import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../src/core/types.js';
import { alertRecord, deadLetterRecord, forecastId, forecastRecord, ID_HEADER } from './records.js';
import { chunkByBytes } from './sink.js';

const forecast = {
  pipeline: 'weather',
  key: 'weather/KSEA/temp_c',
  t: 1_700_000_000_000,
  stepMs: 60_000,
  modelVersion: 'm-3',
  mean: Float64Array.of(1.5, 2.25),
  lower: Float64Array.of(1, 2),
  upper: Float64Array.of(2, 2.5),
};

describe('Kafka output records', () => {
  it('keys forecasts by stream and ids them by (pipeline, stream, time, model version)', () => {
    const r = forecastRecord('forecasts', forecast);
    expect(r.key).toBe('weather/KSEA/temp_c');
    expect(r.headers![ID_HEADER]).toBe('weather|weather/KSEA/temp_c|1700000000000|m-3');
    expect(forecastId(forecast)).toBe(r.headers![ID_HEADER]);
    expect(JSON.parse(r.value)).toEqual({
      pipeline: 'weather',
      stream: 'weather/KSEA/temp_c',
      t: 1_700_000_000_000,
      step_ms: 60_000,
      model_version: 'm-3',
      mean: [1.5, 2.25],
      lower: [1, 2],
      upper: [2, 2.5],
    });
    // A replay gives the same bytes, so consumers can dedupe by id or by content.
    expect(forecastRecord('forecasts', { ...forecast, mean: Float64Array.of(1.5, 2.25) })).toEqual(r);
  });

  it('writes alerts with their stable id and typed arrays as arrays', () => {
    const r = alertRecord('alerts', { id: 'a-1', key: 'k', forecast } as { id: string; key: string });
    expect(r.key).toBe('k');
    expect(r.headers![ID_HEADER]).toBe('a-1');
    expect(JSON.parse(r.value).forecast.mean).toEqual([1.5, 2.25]);
  });

  it('dead-letters the reason, the original payload and its origin', () => {
    const raw: RawRecord = {
      payload: 'not json',
      format: 'json',
      key: 'k',
      origin: { connector: 'kafka', topic: 'obs', partition: 3, offset: '42' },
    };
    const r = deadLetterRecord('dlq', { record: raw, code: 'parse_error', detail: 'invalid JSON' }, 'weather');
    expect(r.key).toBe('k');
    expect(JSON.parse(r.value)).toEqual({
      pipeline: 'weather',
      code: 'parse_error',
      reason: 'invalid JSON',
      payload: 'not json',
      topic: 'obs',
      partition: 3,
      offset: '42',
      connector: 'kafka',
    });
    expect(r.headers).toEqual({ [ID_HEADER]: 'kafka|obs|3|42', 'tidecast-code': 'parse_error' });
    const other = deadLetterRecord('dlq', { record: { x: 1 }, code: 'non_finite', detail: 'NaN' });
    expect(JSON.parse(other.value)).toMatchObject({ payload: '{"x":1}', topic: null, partition: null, offset: null });
  });
});

describe('forecastRecord encoding', () => {
  it('writes the same bytes as JSON.stringify of the record object, for awkward numbers and strings', () => {
    const awkward = {
      pipeline: 'p "q" \\ é',
      key: 'k/\u2028/ü/"x"',
      t: 1_700_000_000_123,
      stepMs: 1,
      modelVersion: 'v\n1',
      mean: Float64Array.of(NaN, -0, 1e21, 5e-7, -1.2345678901234567),
      lower: Float64Array.of(-Infinity, 0, 1e-300, 123456789012345680000, 2 ** 53),
      upper: Float64Array.of(Infinity, 0.1 + 0.2, -5, 7, Number.MIN_VALUE),
    };
    for (const f of [forecast, awkward, { ...forecast, mean: Float64Array.of(3), lower: Float64Array.of(2), upper: Float64Array.of(4) }]) {
      const reference = JSON.stringify({
        pipeline: f.pipeline,
        stream: f.key,
        t: f.t,
        step_ms: f.stepMs,
        model_version: f.modelVersion,
        mean: Array.from(f.mean),
        lower: Array.from(f.lower),
        upper: Array.from(f.upper),
      });
      expect(forecastRecord('forecasts', f).value).toBe(reference);
    }
  });
});

describe('chunkByBytes', () => {
  it('bounds the records per chunk too', () => {
    const records = Array.from({ length: 2_500 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    const chunks = [...chunkByBytes(records, 1e9, 1_024)];
    expect(chunks.map((c) => c.length)).toEqual([1_024, 1_024, 452]);
    expect(chunks.flat()).toEqual(records);
  });

  it('splits in order under the byte budget and keeps every record', () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(i * 10) }));
    const chunks = [...chunkByBytes(records, 5_000)];
    expect(chunks.flat()).toEqual(records);
    for (const c of chunks) {
      const size = c.reduce((s, r) => s + 64 + r.key.length + r.value.length, 0);
      expect(c.length === 1 || size <= 5_000).toBe(true);
    }
    expect(chunks.length).toBeGreaterThan(5);
    expect([...chunkByBytes([{ key: null, value: 'y'.repeat(10_000) }], 100)]).toHaveLength(1);
    expect([...chunkByBytes([], 100)]).toHaveLength(0);
  });
});
