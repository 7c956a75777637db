import { randomUUID } from 'node:crypto';
import { CompressionTypes, type Consumer, type Kafka, type Message, type TopicMessages } from 'kafkajs';
import { createKafka, kafkajsRetry, silentLog, type KafkaLog } from '../client.js';
import { fixedAssigner } from '../changelog/changelog-reader.js';
import type { KafkaConnection } from '../config.js';
import type {
  AdminPort,
  BatchPayload,
  GroupConsumerOptions,
  GroupConsumerPort,
  KafkaClient,
  NewTopic,
  OutMessage,
  PartitionReaderPort,
  ProducerOptions,
  ProducerPort,
  SendOptions,
} from './port.js';

// The client port on kafkajs: mostly a rename, since the port was cut along kafkajs's shapes.

export class KafkajsClient implements KafkaClient {
  readonly kind = 'kafkajs';
  readonly kafka: Kafka;

  constructor(
    private readonly conn: KafkaConnection,
    log: KafkaLog = silentLog,
    kafka?: Kafka,
  ) {
    this.kafka = kafka ?? createKafka(conn, log);
  }

  producer(options: ProducerOptions): ProducerPort {
    const producer = this.kafka.producer({
      idempotent: options.idempotent,
      maxInFlightRequests: options.idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      retry: kafkajsRetry(this.conn.retry),
    });
    return {
      connect: () => producer.connect(),
      disconnect: () => producer.disconnect(),
      send: async (messages: readonly OutMessage[], o: SendOptions) => {
        await producer.sendBatch({
          topicMessages: byTopic(messages),
          acks: o.acks,
          compression: o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        });
      },
    };
  }

  groupConsumer(o: GroupConsumerOptions): GroupConsumerPort {
    const consumer = this.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxWaitTimeInMs: o.maxWaitMs,
      minBytes: o.minBytes ?? 1,
      allowAutoTopicCreation: false,
      retry: kafkajsRetry(this.conn.retry),
    });
    return new KafkajsGroupConsumer(consumer);
  }

  partitionReader(topic: string, partitions: readonly number[], prefix: string): PartitionReaderPort {
    const consumer = this.kafka.consumer({
      groupId: `${prefix}-${randomUUID()}`,
      partitionAssigners: [fixedAssigner(topic, () => partitions)],
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    return {
      run: async (onBatch) => {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (batch.messages.length > 0) onBatch(batch.partition, batch.messages);
          },
        });
      },
      onCrash: (listener) => consumer.on(consumer.events.CRASH, (e) => listener(e.payload.error, e.payload.restart)),
      disconnect: () => consumer.disconnect(),
    };
  }

  admin(): AdminPort {
    const withAdmin = async <T>(f: (a: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        return await f(admin);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    };
    return {
      partitionCount: (topic) => withAdmin(async (a) => (await a.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length),
      topicOffsets: (topic) =>
        withAdmin(async (a) =>
          (await a.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })),
        ),
      listTopics: () => withAdmin((a) => a.listTopics()),
      createTopics: (topics: readonly NewTopic[]) =>
        withAdmin(async (a) => {
          const existing = new Set(await a.listTopics());
          const missing = topics.filter((t) => !existing.has(t.topic));
          if (missing.length === 0) return;
          await a.createTopics({
            waitForLeaders: true,
            topics: missing.map((t) => ({
              topic: t.topic,
              numPartitions: t.numPartitions,
              replicationFactor: t.replicationFactor,
              configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            })),
          });
        }),
    };
  }
}

class KafkajsGroupConsumer implements GroupConsumerPort {
  constructor(private readonly consumer: Consumer) {}

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async subscribe(topics: readonly string[], fromBeginning: boolean): Promise<void> {
    await this.consumer.subscribe({ topics: [...topics], fromBeginning });
  }

  run(eachBatch: (payload: BatchPayload) => Promise<void>): Promise<void> {
    return this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  }

  pause(topic: string, partition: number): void {
    this.consumer.pause([{ topic, partitions: [partition] }]);
  }

  resume(topic: string, partition: number): void {
    this.consumer.resume([{ topic, partitions: [partition] }]);
  }

  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  async commitOffsets(offsets: readonly { topic: string; partition: number; offset: string }[]): Promise<void> {
    await this.consumer.commitOffsets([...offsets]);
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }

  onRebalancing(listener: () => void): void {
    this.consumer.on(this.consumer.events.REBALANCING, () => listener());
  }

  onJoin(listener: (assignment: Record<string, number[]>) => void): void {
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => listener(e.payload.memberAssignment));
  }

  onCrash(listener: (error: Error, restarting: boolean) => void): void {
    this.consumer.on(this.consumer.events.CRASH, (e) => listener(e.payload.error, e.payload.restart));
  }
}

function byTopic(records: readonly OutMessage[]): TopicMessages[] {
  const map = new Map<string, Message[]>();
  for (const r of records) {
    let list = map.get(r.topic);
    if (list === undefined) map.set(r.topic, (list = []));
    list.push({ key: r.key, value: r.value, headers: r.headers, partition: r.partition });
  }
  return [...map].map(([topic, messages]) => ({ topic, messages }));
}
