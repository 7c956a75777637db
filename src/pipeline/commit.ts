import { concatMap, filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { PipelineBatch } from './pipeline-batch.js';

// Acknowledgement: a batch's source is acknowledged (Kafka: its streams' states to the changelog,
// then its offsets may be committed) only after the sinks before this operator made its outputs
// durable; then the source may pull the next batch. A batch whose outputs or acknowledgement failed
// is undone and redelivered when its source can (Kafka), otherwise the pipeline fails with the error.

export interface CommitOptions {
  /** After abort a failure is not retried: the pipeline ends with it. */
  readonly signal?: AbortSignal;
  /** Told before a failed batch is undone and redelivered. */
  readonly onRetry?: (error: unknown, batch: PipelineBatch) => void;
}

export function commit(o: CommitOptions = {}): MonoTypeOperatorFunction<PipelineBatch> {
  return concatMap(async (b) => {
    try {
      if (b.failed !== undefined) throw b.failed.error;
      await b.input.ack?.();
    } catch (err) {
      if (b.input.retry === undefined || o.signal?.aborted === true) throw err;
      o.onRetry?.(err, b);
      await b.input.retry();
    }
    b.release();
    return b;
  });
}

/** Drops batches whose records come again elsewhere (Kafka: their partition was revoked or rewound meanwhile). */
export function skipStale(): MonoTypeOperatorFunction<PipelineBatch> {
  return filter((b) => {
    if (b.input.stale?.() !== true) return true;
    b.release();
    return false;
  });
}
