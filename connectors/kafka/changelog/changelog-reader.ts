import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Consumer, type Kafka, type KafkaMessage, type PartitionAssigner } from 'kafkajs';
import { TidecastError } from '../../../src/core/errors.js';
import { silentLog, type KafkaLog } from '../client.js';

// kafkajs has no manual partition assignment, only groups. To read chosen partitions of a topic (a restore,
// the models topic) we join a throwaway group whose assigner hands its only member exactly those partitions.
// The group never commits, so the broker forgets it as soon as the member leaves.

export function fixedAssigner(topic: string, partitions: () => readonly number[]): PartitionAssigner {
  const name = 'TidecastFixedAssigner';
  return () => ({
    name,
    version: 1,
    async assign({ members }) {
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: [...partitions()] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  });
}

/** A consumer of its own group reading `partitions` of `topic` from the beginning. */
export function privateReader(kafka: Kafka, topic: string, partitions: () => readonly number[], prefix: string): Consumer {
  return kafka.consumer({
    groupId: `${prefix}-${randomUUID()}`,
    partitionAssigners: [fixedAssigner(topic, partitions)],
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
}

export interface ReadOptions {
  readonly log?: KafkaLog;
  readonly timeoutMs?: number;
  /** Called with the records read so far, about every 10 s. */
  readonly onProgress?: (records: number) => void;
}

/**
 * Reads `partitions` of `topic` from their first record up to the end as of the call, in offset order per
 * partition. Resolves with the number of records read.
 */
export async function readToEnd(
  kafka: Kafka,
  topic: string,
  partitions: readonly number[],
  onMessage: (partition: number, message: KafkaMessage) => void,
  options: ReadOptions = {},
): Promise<number> {
  const log = options.log ?? silentLog;
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((o) => partitions.includes(o.partition) && Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return 0;
  const wanted = [...ends.keys()];
  const consumer = privateReader(kafka, topic, () => wanted, 'tidecast-restore');
  let records = 0;
  let done = false;
  const timer = setInterval(() => options.onProgress?.(records), 10_000);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new TidecastError(`Reading ${topic} ${JSON.stringify(wanted)} did not finish in ${options.timeoutMs} ms.`, 'broker_down', true)),
        options.timeoutMs ?? 120_000,
      );
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) reject(e.payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (done || !ends.has(batch.partition)) return;
            for (const m of batch.messages) onMessage(batch.partition, m);
            records += batch.messages.length;
            if (Number(batch.lastOffset()) + 1 >= ends.get(batch.partition)!) ends.delete(batch.partition);
            if (ends.size === 0) {
              done = true;
              clearTimeout(deadline);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    clearInterval(timer);
    await consumer.disconnect().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'Restore consumer disconnect failed.'));
  }
  return records;
}
