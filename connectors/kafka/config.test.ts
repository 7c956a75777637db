import { describe, expect, it } from 'vitest';
import { kafkajsConfig } from './client.js';
import { KafkaConnection, KafkaSinkConfig, KafkaSourceConfig } from './config.js';

describe('Kafka config', () => {
  it('fills defaults and maps TLS and SASL to kafkajs', () => {
    const conn = KafkaConnection.parse({
      brokers: ['b1:9093'],
      tls: { reject_unauthorized: false, server_name: 'kafka.internal' },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    const k = kafkajsConfig(conn);
    expect(k.brokers).toEqual(['b1:9093']);
    expect(k.ssl).toEqual({ ca: undefined, cert: undefined, key: undefined, servername: 'kafka.internal', rejectUnauthorized: false });
    expect(k.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(k.retry).toEqual({ retries: 8, initialRetryTime: 100, maxRetryTime: 10_000 });
    expect(kafkajsConfig(KafkaConnection.parse({ brokers: ['b:1'] })).ssl).toBe(false);
  });

  it('rejects what kafkajs would fail on later', () => {
    expect(KafkaConnection.safeParse({ brokers: ['no-port'] }).success).toBe(false);
    expect(KafkaConnection.safeParse({ brokers: [] }).success).toBe(false);
    expect(KafkaConnection.safeParse({ brokers: ['b:1'], sasl: { mechanism: 'plain', username: 'u' } }).success).toBe(false);
    const source = { connection: { brokers: ['b:1'] }, topics: ['obs'], group_id: 'g', format: 'json' };
    expect(KafkaSourceConfig.parse(source).max_in_flight).toBe(10_000);
    expect(KafkaSourceConfig.safeParse({ ...source, topics: ['bad topic'] }).success).toBe(false);
    expect(KafkaSourceConfig.safeParse({ ...source, extra: 1 }).success).toBe(false);
    expect(KafkaSinkConfig.parse({ connection: { brokers: ['b:1'] }, forecasts_topic: 'f' }).acks).toBe(-1);
  });
});
