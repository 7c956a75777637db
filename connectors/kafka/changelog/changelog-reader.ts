import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { TidecastError } from '../../../src/core/errors.js';
import { silentLog, type KafkaLog } from '../client.js';
import type { InMessage, KafkaClient } from '../clients/port.js';

// kafkajs has no manual partition assignment, only groups. To read chosen partitions of a topic (a restore,
// the models topic) we join a throwaway group whose assigner hands its only member exactly those partitions
// (clients/*-client.ts partitionReader). The group never commits, so the broker forgets it as soon as the
// member leaves.

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
  kafka: KafkaClient,
  topic: string,
  partitions: readonly number[],
  onMessage: (partition: number, message: InMessage) => void,
  options: ReadOptions = {},
): Promise<number> {
  const log = options.log ?? silentLog;
  const offsets = await kafka.admin().topicOffsets(topic);
  const ends = new Map(offsets.filter((o) => partitions.includes(o.partition) && o.high > o.low).map((o) => [o.partition, o.high]));
  if (ends.size === 0) return 0;
  const wanted = [...ends.keys()];
  const consumer = kafka.partitionReader(topic, wanted, 'tidecast-restore');
  let records = 0;
  let done = false;
  const timer = setInterval(() => options.onProgress?.(records), 10_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () =>
          reject(
            new TidecastError(`Reading ${topic} ${JSON.stringify(wanted)} did not finish in ${options.timeoutMs} ms.`, 'broker_down', true),
          ),
        options.timeoutMs ?? 120_000,
      );
      consumer.onCrash((error, restarting) => {
        if (!restarting) reject(error);
      });
      consumer
        .run((partition, messages) => {
          if (done || !ends.has(partition)) return;
          for (const m of messages) onMessage(partition, m);
          records += messages.length;
          if (Number(messages[messages.length - 1].offset) + 1 >= ends.get(partition)!) ends.delete(partition);
          if (ends.size === 0) {
            done = true;
            clearTimeout(deadline);
            resolve();
          }
        })
        .catch(reject);
    });
  } finally {
    clearInterval(timer);
    await consumer.disconnect().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'Restore consumer disconnect failed.'));
  }
  return records;
}
