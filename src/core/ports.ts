import type { AlertEvent } from './alert-event.js';
import type { DeadLetter, Forecast, Observation } from './types.js';

// What the runtime needs from sources and sinks, whatever their kind.

export interface IngestBatch {
  readonly observations: readonly Observation[];
  readonly deadLetters: readonly DeadLetter[];
  /** Resume position after this batch (file sources: data rows consumed), saved in checkpoints. */
  readonly position?: number;
  /**
   * Called once the batch's outputs are durable (Kafka: writes its streams' states to the changelog,
   * then lets the offsets be committed).
   */
  ack?(): void | Promise<void>;
  /** True once the batch's partition was revoked or rewound (Kafka): its records come again. */
  stale?(): boolean;
  /** After a failed write of the batch's outputs: undo its effect on the state and have it redelivered. */
  retry?(): Promise<void>;
}

export interface RuntimeSource {
  readonly kind: string;
  readonly name: string;
  /**
   * Batches that may be pulled and stepped before the earlier ones are acknowledged (default 1). More
   * than one only for a source whose ack and retry stay right when later batches were stepped meanwhile.
   */
  readonly inFlight?: number;
  /** Batches from the checkpointed position on; ends at end of input or on abort. */
  batches(signal: AbortSignal, from: number | undefined): AsyncIterable<IngestBatch>;
  healthcheck(): Promise<{ status: 'ok' | 'degraded' | 'down'; detail?: string }>;
  close(): Promise<void>;
}

export interface BatchOutputs {
  readonly forecasts: readonly Forecast[];
  /** Per forecast (same index): the value observed at its time t, null where imputed; for sinks that write actuals back. */
  readonly actuals?: readonly (number | null)[];
  readonly alerts: readonly AlertEvent[];
  readonly deadLetters: readonly DeadLetter[];
}

export interface OutputSink {
  readonly kind: string;
  /** Hands over one batch's outputs; may buffer until flush. */
  write(out: BatchOutputs, signal: AbortSignal): Promise<void>;
  /** Writes what is buffered; `durable` also makes it survive a crash (before a checkpoint). */
  flush(durable: boolean): Promise<void>;
  close(): Promise<void>;
}
