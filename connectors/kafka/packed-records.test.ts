import { describe, expect, it } from 'vitest';
import { packRecords, transferablesOf, unpackRecords } from './packed-records.js';
import type { KafkaOutRecord } from './records.js';

const text = (b: string | Buffer | null | undefined) => (b === null || b === undefined ? b : Buffer.isBuffer(b) ? b.toString('utf8') : b);

describe('packed output records', () => {
  const roundTrip = (records: KafkaOutRecord[]) => {
    const back = unpackRecords(packRecords(records));
    expect(back).toHaveLength(records.length);
    back.forEach((m, i) => {
      const r = records[i];
      expect(m.topic).toBe(r.topic);
      expect(m.partition).toBe(r.partition);
      expect(text(m.key)).toBe(r.key);
      expect(text(m.value)).toBe(r.value);
      const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v)]));
      expect(headers).toEqual(r.headers ?? {});
    });
  };

  it('round-trips ASCII records (packed with one write)', () => {
    roundTrip(
      Array.from({ length: 500 }, (_, i) => ({
        topic: i % 3 === 0 ? 'alerts' : 'forecasts',
        key: i % 7 === 0 ? null : `s${i}`,
        value: `{"i":${i}}`.repeat(1 + (i % 5)),
        headers: i % 2 === 0 ? { 'tidecast-id': `id-${i}`, 'tidecast-code': '' } : undefined,
        partition: i % 11 === 0 ? i % 4 : undefined,
      })),
    );
    roundTrip([{ topic: 't', key: '', value: '' }]);
    roundTrip([]);
  });

  it('round-trips topics, partitions, null keys, multi-byte text and headers', () => {
    const records: KafkaOutRecord[] = [
      { topic: 'forecasts', key: 'weather/KSEA/temp_c', value: '{"mean":[1.5]}', headers: { 'tidecast-id': 'w|KSEA|1|m' } },
      { topic: 'dead', key: null, value: 'ünïcødé ✓ 𝄞', headers: { 'tidecast-id': 'kafka|in|0|7', 'tidecast-code': 'parse_error' } },
      { topic: 'forecasts', key: 'ключ', value: '', partition: 3 },
      // Large enough to make the byte buffer grow past its first estimate.
      { topic: 'alerts', key: 'k', value: '€'.repeat(5_000) },
    ];
    const packed = packRecords(records);
    expect(packed.topics).toEqual(['forecasts', 'dead', 'alerts']);
    const back = unpackRecords(packed);
    expect(back).toHaveLength(records.length);
    back.forEach((m, i) => {
      const r = records[i];
      expect(m.topic).toBe(r.topic);
      expect(m.partition).toBe(r.partition);
      expect(text(m.key)).toBe(r.key);
      expect(text(m.value)).toBe(r.value);
      const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v)]));
      expect(headers).toEqual(r.headers ?? {});
    });
  });

  it('hands over buffers that can be transferred (not pooled slices)', () => {
    const packed = packRecords([{ topic: 't', key: 'k', value: 'v', headers: { h: 'x' } }]);
    const buffers = transferablesOf(packed);
    expect(new Set(buffers).size).toBe(3);
    const { port1 } = new MessageChannel();
    port1.postMessage(packed, buffers); // throws if a buffer cannot be transferred
    port1.close();
    expect(packed.bytes.byteLength).toBe(0); // detached: it moved
  });
});
