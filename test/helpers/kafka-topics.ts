import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { KafkajsClient } from '../../connectors/kafka/clients/kafkajs-client.js';
import type { InMessage } from '../../connectors/kafka/clients/port.js';
import { KafkaConnection } from '../../connectors/kafka/config.js';
import { currentKafkaClient } from './kafka-clients.js';

// Small tools for integration tests on a real broker: unique topics, producing inputs, reading outputs.

/** A topic name no other test (or earlier run against the same broker) uses. */
export function uniqueTopic(name: string): string {
  return `${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Test connection settings: short retries so failures show quickly, unless a test needs patience; the client
 * library is the one the conformance suite runs now (kafka-clients.ts).
 */
export function testConnection(brokers: string, retries = 5, client = currentKafkaClient()) {
  return KafkaConnection.parse({
    brokers: brokers.split(','),
    client,
    client_id: 'tidecast-test',
    retry: { retries, initial_retry_ms: 100, max_retry_ms: 2_000 },
  });
}

export function testKafka(brokers: string): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({ brokers: brokers.split(','), clientId: 'tidecast-test-tools', logLevel: logLevel.NOTHING });
}

export async function createTopic(brokers: string, topic: string, partitions: number, compacted = false): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, configEntries: compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [] }],
    });
  } catch (err) {
    // A broker that has just started can answer the wait for leaders before it knows the new partitions.
    if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
    await waitFor(
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null);
        return meta?.topics[0]?.partitions.length === partitions && meta.topics[0].partitions.every((p) => p.leader >= 0);
      },
      30_000,
      `the leaders of ${topic}`,
    );
  } finally {
    await admin.disconnect();
  }
}

export interface TestMessage {
  readonly key: string | null;
  readonly value: string | null;
  readonly partition?: number;
}

export async function produce(brokers: string, topic: string, messages: readonly TestMessage[], chunk = 5_000): Promise<void> {
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk).map((m) => ({ ...m })) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface ReadMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

function headersOf(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/**
 * Reads every partition of `topic` from the beginning until `done(all messages so far)` holds or the
 * deadline passes (then it throws with what it saw).
 */
export async function readUntil(
  brokers: string,
  topic: string,
  done: (messages: readonly ReadMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadMessage[]> {
  const kafka = testKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.map((p) => p.partitionId);
  await admin.disconnect();
  // The observer reads with kafkajs whichever client the connectors under test use.
  const consumer = new KafkajsClient(testConnection(brokers, 5, 'kafkajs'), undefined, kafka).partitionReader(
    topic,
    partitions,
    'tidecast-test-read',
  );
  const seen: ReadMessage[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`readUntil(${topic}): condition not met in ${timeoutMs} ms after ${seen.length} messages`)),
        timeoutMs,
      );
      const check = () => {
        if (done(seen)) {
          clearTimeout(timer);
          resolve();
        }
      };
      check();
      consumer
        .run((partition, messages) => {
          for (const m of messages) seen.push(toRead(partition, m));
          check();
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function toRead(partition: number, m: InMessage): ReadMessage {
  return {
    partition,
    offset: m.offset,
    key: m.key?.toString('utf8') ?? null,
    value: m.value?.toString('utf8') ?? null,
    headers: headersOf(m.headers),
  };
}

/** The group's committed offset per partition (-1 where none). */
export async function committedOffsets(brokers: string, groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(res.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** The end (high-water mark) of each partition. */
export async function endOffsets(brokers: string, topic: string): Promise<Map<number, number>> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Polls `cond` until it holds; throws after the deadline. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once `group` has committed the end of every non-empty partition of `topic`: all of it is done. */
export async function waitForCommittedEnd(brokers: string, group: string, topic: string, timeoutMs: number): Promise<void> {
  const ends = await endOffsets(brokers, topic);
  await waitFor(
    async () => {
      const done = await committedOffsets(brokers, group, topic);
      return [...ends].every(([p, end]) => end === 0 || done.get(p) === end);
    },
    timeoutMs,
    `group ${group} to commit the end of ${topic}`,
  );
}

/** Every message of a topic, up to its end now. */
export async function readAll(brokers: string, topic: string, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const total = [...(await endOffsets(brokers, topic)).values()].reduce((a, b) => a + b, 0);
  return readUntil(brokers, topic, (m) => m.length >= total, timeoutMs);
}
