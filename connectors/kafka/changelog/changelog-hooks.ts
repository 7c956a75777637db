import type { PartitionHooks, TopicPartitions } from '../types.js';
import type { StreamKey } from '../../../src/core/types.js';
import type { KafkaChangelog } from './changelog.js';

// Wires a keyed state store to a Kafka source's rebalances through the changelog: fence writes while the
// group rebalances, restore newly assigned partitions before their first batch, flush and evict revoked ones.

/** The per-stream state an instance keeps in memory, as the changelog layer needs to see it. */
export interface ChangelogTarget {
  /** A stream's state from the changelog (null: deleted); `inputOffset` is the last input offset it includes. */
  restore(key: StreamKey, partition: number, value: Uint8Array | null, inputOffset: number): void;
  /** Forgets the states of streams on these (revoked) partitions. */
  evict(partitions: ReadonlySet<number>): void;
}

export interface ChangelogHookEvents {
  readonly onRestored?: (partitions: readonly number[], records: number) => void;
}

const partitionsOf = (tps: readonly TopicPartitions[]) => tps.flatMap((tp) => tp.partitions);

/** Hooks for `new KafkaSource(cfg, { hooks })`. The input topics must be co-partitioned with the changelog. */
export function changelogHooks(changelog: KafkaChangelog, target: ChangelogTarget, events: ChangelogHookEvents = {}): PartitionHooks {
  return {
    onRebalancing: () => changelog.setOwned([]),
    onAssignment: (all) => changelog.setOwned(partitionsOf(all)),
    onAssigned: async (added) => {
      const partitions = partitionsOf(added);
      const n = await changelog.restore(partitions, (s) => target.restore(s.key, s.partition, s.value, s.inputOffset));
      events.onRestored?.(partitions, n);
    },
    onRevoked: async (revoked) => {
      await changelog.flush();
      target.evict(new Set(partitionsOf(revoked)));
    },
  };
}
