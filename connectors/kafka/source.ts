import { Observable, type Subscriber } from 'rxjs';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { TidecastError } from '../../src/core/errors.js';
import type { RawRecord } from '../../src/core/types.js';
import { isBrokerOutage } from './broker-outage.js';
import { createKafka, kafkajsRetry, silentLog, type KafkaLog } from './client.js';
import type { KafkaSourceConfig } from './config.js';
import { OffsetCommitter } from './source-commits.js';
import type { Health, PartitionHooks, SourceBatch, SourceConnector, TopicPartitions } from './types.js';

export interface KafkaSourceContext {
  readonly log?: KafkaLog;
  readonly hooks?: PartitionHooks;
  /** An existing client to share connections with; one is made from the config otherwise. */
  readonly kafka?: Kafka;
}

/** Counters for metrics and tests. */
export interface KafkaSourceStats {
  received: number;
  batches: number;
  staleAcks: number;
  retries: number;
  pauses: number;
  rebalances: number;
}

/**
 * A consumer-group member that hands out chunks of records as acked batches. The message key is the stream id.
 * Offsets are committed only up to the highest contiguous acked record per partition (acks follow effects).
 */
export class KafkaSource implements SourceConnector {
  readonly kind = 'kafka';
  readonly stats: KafkaSourceStats = { received: 0, batches: 0, staleAcks: 0, retries: 0, pauses: 0, rebalances: 0 };
  private readonly kafka: Kafka;
  private readonly log: KafkaLog;
  private readonly hooks: PartitionHooks;
  private consumer: Consumer | null = null;
  private committer: OffsetCommitter | null = null;
  private assigned: TopicPartitions[] = [];
  /** Settles when the current assignment's state is restored; batches wait for it. */
  private ready: Promise<void> = Promise.resolve();
  private readonly paused = new Set<string>();
  private closing: Promise<void> | null = null;

  constructor(
    readonly config: KafkaSourceConfig,
    ctx: KafkaSourceContext = {},
  ) {
    this.log = ctx.log ?? silentLog;
    this.hooks = ctx.hooks ?? {};
    this.kafka = ctx.kafka ?? createKafka(config.connection, this.log);
  }

  start(signal: AbortSignal): Observable<SourceBatch> {
    return new Observable<SourceBatch>((sub) => {
      if (this.consumer !== null) {
        sub.error(new TidecastError('A Kafka source can be started once.', 'config_invalid', false));
        return;
      }
      const onAbort = () => void this.close().then(() => sub.complete());
      signal.addEventListener('abort', onAbort, { once: true });
      this.run(sub).catch((err: unknown) => sub.error(this.wrap(err)));
      return () => {
        signal.removeEventListener('abort', onAbort);
        void this.close();
      };
    });
  }

