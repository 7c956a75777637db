import type { Observable } from 'rxjs';
import type { RawRecord } from '../../src/core/types.js';

// The connector contracts from the style guide, as the Kafka connector implements them.
// When a shared connectors/types.ts appears, these should move there (same shapes).

export interface Health {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly detail?: string;
}

/** Records handed to the pipeline together; ack once, after their outputs and state are durable. */
export interface SourceBatch {
  readonly records: readonly RawRecord[];
  ack(outcome: 'done' | 'retry'): void;
  /**
   * True once the batch's partition was revoked, rebalanced or rewound: skip it (its records come again, to
   * whoever owns the partition now) and do not touch state with it, since that state may be gone or moved.
   */
  stale(): boolean;
  /** Producer timestamp (epoch ms) of the batch's first record, when the broker gave one. */
  readonly producedAt?: number;
  /** Date.now() when the source handed the batch out. */
  readonly handedOutAt?: number;
}

export interface SourceConnector {
  readonly kind: string;
  /** Cold; completes on abort. */
  start(signal: AbortSignal): Observable<SourceBatch>;
  healthcheck(): Promise<Health>;
  /** Drains pending acks (bounded in time), commits, disconnects. */
  close(): Promise<void>;
}

export interface SinkConnector<T> {
  readonly kind: string;
  /** Resolves when the batch is durable. */
  write(batch: readonly T[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** Rebalance callbacks: the state layer restores on assignment and flushes on revocation. */
export interface PartitionHooks {
  /** Synchronously, when the group starts rebalancing: from now on every in-flight ack is stale. */
  onRebalancing?(): void;
  /** Synchronously, after every join, with the whole new assignment (before onRevoked/onAssigned). */
  onAssignment?(assigned: readonly TopicPartitions[]): void;
  /** Awaited before the first batch of the newly assigned partitions is handed out. */
  onAssigned?(assigned: readonly TopicPartitions[]): Promise<void>;
  /** Called when partitions are revoked or lost; their in-flight acks are ignored from then on. */
  onRevoked?(revoked: readonly TopicPartitions[]): Promise<void>;
}
