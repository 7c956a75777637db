import { Observable } from 'rxjs';
import type { IngestBatch, RuntimeSource } from '../core/ports.js';
import type { Observation } from '../core/types.js';
import { pipelineBatch, type PipelineBatch } from './pipeline-batch.js';

// Sources as Observables of batches, pulled on demand: the next batch is read from the source only
// after the previous one was released (commit() releases it once its outputs are durable and the
// source acknowledged), so a busy pipeline pauses its source instead of buffering batches. A source
// that keeps its acknowledgements consistent by itself (RuntimeSource.inFlight: Kafka) lets a few
// batches be pulled and stepped while earlier ones are still being written and acknowledged. The
// source ends at end of input, on abort, or when the subscriber unsubscribes (its iterator is
// returned, which closes a file or leaves a consumer group as a for-await loop would).

export interface FromSourceOptions {
  readonly signal: AbortSignal;
  /** Resume position (a checkpoint's); the source reads from its start when undefined. */
  readonly from?: number;
}

export function fromSource(source: RuntimeSource, o: FromSourceOptions): Observable<PipelineBatch> {
  return fromBatches(source.name, source.batches(o.signal, o.from), o.signal, source.inFlight);
}

/**
 * Any async iterable of batches, pulled as fromSource pulls a source's: the next batch once fewer
 * than `inFlight` (default 1) are unreleased.
 */
export function fromBatches(
  name: string,
  batches: AsyncIterable<IngestBatch>,
  signal?: AbortSignal,
  inFlight = 1,
): Observable<PipelineBatch> {
  return new Observable<PipelineBatch>((sub) => {
    let closed = false;
    let wake: (() => void) | undefined;
    let unreleased = 0;
    const it = batches[Symbol.asyncIterator]();
    const pull = async (): Promise<void> => {
      let done = false;
      try {
        while (!closed && signal?.aborted !== true) {
          const r = await it.next();
          if (r.done === true) {
            done = true;
            break;
          }
          if (closed) break;
          let released = false;
          unreleased++;
          sub.next(
            pipelineBatch(name, r.value, () => {
              if (released) return;
              released = true;
              unreleased--;
              wake?.();
            }),
          );
          while (unreleased >= inFlight && !closed) await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        if (!done) await it.return?.();
      }
      sub.complete();
    };
    pull().catch((err: unknown) => sub.error(err));
    return () => {
      closed = true;
      wake?.();
    };
  });
}

/** Observations in memory as batches of `size` (the library's way to feed records it already holds). */
export function fromObservations(name: string, observations: readonly Observation[], size = 1000): Observable<PipelineBatch> {
  async function* chunks(): AsyncGenerator<IngestBatch> {
    for (let i = 0; i < observations.length; i += size) {
      yield { observations: observations.slice(i, i + size), deadLetters: [], position: Math.min(i + size, observations.length) };
    }
  }
  return fromBatches(name, chunks());
}
