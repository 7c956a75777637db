import { Consumer, type BaseOptions, type Message, type MessagesStream } from '@platformatic/kafka';
import type { KafkaLog } from '../client.js';
import { closeForced, headersRecord } from './platformatic-client.js';
import type { BatchPayload, GroupConsumerOptions, GroupConsumerPort, InMessage, TopicPartitionOffset } from './port.js';

// @platformatic/kafka consumes through one Node stream of messages per consumer, with neither per-partition
// pause nor seek. This adapter gives the source kafkajs's model on top of it:
// - messages that arrive in one tick (one fetch response) are cut into one batch per partition, handed to
//   the batch handler one after another; the stream is paused while a handler runs;
// - pausing a partition pauses the whole stream (back-pressure is rare and short: the other partitions wait);
// - a seek sets the partition's next fetch offset and drops records fetched before it until the sought one
//   arrives (a fetch in flight when seeking would otherwise move the position past it again);
// - a rebalance or join makes every batch fetched before it stale;
// - records a handler leaves unresolved (back-pressure stopped it midway) are fetched again from the first
//   unresolved one, as kafkajs does: the partition is rewound like a seek.

type Bytes = Buffer;
type Msg = Message<Bytes, Bytes, Bytes, Bytes>;

/** A broker outage as the source's restart logic knows it (`retriable`), wrapping the client's error. */
class BrokerAwayError extends Error {
  readonly retriable = true;
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'BrokerAwayError';
  }
}

const OUTAGE_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

export function isOutage(err: Error): boolean {
  const e = err as Error & { code?: string; canRetry?: boolean; errors?: Error[] };
  if (e.code !== undefined && OUTAGE_CODES.has(e.code)) return true;
  if (e.canRetry === true) return true;
  // "fetch failed 6 times.": the client retried (it retries only errors it deems retriable, e.g. a
  // partition without a leader while the broker comes back) and gave up. A broker still restarting.
  if (e.code === 'PLT_KFK_MULTIPLE' && Array.isArray(e.errors) && e.errors.length > 0) {
    return e.errors.every((x) => (x as { canRetry?: boolean }).canRetry !== false);
  }
  if (Array.isArray(e.errors)) return e.errors.some((x) => x instanceof Error && isOutage(x));
  return e.cause instanceof Error && isOutage(e.cause);
}

function outageOrSelf(err: Error): Error {
  return isOutage(err) ? new BrokerAwayError(err) : err;
}

export class PlatformaticGroupConsumer implements GroupConsumerPort {
  private consumer: Consumer<Bytes, Bytes, Bytes, Bytes> | null = null;
  private stream: MessagesStream<Bytes, Bytes, Bytes, Bytes> | null = null;
  private topics: string[] = [];
  private fromBeginning = true;
  private generation = 0;
  private running = false;
  private assigned = new Set<string>();
  private readonly paused = new Set<string>();
  private busy = 0;
  /** Sought offsets not yet seen, per "topic:partition". */
  private readonly seeks = new Map<string, bigint>();
  /** Seek count per partition: a batch fetched before a seek of its partition is stale. */
  private readonly seekEpochs = new Map<string, number>();
  private pending = new Map<string, { topic: string; partition: number; messages: InMessage[] }>();
  private flushScheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private eachBatch: ((p: BatchPayload) => Promise<void>) | null = null;
  private readonly rebalancing: (() => void)[] = [];
  private readonly joins: ((a: Record<string, number[]>) => void)[] = [];
  private readonly crashes: ((e: Error, restarting: boolean) => void)[] = [];

  constructor(
    private readonly base: BaseOptions,
    private readonly options: GroupConsumerOptions,
    private readonly log: KafkaLog,
  ) {}

  async connect(): Promise<void> {
    if (this.consumer !== null) return;
    const o = this.options;
    const consumer = new Consumer<Bytes, Bytes, Bytes, Bytes>({
      ...this.base,
      groupId: o.groupId,
      autocreateTopics: false,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxWaitTime: o.maxWaitMs,
      minBytes: o.minBytes ?? 1,
    });
    consumer.on('consumer:group:rebalance', () => {
      this.generation++;
      for (const l of this.rebalancing) l();
    });
    consumer.on('consumer:group:join', (e) => this.joined(e.assignments ?? []));
    // A failed rejoin; without a listener the emitter would throw.
    consumer.on('error', (err: Error) => this.crash(err));
    this.consumer = consumer;
  }

  async subscribe(topics: readonly string[], fromBeginning: boolean): Promise<void> {
    this.topics = [...topics];
    this.fromBeginning = fromBeginning;
  }

  async run(eachBatch: (payload: BatchPayload) => Promise<void>): Promise<void> {
    await this.connect();
    this.eachBatch = eachBatch;
    const consumer = this.consumer!;
    let stream: MessagesStream<Bytes, Bytes, Bytes, Bytes>;
    try {
      stream = await consumer.consume({
        topics: this.topics,
        mode: 'committed',
        fallbackMode: this.fromBeginning ? 'earliest' : 'latest',
        autocommit: false,
        sessionTimeout: this.options.sessionTimeoutMs,
        heartbeatInterval: this.options.heartbeatIntervalMs,
      });
    } catch (err) {
      // Not running yet (the brokers may be away): the next run() starts over with a new consumer.
      this.consumer = null;
      await closeForced(consumer).catch(() => undefined);
      throw outageOrSelf(err as Error);
    }
    this.running = true;
    this.stream = stream;
    stream.on('data', (m: Msg) => this.onData(m));
    stream.on('error', (err: Error) => this.crash(err));
    this.updateFlow();
  }

