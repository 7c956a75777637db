import { TidecastError } from '../../../src/core/errors.js';
import type { StreamKey } from '../../../src/core/types.js';
import { silentLog, type KafkaLog } from '../client.js';
import type { KafkaClient, OutMessage, ProducerPort } from '../clients/port.js';
import { chunkByBytes, MAX_REQUEST_BYTES, MAX_REQUEST_RECORDS } from '../sink.js';
import type { KafkaChangelogConfig } from './changelog-config.js';
import { readToEnd } from './changelog-reader.js';

/** Header with the input offset up to which (inclusive) a state includes the stream's records. */
export const OFFSET_HEADER = 'tidecast-input-offset';

/** A buffered state record: the stream's key, its partition, the state bytes (null: a tombstone). */
type StateMessage = OutMessage & { readonly partition: number };

export interface RestoredState {
  readonly key: StreamKey;
  readonly partition: number;
  /** null: the stream's state was deleted (tombstone). */
  readonly value: Uint8Array | null;
  /** Last input offset included in the state; a replay skips records at or before it. -1 when unknown. */
  readonly inputOffset: number;
}

export interface ChangelogStats {
  written: number;
  flushes: number;
  restored: number;
  /** Puts dropped because their partition was not owned (revoked, or a rebalance in progress). */
  fenced: number;
}

/**
 * Each stream's state (bytes) in a compacted topic keyed by stream, on the same partition number as the
 * stream's input partition, so that whoever owns input partition p restores from changelog partition p.
 * Puts are buffered (latest per key wins) and become durable on `flush`, which callers await before acking.
 */
export class KafkaChangelog {
  readonly stats: ChangelogStats = { written: 0, flushes: 0, restored: 0, fenced: 0 };
  /** Produce requests sent: a flush takes one per MAX_REQUEST_RECORDS states (or MAX_REQUEST_BYTES). */
  requests = 0;
  private readonly producer: ProducerPort;
  private connected: Promise<void> | null = null;
  private pending = new Map<StreamKey, StateMessage>();
  private chain: Promise<void> = Promise.resolve();
  /** Partitions this instance may write; null: all (no group). */
  private owned: Set<number> | null = null;

  constructor(
    private readonly kafka: KafkaClient,
    readonly config: KafkaChangelogConfig,
    private readonly log: KafkaLog = silentLog,
  ) {
    this.producer = kafka.producer({ idempotent: true });
  }

  /** Creates the compacted topic with the input's partition count, or checks that an existing one matches. */
  async ensureTopic(inputTopic: string): Promise<number> {
    const partitions = await partitionCount(this.kafka, inputTopic);
    await ensureCompactedTopic(this.kafka, this.config.topic, partitions, this.config);
    const have = await partitionCount(this.kafka, this.config.topic);
    if (have !== partitions) {
      throw new TidecastError(
        `Changelog ${this.config.topic} has ${have} partitions, input ${inputTopic} has ${partitions}: they must match.`,
        'config_invalid',
        false,
      );
    }
    return partitions;
  }

  /**
   * Fences the writes: only states of these partitions are written from now on, and buffered ones of others
   * are dropped. Call with [] when a rebalance starts and with the new assignment after it, so that a late
   * write of an instance that lost a partition cannot overwrite newer state of its new owner.
   */
  setOwned(partitions: readonly number[]): void {
    this.owned = new Set(partitions);
    for (const [key, m] of this.pending) {
      if (!this.owned.has(m.partition)) {
        this.pending.delete(key);
        this.stats.fenced++;
      }
    }
  }

  /** Buffers the stream's new state; the bytes are copied, so the caller may reuse its buffer. */
  put(key: StreamKey, partition: number, value: Uint8Array, inputOffset: number): void {
    if (this.fence(partition)) return;
    const copy = Buffer.from(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    this.pending.set(key, { topic: this.config.topic, key, value: copy, partition, headers: { [OFFSET_HEADER]: String(inputOffset) } });
  }

  /** Buffers a tombstone: compaction removes the stream's state. */
  delete(key: StreamKey, partition: number): void {
    if (this.fence(partition)) return;
    this.pending.set(key, { topic: this.config.topic, key, value: null, partition });
  }

  /** Makes every put so far durable. Flushes run one after the other, so a stream's states stay in order. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.chain;
    const messages = [...this.pending.values()];
    this.pending = new Map();
    const run = this.chain.catch(() => undefined).then(() => this.send(messages));
    this.chain = run;
    return run;
  }

  /** Reads the latest state of every stream on the given partitions; `apply` sees them in write order. */
  async restore(partitions: readonly number[], apply: (s: RestoredState) => void): Promise<number> {
    const started = Date.now();
    const n = await readToEnd(
      this.kafka,
      this.config.topic,
      partitions,
      (partition, m) => {
        if (m.key === null) return;
        const h = m.headers?.[OFFSET_HEADER];
        const inputOffset = h === undefined ? -1 : Number(h.toString());
        apply({ key: m.key.toString('utf8'), partition, value: m.value, inputOffset });
      },
      {
        log: this.log,
        timeoutMs: this.config.restore_timeout_ms,
        onProgress: (records) => this.log.info({ topic: this.config.topic, partitions, records }, 'Restoring partition state.'),
      },
    );
    this.stats.restored += n;
    this.log.info({ topic: this.config.topic, partitions, records: n, ms: Date.now() - started }, 'Partition state restored.');
    return n;
  }

  private fence(partition: number): boolean {
    if (this.owned === null || this.owned.has(partition)) return false;
    this.stats.fenced++;
    return true;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  private async send(messages: StateMessage[]): Promise<void> {
    try {
      this.connected ??= this.producer.connect();
      await this.connected;
      // Capped in records too: kafkajs's per-partition grouping is quadratic in a request's records.
      for (const chunk of chunkByBytes(messages, MAX_REQUEST_BYTES, MAX_REQUEST_RECORDS)) {
        await this.producer.send(chunk, { acks: -1 });
        this.requests++;
        this.stats.written += chunk.length;
      }
      this.stats.flushes++;
    } catch (err) {
      this.connected = null;
      throw new TidecastError(`Changelog write of ${messages.length} states failed: ${(err as Error).message}`, 'broker_down', true, {
        cause: err,
      });
    }
  }
}

export function partitionCount(kafka: KafkaClient, topic: string): Promise<number> {
  return kafka.admin().partitionCount(topic);
}

export async function ensureCompactedTopic(
  kafka: KafkaClient,
  topic: string,
  partitions: number,
  cfg: Pick<KafkaChangelogConfig, 'replication_factor' | 'min_compaction_lag_ms'>,
): Promise<void> {
  await kafka.admin().createTopics([
    {
      topic,
      numPartitions: partitions,
      replicationFactor: cfg.replication_factor,
      configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(cfg.min_compaction_lag_ms) },
    },
  ]);
}
