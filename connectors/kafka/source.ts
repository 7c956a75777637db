import { Observable, type Subscriber } from 'rxjs';
import { TidecastError } from '../../src/core/errors.js';
import { silentLog, type KafkaLog } from './client.js';
import { createKafkaClient, type GroupConsumerPort, type KafkaClient } from './clients/index.js';
import type { KafkaSourceConfig } from './config.js';
import { ConsumerPauses } from './consumer-pauses.js';
import { ConsumerRestart } from './consumer-restart.js';
import { SourceAssignment } from './source-assignment.js';
import { BatchHandOut } from './source-batches.js';
import { OffsetCommitter } from './source-commits.js';
import type { StageObserver } from './stage-latency.js';
import type { Health, PartitionHooks, SourceBatch, SourceConnector, TopicPartitions } from './types.js';

// The source wires its parts to one group consumer (kafkajs or @platformatic/kafka, clients/port.ts): BatchHandOut (eachBatch, backpressure, acks and
// retries), OffsetCommitter (commits of acked prefixes), SourceAssignment (rebalances and the restore gate)
// and ConsumerRestart (running again after a broker outage).

export interface KafkaSourceContext {
  readonly log?: KafkaLog;
  readonly hooks?: PartitionHooks;
  /** Times the 'source' (producer timestamp -> handed out) and 'commit' (ack -> committed) stages. */
  readonly stages?: StageObserver;
  /** An existing client to share connections with; one is made from the config otherwise. */
  readonly client?: KafkaClient;
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
  private readonly client: KafkaClient;
  private readonly log: KafkaLog;
  private readonly hooks: PartitionHooks;
  private readonly owned: SourceAssignment;
  private consumer: GroupConsumerPort | null = null;
  private committer: OffsetCommitter | null = null;
  private pauses: ConsumerPauses | null = null;
  private closing: Promise<void> | null = null;
  private readonly stages: StageObserver | undefined;

  constructor(
    readonly config: KafkaSourceConfig,
    ctx: KafkaSourceContext = {},
  ) {
    this.log = ctx.log ?? silentLog;
    this.hooks = ctx.hooks ?? {};
    this.client = ctx.client ?? createKafkaClient(config.connection, this.log);
    this.owned = new SourceAssignment(this.hooks, this.log);
    this.stages = ctx.stages;
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
    try {
      const admin = this.client.admin();
      for (const topic of this.config.topics) await admin.partitionCount(topic);
      return { status: 'ok' };
    } catch (err) {
      return { status: 'down', detail: (err as Error).message };
    }
  }

  /** Partitions this instance owns now. */
  assignment(): readonly TopicPartitions[] {
    return this.owned.current();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async run(sub: Subscriber<SourceBatch>): Promise<void> {
    const cfg = this.config;
    const consumer = this.client.groupConsumer({
      groupId: cfg.group_id,
      sessionTimeoutMs: cfg.session_timeout_ms,
      heartbeatIntervalMs: cfg.heartbeat_interval_ms,
      maxBytesPerPartition: cfg.max_bytes_per_partition,
      maxWaitMs: cfg.max_wait_ms,
      minBytes: cfg.fetch_min_bytes,
    });
    const committer = new OffsetCommitter(consumer, cfg.commit_interval_ms, this.log, this.stages);
    const pauses = new ConsumerPauses(consumer, this.stats);
    this.consumer = consumer;
    this.committer = committer;
    this.pauses = pauses;
    const isClosing = () => this.closing !== null;
    const handOut = new BatchHandOut({
      config: cfg,
      consumer,
      committer,
      pauses,
      assignment: this.owned,
      stats: this.stats,
      log: this.log,
      isClosing,
      stages: this.stages,
    });
    const runConsumer = () => consumer.run((payload) => handOut.onBatch(payload, sub));
    const restart = new ConsumerRestart({
      consumer,
      log: this.log,
      initialDelayMs: cfg.connection.retry.initial_retry_ms,
      maxDelayMs: cfg.connection.retry.max_retry_ms,
      isClosing,
      run: runConsumer,
      fail: (err) => sub.error(this.wrap(err)),
    });
    consumer.onRebalancing(() => this.onRebalancing());
    consumer.onJoin((assignment) => this.onJoin(assignment));
    consumer.onCrash((error, restarting) => restart.onCrash(error, restarting));
    await consumer.connect();
    await consumer.subscribe(cfg.topics, cfg.from_beginning);
    await runConsumer();
  }

  private onRebalancing(): void {
    this.stats.rebalances++;
    this.hooks.onRebalancing?.();
    // Commit what is done while this generation still may; acks after this point are ignored.
    void this.committer?.commitNow();
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const change = this.owned.join(memberAssignment);
    // A join refetches every partition from its committed offset: in-flight batches are stale now.
    this.committer?.resetAll();
    this.pauses?.resumeAll();
    this.log.info({ assigned: change.next, added: change.added, revoked: change.revoked }, 'Kafka partitions assigned.');
    this.hooks.onAssignment?.(change.next);
    this.owned.restore(change);
  }

  private async shutdown(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === null) return;
    await this.committer?.drain(5_000);
    await consumer
      .disconnect()
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'Kafka consumer disconnect failed.'));
  }

  private wrap(err: unknown): TidecastError {
    if (err instanceof TidecastError) return err;
    return new TidecastError(`Kafka source ${this.config.group_id} failed: ${(err as Error).message}`, 'broker_down', true, { cause: err });
  }
}
