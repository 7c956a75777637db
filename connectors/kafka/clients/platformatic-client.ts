import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Admin, Consumer, Producer, type BaseOptions, type MessageToProduce } from '@platformatic/kafka';
import { silentLog, type KafkaLog } from '../client.js';
import type { KafkaConnection } from '../config.js';
import { PlatformaticGroupConsumer } from './platformatic-group-consumer.js';
import type {
  AdminPort,
  GroupConsumerOptions,
  GroupConsumerPort,
  InMessage,
  KafkaClient,
  NewTopic,
  OutMessage,
  PartitionReaderPort,
  ProducerOptions,
  ProducerPort,
  SendOptions,
} from './port.js';

// The client port on @platformatic/kafka (pure TypeScript, callbacks or promises, Node streams for consuming).
// Keys, values and headers travel as bytes; strings are encoded here.

type Bytes = Buffer | undefined;

/** Strings and buffers both go out as bytes (our records carry either). */
const toBytes = (d?: string | Buffer): Bytes => (d === undefined ? undefined : typeof d === 'string' ? Buffer.from(d) : d);
const BYTES_SERIALIZERS = { key: toBytes, value: toBytes, headerKey: toBytes, headerValue: toBytes };

export function platformaticBaseOptions(conn: KafkaConnection): BaseOptions {
  const base: BaseOptions = {
    clientId: conn.client_id,
    bootstrapBrokers: conn.brokers,
    connectTimeout: conn.connection_timeout_ms,
    requestTimeout: conn.request_timeout_ms,
    timeout: conn.request_timeout_ms,
    retries: conn.retry.retries,
    // Exponential backoff with jitter, capped, as connection.retry says (kafkajs does the same).
    retryDelay: (_client, _op, attempt) =>
      Math.min(conn.retry.max_retry_ms, conn.retry.initial_retry_ms * 2 ** Math.max(0, attempt - 1)) * (0.8 + 0.4 * Math.random()),
  };
  if (conn.tls !== false) base.tls = tlsOptions(conn.tls);
  if (conn.sasl !== undefined) {
    if (conn.sasl.mechanism === 'aws') throw new Error('SASL aws (MSK IAM) needs kafka.client kafkajs.');
    const mechanism =
      conn.sasl.mechanism === 'plain' ? 'PLAIN' : conn.sasl.mechanism === 'scram-sha-256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
    base.sasl = { mechanism, username: conn.sasl.username, password: conn.sasl.password };
  }
  return base;
}

function tlsOptions(tls: KafkaConnection['tls']): TlsOptions {
  if (typeof tls === 'boolean') return {};
  return {
    ca: tls.ca_file === undefined ? undefined : [readFileSync(tls.ca_file, 'utf8')],
    cert: tls.cert_file === undefined ? undefined : readFileSync(tls.cert_file, 'utf8'),
    key: tls.key_file === undefined ? undefined : readFileSync(tls.key_file, 'utf8'),
    servername: tls.server_name,
    rejectUnauthorized: tls.reject_unauthorized,
  };
}

/** Closes a consumer without waiting for its streams (its typings pick the callback overload for `close(true)`). */
export function closeForced(c: { close(force: boolean, callback: (err?: Error | null) => void): void }): Promise<void> {
  return new Promise((resolve, reject) => c.close(true, (err) => (err ? reject(err) : resolve())));
}

export function headersRecord(h: Map<Buffer, Buffer> | undefined): Record<string, Buffer> | undefined {
  if (h === undefined || h.size === 0) return undefined;
  const out: Record<string, Buffer> = {};
  for (const [k, v] of h) out[k.toString('utf8')] = v;
  return out;
}

export class PlatformaticClient implements KafkaClient {
  readonly kind = 'platformatic';
  private readonly base: BaseOptions;

  constructor(
    conn: KafkaConnection,
    private readonly log: KafkaLog = silentLog,
  ) {
    this.base = platformaticBaseOptions(conn);
  }

