import { expect, inject, it } from 'vitest';
import { KafkaSinkConfig } from '../../connectors/kafka/config.js';
import { deadLetterRecord, forecastRecord, ID_HEADER } from '../../connectors/kafka/records.js';
import { KafkaSink } from '../../connectors/kafka/sink.js';
import type { DeadLetter, Forecast } from '../../src/core/types.js';
import { createTopic, readUntil, testConnection, uniqueTopic } from '../helpers/kafka-topics.js';
import { describeEachClient } from '../helpers/kafka-clients.js';

// KafkaSink with producerThread: the records that reach the brokers are the ones the in-thread producer
// would write (same keys, values, headers, key partitioning), writes resolve only once durable, and a
// failed write rejects instead of hanging.

const brokers = inject('kafkaBrokers');

function forecast(i: number): Forecast {
  const v = Math.sin(i);
  return {
    pipeline: 'thread',
    key: `s${i % 37}/ü`,
    t: 1_700_000_000_000 + i * 1_000,
    stepMs: 1_000,
    modelVersion: 'v1',
    mean: Float64Array.of(v, v / 2),
    lower: Float64Array.of(v - 1, NaN),
    upper: Float64Array.of(v + 1, Infinity),
  };
}

describeEachClient('Kafka sink on a producer thread', () => {
  it('writes every record durably, byte for byte as the in-thread producer would', async () => {
    const output = uniqueTopic('thread-out');
    const dlq = uniqueTopic('thread-dlq');
    await Promise.all([createTopic(brokers, output, 4), createTopic(brokers, dlq, 1)]);
    const sink = new KafkaSink(
      KafkaSinkConfig.parse({ connection: testConnection(brokers), forecasts_topic: output, dead_letter_topic: dlq }),
      {
        pipeline: 'thread',
        producerThread: true,
      },
    );
    const forecasts = Array.from({ length: 3_000 }, (_, i) => forecast(i));
    const dead: DeadLetter[] = [
      {
        record: { payload: 'not json', format: 'json', key: 'k', origin: { connector: 'kafka', topic: 'in', partition: 2, offset: '9' } },
        code: 'parse_error',
        detail: 'invalid JSON',
      },
    ];
    try {
      await sink.connect(); // starts the thread and connects ahead of the writes
      // Concurrent writes of different sizes: they may go out together, and each resolves when durable.
      await Promise.all([
        sink.write({ forecasts: forecasts.slice(0, 10) }),
        sink.write({ forecasts: forecasts.slice(10, 2_500), deadLetters: dead }),
        sink.write({ forecasts: forecasts.slice(2_500) }),
      ]);
      expect(sink.producer.sent).toBe(3_001);
    } finally {
      await sink.close();
    }

    const seen = await readUntil(brokers, output, (m) => m.length >= forecasts.length, 30_000);
    expect(seen).toHaveLength(forecasts.length);
    const expected = new Map(forecasts.map((f) => [forecastRecord(output, f).headers![ID_HEADER], forecastRecord(output, f)]));
    const partitionOfKey = new Map<string, number>();
    for (const m of seen) {
      const want = expected.get(m.headers[ID_HEADER]);
      expect(want, `unexpected record ${m.headers[ID_HEADER]}`).toBeDefined();
      expect(m.key).toBe(want!.key);
      expect(m.value).toBe(want!.value);
      // Keyed partitioning, as kafkajs does it for string keys: one partition per stream.
      const p = partitionOfKey.get(m.key!) ?? m.partition;
      expect(m.partition).toBe(p);
      partitionOfKey.set(m.key!, p);
      expected.delete(m.headers[ID_HEADER]);
    }
    expect(expected.size).toBe(0);
    expect(new Set(partitionOfKey.values()).size).toBeGreaterThan(1);
    const dl = await readUntil(brokers, dlq, (m) => m.length >= 1, 30_000);
    const want = deadLetterRecord(dlq, dead[0], 'thread');
    expect(dl.map((m) => [m.key, m.value, m.headers])).toEqual([[want.key, want.value, want.headers]]);
  });

  it('rejects a write that cannot be made durable, after bounded retries', async () => {
    const missing = uniqueTopic('thread-missing'); // never created; topics are not auto-created
    const sink = new KafkaSink(KafkaSinkConfig.parse({ connection: testConnection(brokers, 1), forecasts_topic: missing }), {
      producerThread: true,
    });
    try {
      await expect(sink.write({ forecasts: [forecast(1)] })).rejects.toMatchObject({ code: 'broker_down' });
      expect(sink.producer.sent).toBe(0);
    } finally {
      await sink.close();
    }
  }, 60_000);
});
