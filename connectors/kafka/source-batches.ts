import type { Subscriber } from 'rxjs';
import type { RawRecord } from '../../src/core/types.js';
import type { KafkaLog } from './client.js';
import type { BatchPayload, GroupConsumerPort, InMessage } from './clients/port.js';
import type { KafkaSourceConfig } from './config.js';
import type { ConsumerPauses } from './consumer-pauses.js';
import type { SourceAssignment } from './source-assignment.js';
import type { OffsetCommitter } from './source-commits.js';
import type { StageObserver } from './stage-latency.js';
import type { SourceBatch } from './types.js';

/** The counters the hand-out keeps (a slice of KafkaSourceStats). */
export interface HandOutStats {
  received: number;
  batches: number;
  staleAcks: number;
  retries: number;
}

/** What the hand-out shares with its source. */
export interface BatchHandOutDeps {
  readonly config: KafkaSourceConfig;
  readonly consumer: GroupConsumerPort;
  readonly committer: OffsetCommitter;
  readonly pauses: ConsumerPauses;
  readonly assignment: SourceAssignment;
  readonly stats: HandOutStats;
  readonly log: KafkaLog;
  /** Times the 'source' stage: producer timestamp -> handed out. */
  readonly stages?: StageObserver;
  /** True once the source is closing: nothing more is handed out. */
  isClosing(): boolean;
}

/**
 * kafkajs's eachBatch: cuts each fetched batch into chunks of at most max_batch_records, hands them out as
 * acked batches, and pauses the partition while too many records are unacked (backpressure).
 */
export class BatchHandOut {
  constructor(private readonly deps: BatchHandOutDeps) {}

  async onBatch(p: BatchPayload, sub: Subscriber<SourceBatch>): Promise<void> {
    const { batch } = p;
    const d = this.deps;
    await d.assignment.awaitReady(() => p.heartbeat());
    if (p.isStale() || !p.isRunning() || d.isClosing() || batch.messages.length === 0) return;
    const tracker = d.committer.tracker(batch.topic, batch.partition);
    const max = d.config.max_batch_records;
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
      if (tracker.unacked >= d.config.max_in_flight) {
        // Back-pressure inside a fetch (which can hold a megabyte of records): hand out no more, pause, and
        // leave the rest unresolved; it is fetched again, from there, once acks resume the partition.
        d.pauses.pause(batch.topic, batch.partition);
        if (start > 0) p.resolveOffset(msgs[start - 1].offset);
        return;
      }
      const end = Math.min(start + max, msgs.length);
      const first = Number(msgs[start].offset);
      const last = Number(msgs[end - 1].offset);
      const id = tracker.track(first, last, end - start);
      if (id < 0) continue; // a refetch of records already handed out
      const records: RawRecord[] = new Array(end - start);
      for (let i = start; i < end; i++) records[i - start] = this.toRecord(batch.topic, batch.partition, msgs[i]);
      d.stats.received += records.length;
      d.stats.batches++;
      const producedAt = Number(msgs[start].timestamp);
      sub.next(this.makeBatch(batch.topic, batch.partition, records, id, tracker.generation, first, producedAt));
    }
    if (tracker.generation !== generation || p.isStale()) return;
    p.resolveOffset(batch.lastOffset());
    if (tracker.unacked >= d.config.max_in_flight) d.pauses.pause(batch.topic, batch.partition);
    await p.heartbeat();
  }

  private toRecord(topic: string, partition: number, m: InMessage): RawRecord {
    return {
      payload: m.value === null ? '' : m.value.toString('utf8'),
      format: this.deps.config.format,
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
    producedAt: number,
  ): SourceBatch {
    let acked = false;
    const d = this.deps;
    const tracker = d.committer.tracker(topic, partition);
    const handedOutAt = Date.now();
    if (producedAt > 0) d.stages?.observe('source', handedOutAt - producedAt);
    return {
      records,
      producedAt: producedAt > 0 ? producedAt : undefined,
      handedOutAt,
      stale: () => tracker.generation !== generation,
      ack: (outcome) => {
        if (acked) return;
        acked = true;
        if (outcome === 'retry') return this.retry(topic, partition, generation, first);
        if (!tracker.ack(id, generation)) {
          d.stats.staleAcks++;
          return;
        }
        d.committer.schedule();
        if (tracker.unacked <= d.config.max_in_flight >> 1) d.pauses.resume(topic, partition);
      },
    };
  }

  /** Redelivers from the first record not yet done; later in-flight batches of the partition go stale. */
  private retry(topic: string, partition: number, generation: number, first: number): void {
    const d = this.deps;
    const tracker = d.committer.tracker(topic, partition);
    if (tracker.generation !== generation) return;
    const from = tracker.resumePoint() >= 0 ? tracker.resumePoint() : first;
    d.stats.retries++;
    tracker.reset(from);
    // A crashed consumer cannot seek; its next join refetches from the committed offset, at or before `from`.
    try {
      d.consumer.seek(topic, partition, String(from));
    } catch (err) {
      d.log.warn(
        { err: (err as Error).message, topic, partition },
        'Kafka seek failed; the next join refetches from the committed offset.',
      );
    }
    d.pauses.resume(topic, partition);
    d.log.warn({ topic, partition, offset: from }, 'Batch failed downstream; redelivering the partition from its first unfinished record.');
  }
}