  producer(options: ProducerOptions): ProducerPort {
    let producer: Producer<string | Buffer, string | Buffer, string | Buffer, string | Buffer> | null = null;
    const open = () =>
      (producer ??= new Producer({
        ...this.base,
        // An idempotent producer given at most 1 retry retries for ever (the library's rule): 2 keeps it bounded.
        retries: options.idempotent ? Math.max(2, Number(this.base.retries)) : this.base.retries,
        idempotent: options.idempotent,
        autocreateTopics: false,
        serializers: BYTES_SERIALIZERS,
      }));
    return {
      connect: async () => {
        // Connecting early means fetching metadata: it fails now when the brokers cannot be reached.
        await open().metadata({ topics: [] });
      },
      send: async (messages: readonly OutMessage[], o: SendOptions) => {
        const out = new Array<MessageToProduce<string | Buffer, string | Buffer, string | Buffer, string | Buffer>>(messages.length);
        for (let i = 0; i < messages.length; i++) {
          const m = messages[i];
          out[i] = {
            topic: m.topic,
            key: m.key ?? undefined,
            value: m.value ?? undefined,
            headers: m.headers as Record<string, string | Buffer> | undefined,
            partition: m.partition,
          };
        }
        await open().send({ messages: out, acks: o.acks, compression: o.compression === 'gzip' ? 'gzip' : 'none' });
      },
      disconnect: async () => {
        const p = producer;
        producer = null;
        await p?.close(true);
      },
    };
  }

  groupConsumer(options: GroupConsumerOptions): GroupConsumerPort {
    return new PlatformaticGroupConsumer(this.base, options, this.log);
  }

  partitionReader(topic: string, partitions: readonly number[], prefix: string): PartitionReaderPort {
    // Same idea as with kafkajs: a throwaway group whose assigner hands its first member exactly these partitions.
    const consumer = new Consumer({
      ...this.base,
      groupId: `${prefix}-${randomUUID()}`,
      autocreateTopics: false,
      maxWaitTime: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      partitionAssigner: (_current, members) =>
        [...members.keys()].map((memberId, i) => ({
          memberId,
          assignments: new Map(i === 0 ? [[topic, { topic, partitions: [...partitions] }]] : []),
        })),
    });
    const crashListeners: ((e: Error, restarting: boolean) => void)[] = [];
    const crash = (e: Error) => {
      for (const l of crashListeners) l(e, false);
    };
    consumer.on('error', crash);
    return {
      run: async (onBatch) => {
        const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
        stream.on('error', crash);
        let pending = new Map<number, InMessage[]>();
        let scheduled = false;
        const flush = () => {
          scheduled = false;
          const ready = pending;
          pending = new Map();
          for (const [partition, messages] of ready) onBatch(partition, messages);
        };
        stream.on('data', (m) => {
          let list = pending.get(m.partition);
          if (list === undefined) pending.set(m.partition, (list = []));
          list.push({
            offset: String(m.offset),
            timestamp: String(m.timestamp),
            key: m.key ?? null,
            value: m.value ?? null,
            headers: headersRecord(m.headers),
          });
          if (!scheduled) {
            scheduled = true;
            process.nextTick(flush);
          }
        });
      },
      onCrash: (listener) => void crashListeners.push(listener),
      disconnect: () => closeForced(consumer),
    };
  }

  admin(): AdminPort {
    const withAdmin = async <T>(f: (a: Admin) => Promise<T>): Promise<T> => {
      const admin = new Admin({ ...this.base, autocreateTopics: false });
      try {
        return await f(admin);
      } finally {
        await admin.close().catch(() => undefined);
      }
    };
    return {
      partitionCount: (topic) =>
        withAdmin(async (a) => {
          const meta = await a.metadata({ topics: [topic] });
          return meta.topics.get(topic)!.partitionsCount;
        }),
      topicOffsets: async (topic) => {
        // List offsets needs a consumer (no group is joined for it).
        const c = new Consumer({ ...this.base, groupId: `tidecast-offsets-${randomUUID()}`, autocreateTopics: false });
        try {
          const high = (await c.listOffsets({ topics: [topic], timestamp: -1n })).get(topic) ?? [];
          const low = (await c.listOffsets({ topics: [topic], timestamp: -2n })).get(topic) ?? [];
          return high.map((h, partition) => ({ partition, low: Number(low[partition] ?? 0n), high: Number(h) }));
        } finally {
          await closeForced(c).catch(() => undefined);
        }
      },
      listTopics: () => withAdmin((a) => a.listTopics()),
      createTopics: (topics: readonly NewTopic[]) =>
        withAdmin(async (a) => {
          const existing = new Set(await a.listTopics());
          for (const t of topics) {
            if (existing.has(t.topic)) continue;
            await a.createTopics({
              topics: [t.topic],
              partitions: t.numPartitions,
              replicas: t.replicationFactor,
              configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            });
          }
          // Wait for the leaders, as kafkajs's waitForLeaders does.
          const names = topics.map((t) => t.topic);
          for (let i = 0; i < 100; i++) {
            const meta = await a.metadata({ topics: names, forceUpdate: true });
            if (names.every((n) => meta.topics.get(n)?.partitions.every((p) => p.leader >= 0))) return;
            await new Promise((r) => setTimeout(r, 100));
          }
        }),
    };
  }
}
