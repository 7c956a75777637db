import type { KafkaLog } from './client.js';
import type { PartitionHooks, TopicPartitions } from './types.js';

/** One join's assignment and how it differs from the one before. */
export interface AssignmentChange {
  readonly next: TopicPartitions[];
  readonly added: TopicPartitions[];
  readonly revoked: TopicPartitions[];
}

/**
 * The partitions a source owns, and the gate its batches wait at while the state of newly assigned partitions
 * is restored (and that of revoked ones flushed) by the partition hooks.
 */
export class SourceAssignment {
  private assigned: TopicPartitions[] = [];
  /** Settles when the current assignment's state is restored; batches wait for it. */
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly hooks: PartitionHooks,
    private readonly log: KafkaLog,
  ) {}

  current(): readonly TopicPartitions[] {
    return this.assigned;
  }

  /** Takes a join's member assignment as the current one; returns what was added and revoked. */
  join(memberAssignment: Record<string, number[]>): AssignmentChange {
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
    return { next, added, revoked };
  }

  /**
   * Runs the revoke and assign hooks of a change. Hooks run one rebalance after the other; a failed restore
   * fails the batches that wait for it (the consumer crashes, rejoins, and the next join restores again).
   */
  restore(change: AssignmentChange): void {
    this.ready = this.ready
      .catch(() => undefined)
      .then(async () => {
        if (change.revoked.length > 0) await this.hooks.onRevoked?.(change.revoked);
        if (change.added.length > 0) await this.hooks.onAssigned?.(change.added);
      });
    this.ready.catch((err: unknown) => {
      this.assigned = []; // the next join restores every partition again
      this.log.error({ err: (err as Error).message }, 'Partition hook failed.');
    });
  }

  /** Waits until restoring is done; rejects if it failed. */
  async awaitReady(heartbeat: () => Promise<void>): Promise<void> {
    let settled = false;
    const ready = this.ready.finally(() => {
      settled = true;
    });
    // Restoring can take longer than a session timeout: keep the membership alive meanwhile.
    while (!settled) {
      await Promise.race([ready, new Promise((r) => setTimeout(r, 1_000))]);
      if (!settled) await heartbeat();
    }
    await ready;
  }
}
