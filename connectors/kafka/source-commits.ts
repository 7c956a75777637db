import type { KafkaLog } from './client.js';
import type { GroupConsumerPort } from './clients/port.js';
import { PartitionTracker } from './offset-tracker.js';
import type { StageObserver } from './stage-latency.js';

/** Per-partition trackers of one consumer, and the serialised, throttled commits of their acked prefixes. */
export class OffsetCommitter {
  private readonly trackers = new Map<string, { topic: string; partition: number; tracker: PartitionTracker }>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private again = false;
  /** Date.now() of the first ack not yet committed (the 'commit' stage runs from it); 0 when none. */
  private oldestAck = 0;
  commits = 0;

  constructor(
    private readonly consumer: GroupConsumerPort,
    private readonly intervalMs: number,
    private readonly log: KafkaLog,
    private readonly stages?: StageObserver,
  ) {}

  tracker(topic: string, partition: number): PartitionTracker {
    const k = `${topic}\u0000${partition}`;
    let entry = this.trackers.get(k);
    if (entry === undefined) {
      entry = { topic, partition, tracker: new PartitionTracker() };
      this.trackers.set(k, entry);
    }
    return entry.tracker;
  }

  resetAll(): void {
    for (const { tracker } of this.trackers.values()) tracker.reset();
  }

  /** Commits soon: right away with interval 0, else at most once per interval. */
  schedule(): void {
    if (this.oldestAck === 0) this.oldestAck = Date.now();
    if (this.intervalMs === 0) {
      void this.commitNow();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.commitNow();
    }, this.intervalMs);
  }

  /** One commit at a time; a request during a commit runs once more after it. Never throws. */
  commitNow(): Promise<void> {
    if (this.inFlight !== null) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.commitLoop().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Waits up to `timeoutMs` for every handed-out record to be acked, then commits. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...this.trackers.values()].some((e) => e.tracker.unacked > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.commitNow();
  }

  private async commitLoop(): Promise<void> {
    do {
      this.again = false;
      const batch: { topic: string; partition: number; offset: string }[] = [];
      const marks: { tracker: PartitionTracker; generation: number; offset: number }[] = [];
      for (const { topic, partition, tracker } of this.trackers.values()) {
        const offset = tracker.committable();
        if (offset < 0) continue;
        batch.push({ topic, partition, offset: String(offset) });
        marks.push({ tracker, generation: tracker.generation, offset });
      }
      if (batch.length === 0) return;
      const since = this.oldestAck;
      this.oldestAck = 0;
      try {
        await this.consumer.commitOffsets(batch);
        if (since > 0) this.stages?.observe('commit', Date.now() - since);
        this.commits++;
        for (const m of marks) if (m.tracker.generation === m.generation) m.tracker.markCommitted(m.offset);
      } catch (err) {
        // Not fatal: the records stay uncommitted and are redelivered after a rebalance or restart.
        this.log.warn({ err: (err as Error).message, offsets: batch }, 'Offset commit failed; trying again in 1 s.');
        setTimeout(() => this.schedule(), 1_000).unref();
        return;
      }
    } while (this.again);
  }
}
