import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_CLIENT, KafkaConnection } from '../config.js';
import { silentLog } from '../client.js';
import { createKafkaClient } from './index.js';
import { headersRecord, platformaticBaseOptions } from './platformatic-client.js';
import { isOutage } from './platformatic-group-consumer.js';
import { MultipleErrors } from '@platformatic/kafka';

describe('Kafka client choice', () => {
  it('takes connection.client, defaulting to the measured faster one', () => {
    expect(KafkaConnection.parse({ brokers: ['b:1'] }).client).toBe(DEFAULT_KAFKA_CLIENT);
    expect(createKafkaClient(KafkaConnection.parse({ brokers: ['b:1'], client: 'kafkajs' })).kind).toBe('kafkajs');
    expect(createKafkaClient(KafkaConnection.parse({ brokers: ['b:1'], client: 'platformatic' })).kind).toBe('platformatic');
    expect(KafkaConnection.safeParse({ brokers: ['b:1'], client: 'librdkafka' }).success).toBe(false);
  });

  it('uses kafkajs for SASL aws, which @platformatic/kafka does not do, and says so', () => {
    const warned: string[] = [];
    const log = { ...silentLog, warn: (_o: object, msg: string) => void warned.push(msg) };
    const sasl = { mechanism: 'aws', authorization_identity: 'i', access_key_id: 'a', secret_access_key: 's' } as const;
    expect(createKafkaClient(KafkaConnection.parse({ brokers: ['b:1'], client: 'platformatic', sasl }), log).kind).toBe('kafkajs');
    expect(warned).toEqual(['SASL aws (MSK IAM) needs the kafkajs client: using kafkajs for this connection.']);
  });

  it('maps TLS, SASL, timeouts and retries to @platformatic/kafka', () => {
    const conn = KafkaConnection.parse({
      brokers: ['b1:9093', 'b2:9093'],
      client: 'platformatic',
      tls: { reject_unauthorized: false, server_name: 'kafka.internal' },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      retry: { retries: 3, initial_retry_ms: 100, max_retry_ms: 1_000 },
    });
    const o = platformaticBaseOptions(conn);
    expect(o.bootstrapBrokers).toEqual(['b1:9093', 'b2:9093']);
    expect(o.tls).toEqual({ ca: undefined, cert: undefined, key: undefined, servername: 'kafka.internal', rejectUnauthorized: false });
    expect(o.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' });
    expect(o.retries).toBe(3);
    const delay = o.retryDelay as (c: object, op: string, attempt: number, retries: number, e: Error) => number;
    // Doubling from the initial delay, jittered by +-20%, capped at max_retry_ms (+20%).
    expect(delay({}, 'x', 1, 3, new Error())).toBeGreaterThanOrEqual(80);
    expect(delay({}, 'x', 1, 3, new Error())).toBeLessThanOrEqual(120);
    expect(delay({}, 'x', 3, 3, new Error())).toBeGreaterThanOrEqual(320);
    expect(delay({}, 'x', 10, 3, new Error())).toBeLessThanOrEqual(1_200);
    expect(platformaticBaseOptions(KafkaConnection.parse({ brokers: ['b:1'] })).tls).toBeUndefined();
    expect(() =>
      platformaticBaseOptions(
        KafkaConnection.parse({
          brokers: ['b:1'],
          sasl: { mechanism: 'aws', authorization_identity: 'i', access_key_id: 'a', secret_access_key: 's' },
        }),
      ),
    ).toThrow(/kafkajs/);
  });

  it('reads header bytes as the kafkajs-shaped record the connectors use', () => {
    const h = new Map([[Buffer.from('tidecast-input-offset'), Buffer.from('41')]]);
    expect(headersRecord(h)?.['tidecast-input-offset']?.toString()).toBe('41');
    expect(headersRecord(new Map())).toBeUndefined();
  });

  it('reads retries the client gave up on as a broker outage (the consumer is run again), a refusal as not', () => {
    const leaderless = Object.assign(new Error('This server does not host this topic-partition.'), { code: 'PLT_KFK_PROTOCOL' });
    expect(isOutage(new MultipleErrors('fetch failed 6 times.', [leaderless, leaderless]))).toBe(true);
    const refused = Object.assign(new Error('Authentication failed.'), { code: 'PLT_KFK_AUTHENTICATION', canRetry: false });
    expect(isOutage(new MultipleErrors('fetch failed 2 times.', [leaderless, refused]))).toBe(false);
    expect(isOutage(refused)).toBe(false);
    expect(isOutage(Object.assign(new Error('connect ECONNREFUSED'), { code: 'PLT_KFK_NETWORK' }))).toBe(true);
  });
});