  pause(topic: string, partition: number): void {
    this.paused.add(`${topic}:${partition}`);
    this.updateFlow();
  }

  resume(topic: string, partition: number): void {
    if (this.paused.delete(`${topic}:${partition}`)) this.updateFlow();
  }

  seek(topic: string, partition: number, offset: string): void {
    const stream = this.stream;
    if (stream === null || !this.running) throw new Error('The Kafka consumer is not running.');
    const key = `${topic}:${partition}`;
    const at = BigInt(offset);
    this.seekEpochs.set(key, (this.seekEpochs.get(key) ?? 0) + 1);
    this.rewind(key, at);
  }

  /** The partition's next fetch starts at `at`; records fetched past it are dropped until it arrives. */
  private rewind(key: string, at: bigint): void {
    this.seeks.set(key, at);
    this.stream?.offsetsToFetch.set(key, at);
    this.pending.delete(key);
  }

  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const consumer = this.consumer;
    if (consumer === null) throw new Error('The Kafka consumer is not connected.');
    await consumer.commit({
      offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })),
    });
  }

  async disconnect(): Promise<void> {
    this.running = false;
    const stream = this.stream;
    const consumer = this.consumer;
    this.stream = null;
    this.consumer = null;
    await stream?.close().catch(() => undefined);
    if (consumer !== null)
      await closeForced(consumer).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'Kafka consumer close failed.'));
  }

  onRebalancing(listener: () => void): void {
    this.rebalancing.push(listener);
  }

  onJoin(listener: (assignment: Record<string, number[]>) => void): void {
    this.joins.push(listener);
  }

  /** The group's join event: a new generation, refetching every partition from its committed offset. */
  private joined(assignments: readonly { topic: string; partitions: number[] }[]): void {
    this.generation++;
    this.seeks.clear();
    this.pending.clear();
    const assignment: Record<string, number[]> = {};
    this.assigned = new Set();
    for (const a of assignments) {
      assignment[a.topic] = [...a.partitions];
      for (const p of a.partitions) this.assigned.add(`${a.topic}:${p}`);
    }
    for (const l of this.joins) l(assignment);
  }

  onCrash(listener: (error: Error, restarting: boolean) => void): void {
    this.crashes.push(listener);
  }

  private onData(m: Msg): void {
    const key = `${m.topic}:${m.partition}`;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
    if (!this.assigned.has(key)) return; // revoked meanwhile
    const sought = this.seeks.get(key);
    if (sought !== undefined) {
      if (m.offset !== sought) return; // fetched before the seek
      this.seeks.delete(key);
    }
    let p = this.pending.get(key);
    if (p === undefined) this.pending.set(key, (p = { topic: m.topic, partition: m.partition, messages: [] }));
    p.messages.push({
      offset: String(m.offset),
      timestamp: String(m.timestamp),
      key: m.key ?? null,
      value: m.value ?? null,
      headers: headersRecord(m.headers),
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    // A fetch that was in flight during a seek has moved the position again: put the seek back.
    for (const [key, at] of this.seeks) this.stream?.offsetsToFetch.set(key, at);
    if (this.pending.size === 0) return;
    const batches = [...this.pending.values()];
    this.pending = new Map();
    const generation = this.generation;
    this.busy++;
    this.updateFlow();
    this.chain = this.chain
      .then(async () => {
        for (const b of batches) {
          if (!this.running || this.eachBatch === null) return;
          const key = `${b.topic}:${b.partition}`;
          const seekEpoch = this.seekEpochs.get(key) ?? 0;
          const last = b.messages[b.messages.length - 1].offset;
          let resolved = -1n;
          await this.eachBatch({
            batch: { topic: b.topic, partition: b.partition, messages: b.messages, lastOffset: () => last },
            resolveOffset: (offset) => {
              resolved = BigInt(offset);
            },
            heartbeat: async () => undefined,
            isStale: () => this.generation !== generation || (this.seekEpochs.get(key) ?? 0) !== seekEpoch,
            isRunning: () => this.running,
          });
          // Left unresolved (not stale, not sought meanwhile): fetch the rest again, from the first unresolved.
          const fresh = this.generation === generation && (this.seekEpochs.get(key) ?? 0) === seekEpoch;
          if (this.running && fresh && resolved < BigInt(last)) {
            this.rewind(key, resolved >= 0n ? resolved + 1n : BigInt(b.messages[0].offset));
          }
        }
      })
      .catch((err: unknown) => this.crash(err as Error))
      .finally(() => {
        this.busy--;
        this.updateFlow();
      });
  }

  private updateFlow(): void {
    const stream = this.stream;
    if (stream === null) return;
    const hold = this.busy > 0 || this.paused.size > 0;
    if (hold && !stream.isPaused()) stream.pause();
    else if (!hold && stream.isPaused()) stream.resume();
  }

  private crash(err: Error): void {
    if (!this.running) return;
    this.running = false;
    const stream = this.stream;
    const consumer = this.consumer;
    this.stream = null;
    this.consumer = null;
    void stream?.close().catch(() => undefined);
    if (consumer !== null) void closeForced(consumer).catch(() => undefined);
    const error = outageOrSelf(err);
    for (const l of this.crashes) l(error, false);
  }
}
