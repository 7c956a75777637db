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
      pipeline: 'weather', stream: 'weather/KSEA/temp_c', t: 1_700_000_000_000, step_ms: 60_000, model_version: 'm-3',
      mean: [1.5, 2.25], lower: [1, 2], upper: [2, 2.5],
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
    const raw: RawRecord = { payload: 'not json', format: 'json', key: 'k', origin: { connector: 'kafka', topic: 'obs', partition: 3, offset: '42' } };
    const r = deadLetterRecord('dlq', { record: raw, code: 'parse_error', detail: 'invalid JSON' }, 'weather');
    expect(r.key).toBe('k');
    expect(JSON.parse(r.value)).toEqual({
      pipeline: 'weather', code: 'parse_error', reason: 'invalid JSON', payload: 'not json', topic: 'obs', partition: 3, offset: '42', connector: 'kafka',
    });
    expect(r.headers).toEqual({ [ID_HEADER]: 'kafka|obs|3|42', 'tidecast-code': 'parse_error' });
    const other = deadLetterRecord('dlq', { record: { x: 1 }, code: 'non_finite', detail: 'NaN' });
    expect(JSON.parse(other.value)).toMatchObject({ payload: '{"x":1}', topic: null, partition: null, offset: null });
  });
});

describe('chunkByBytes', () => {
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
