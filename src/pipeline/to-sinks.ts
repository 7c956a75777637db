import { concatMap, type MonoTypeOperatorFunction } from 'rxjs';
import type { BatchOutputs, OutputSink } from '../core/ports.js';
import type { PipelineBatch } from './pipeline-batch.js';

// Sinks as operators: each batch's outputs are written to every sink and flushed (durable: also
// made to survive a crash) before the batch moves on, one batch at a time. A failed write does not
// end the pipeline here: the batch is marked failed and commit() decides (redeliver or stop).

export interface DeliverOptions {
  readonly signal?: AbortSignal;
  /** Made to survive a crash (checkpoints), not only handed over. */
  readonly durable?: boolean;
  /** Told each sink's outcome for a batch with outputs (metrics); a failed flush counts as failed. */
  readonly onWrite?: (sink: OutputSink, ok: boolean) => void;
}

const NEVER_ABORTED = new AbortController().signal;

/** Writes one batch's outputs to every sink (one write call when there are outputs) and flushes them. */
export async function deliver(out: BatchOutputs, sinks: readonly OutputSink[], o: DeliverOptions = {}): Promise<void> {
  const n = out.forecasts.length + out.alerts.length + out.deadLetters.length;
  await Promise.all(
    sinks.map(async (s) => {
      try {
        if (n > 0) await s.write(out, o.signal ?? NEVER_ABORTED);
        await s.flush(o.durable ?? false);
      } catch (err) {
        o.onWrite?.(s, false);
        throw err;
      }
      // Empty flushes are not writes.
      if (n > 0) o.onWrite?.(s, true);
    }),
  );
}

export function toSinks(sinks: readonly OutputSink[], o: DeliverOptions = {}): MonoTypeOperatorFunction<PipelineBatch> {
  return concatMap(async (b) => {
    if (b.failed !== undefined) return b;
    try {
      await deliver(b.outputs, sinks, o);
    } catch (error) {
      b.failed = { error };
    }
    return b;
  });
}

export function toSink(sink: OutputSink, o: DeliverOptions = {}): MonoTypeOperatorFunction<PipelineBatch> {
  return toSinks([sink], o);
}