  async healthcheck(): Promise<Health> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.fetchTopicMetadata({ topics: this.config.topics });
      return { status: 'ok' };
    } catch (err) {
      return { status: 'down', detail: (err as Error).message };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Partitions this instance owns now. */
  assignment(): readonly TopicPartitions[] {
    return this.assigned;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async run(sub: Subscriber<SourceBatch>): Promise<void> {
    const cfg = this.config;
    const consumer = this.kafka.consumer({
      groupId: cfg.group_id,
      sessionTimeout: cfg.session_timeout_ms,
      heartbeatInterval: cfg.heartbeat_interval_ms,
      maxBytesPerPartition: cfg.max_bytes_per_partition,
      maxWaitTimeInMs: cfg.max_wait_ms,
      allowAutoTopicCreation: false,
      retry: kafkajsRetry(cfg.connection.retry),
    });
    this.consumer = consumer;
    this.committer = new OffsetCommitter(consumer, cfg.commit_interval_ms, this.log);
    consumer.on(consumer.events.REBALANCING, () => this.onRebalancing());
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      this.log.warn({ err: e.payload.error.message, restart: e.payload.restart }, 'Kafka consumer crashed.');
      if (e.payload.restart || this.closing !== null) return;
      // kafkajs restarts only after retriable errors, but a broker restart can also end in a "non-retriable"
      // one (no group coordinator while it comes back): wait that out too, or the intake stops for good.
      if (isBrokerOutage(e.payload.error)) this.runAgain(sub, this.config.connection.retry.initial_retry_ms);
      else sub.error(this.wrap(e.payload.error));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: cfg.topics, fromBeginning: cfg.from_beginning });
    await this.runConsumer(sub);
  }

  private runConsumer(sub: Subscriber<SourceBatch>): Promise<void> {
    return this.consumer!.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload, sub),
    });
  }

  /**
   * Runs the crashed consumer (kafkajs has disconnected it) again after `delayMs`, doubling the pause while
   * the brokers stay away. Its join refetches every partition from the committed offsets.
   */
  private runAgain(sub: Subscriber<SourceBatch>, delayMs: number): void {
    const next = Math.min(2 * delayMs, Math.max(this.config.connection.retry.max_retry_ms, delayMs));
    setTimeout(() => {
      if (this.closing !== null || this.consumer === null) return;
      this.log.warn({ afterMs: delayMs }, 'Running the Kafka consumer again.');
      this.consumer.connect().then(() => this.runConsumer(sub)).catch((err: unknown) => {
        if (this.closing !== null) return;
        if (isBrokerOutage(err)) this.runAgain(sub, next);
        else sub.error(this.wrap(err));
      });
    }, delayMs).unref();
  }

  private async onBatch(p: EachBatchPayload, sub: Subscriber<SourceBatch>): Promise<void> {
    const { batch } = p;
    await this.awaitReady(p);
    if (p.isStale() || !p.isRunning() || this.closing !== null || batch.messages.length === 0) return;
    const committer = this.committer!;
    const tracker = committer.tracker(batch.topic, batch.partition);
    const max = this.config.max_batch_records;
    const msgs = batch.messages;
    // kafkajs fetches while batches are processed: skip records already handed out, and a batch fetched
    // before a seek (resolving it would undo the seek).
    let from = 0;
    const pos = tracker.position();
    if (pos >= 0) while (from < msgs.length && Number(msgs[from].offset) < pos) from++;
    if (from === msgs.length) {
      p.resolveOffset(batch.lastOffset()); // all handed out already
      return;
    }
    if (!tracker.acceptsAfterSeek(Number(msgs[from].offset))) return;
    const generation = tracker.generation;
    for (let start = from; start < msgs.length; start += max) {
      // A handler may fail synchronously inside next(): the retry seeks, and this batch's rest is stale.
      if (tracker.generation !== generation || p.isStale()) return;
      const end = Math.min(start + max, msgs.length);
      const first = Number(msgs[start].offset);
      const last = Number(msgs[end - 1].offset);
      const id = tracker.track(first, last, end - start);
      if (id < 0) continue; // a refetch of records already handed out
      const records: RawRecord[] = new Array(end - start);
      for (let i = start; i < end; i++) records[i - start] = this.toRecord(batch.topic, batch.partition, msgs[i]);
      this.stats.received += records.length;
      this.stats.batches++;
      sub.next(this.makeBatch(batch.topic, batch.partition, records, id, tracker.generation, first));
    }
    if (tracker.generation !== generation || p.isStale()) return;
    p.resolveOffset(batch.lastOffset());
    if (tracker.unacked >= this.config.max_in_flight) this.pause(batch.topic, batch.partition);
    await p.heartbeat();
  }

  private toRecord(topic: string, partition: number, m: EachBatchPayload['batch']['messages'][number]): RawRecord {
    return {
      payload: m.value === null ? '' : m.value.toString('utf8'),
      format: this.config.format,
      key: m.key === null || m.key === undefined ? undefined : m.key.toString('utf8'),
      origin: { connector: 'kafka', topic, partition, offset: m.offset },
    };
  }

  private makeBatch(
    topic: string,
    partition: number,
    records: RawRecord[],
    id: number,
    generation: number,
    first: number,
  ): SourceBatch {
    let acked = false;
    const tracker = this.committer!.tracker(topic, partition);
    return {
      records,
      stale: () => tracker.generation !== generation,
      ack: (outcome) => {
        if (acked) return;
        acked = true;
        const committer = this.committer!;
        if (outcome === 'retry') return this.retry(topic, partition, generation, first);
        if (!tracker.ack(id, generation)) {
          this.stats.staleAcks++;
          return;
        }
        committer.schedule();
        if (tracker.unacked <= this.config.max_in_flight >> 1) this.resume(topic, partition);
      },
    };
  }

  /** Redelivers from the first record not yet done; later in-flight batches of the partition go stale. */
  private retry(topic: string, partition: number, generation: number, first: number): void {
    const tracker = this.committer!.tracker(topic, partition);
    if (tracker.generation !== generation || this.consumer === null) return;
    const from = tracker.resumePoint() >= 0 ? tracker.resumePoint() : first;
    this.stats.retries++;
    tracker.reset(from);
    // A crashed consumer cannot seek; its next join refetches from the committed offset, at or before `from`.
    try {
      this.consumer.seek({ topic, partition, offset: String(from) });
    } catch (err) {
      this.log.warn({ err: (err as Error).message, topic, partition }, 'Kafka seek failed; the next join refetches from the committed offset.');
    }
    this.resume(topic, partition);
    this.log.warn({ topic, partition, offset: from }, 'Batch failed downstream; redelivering the partition from its first unfinished record.');
  }

  private pause(topic: string, partition: number): void {
    const k = `${topic}\u0000${partition}`;
    if (this.paused.has(k) || this.consumer === null) return;
    this.paused.add(k);
    this.stats.pauses++;
    pauseOrResume(() => this.consumer!.pause([{ topic, partitions: [partition] }]));
  }

  private resume(topic: string, partition: number): void {
    const k = `${topic}\u0000${partition}`;
    if (!this.paused.delete(k) || this.consumer === null) return;
    pauseOrResume(() => this.consumer!.resume([{ topic, partitions: [partition] }]));
  }

  private async awaitReady(p: EachBatchPayload): Promise<void> {
    let settled = false;
    const ready = this.ready.finally(() => {
      settled = true;
    });
    // Restoring can take longer than a session timeout: keep the membership alive meanwhile.
    while (!settled) {
      await Promise.race([ready, new Promise((r) => setTimeout(r, 1_000))]);
      if (!settled) await p.heartbeat();
    }
    await ready;
  }

  private onRebalancing(): void {
    this.stats.rebalances++;
    this.hooks.onRebalancing?.();
    // Commit what is done while this generation still may; acks after this point are ignored.
    void this.committer?.commitNow();
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const next: TopicPartitions[] = Object.entries(memberAssignment).map(([topic, partitions]) => ({ topic, partitions }));
    const had = new Set(this.assigned.flatMap((a) => a.partitions.map((p) => `${a.topic}\u0000${p}`)));
    const now = new Set(next.flatMap((a) => a.partitions.map((p) => `${a.topic}\u0000${p}`)));
    const revoked = this.assigned
      .map((a) => ({ topic: a.topic, partitions: a.partitions.filter((p) => !now.has(`${a.topic}\u0000${p}`)) }))
      .filter((a) => a.partitions.length > 0);
    const added = next
      .map((a) => ({ topic: a.topic, partitions: a.partitions.filter((p) => !had.has(`${a.topic}\u0000${p}`)) }))
      .filter((a) => a.partitions.length > 0);
    this.assigned = next;
    // A join refetches every partition from its committed offset: in-flight batches are stale now.
    this.committer?.resetAll();
    for (const k of this.paused) {
      const [topic, partition] = k.split('\u0000');
      this.consumer?.resume([{ topic, partitions: [Number(partition)] }]);
    }
    this.paused.clear();
    this.log.info({ assigned: next, added, revoked }, 'Kafka partitions assigned.');
    this.hooks.onAssignment?.(next);
    // Hooks run one rebalance after the other; a failed restore fails the batches that wait for it (the
    // consumer crashes, rejoins, and the next join restores again).
    this.ready = this.ready
      .catch(() => undefined)
      .then(async () => {
        if (revoked.length > 0) await this.hooks.onRevoked?.(revoked);
        if (added.length > 0) await this.hooks.onAssigned?.(added);
      });
    this.ready.catch((err: unknown) => {
      this.assigned = []; // the next join restores every partition again
      this.log.error({ err: (err as Error).message }, 'Partition hook failed.');
    });
  }

  private async shutdown(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === null) return;
    await this.committer?.drain(5_000);
    await consumer.disconnect().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'Kafka consumer disconnect failed.'));
  }

  private wrap(err: unknown): TidecastError {
    if (err instanceof TidecastError) return err;
    return new TidecastError(`Kafka source ${this.config.group_id} failed: ${(err as Error).message}`, 'broker_down', true, { cause: err });
  }
}

/** kafkajs throws while a crashed consumer is not running; its next join starts every partition unpaused. */
function pauseOrResume(f: () => void): void {
  try {
    f();
  } catch {
    // nothing to pause or resume until the consumer runs again
  }
}
