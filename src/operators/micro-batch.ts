import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { Clock } from '../core/clock.js';
import type { FeatureStep } from './feature-step.js';

// Gathers ready steps into batches for the model's batched step: a batch goes out when it holds
// max_batch items, max_wait_ms after its first item (on the injected clock), or at completion.
// With `keyOf`, a stream appears at most once per batch: its second step depends on the state its
// first one produces, so it starts the next batch.

export interface MicroBatchConfig {
  readonly max_batch: number;
  readonly max_wait_ms: number;
}

export function microBatch<T>(options: MicroBatchConfig, clock: Clock, keyOf?: (item: T) => string): OperatorFunction<T, T[]> {
  const max = Math.max(1, options.max_batch);
  return (source) =>
    new Observable<T[]>((sub) => {
      let batch: T[] = [];
      const keys = new Set<string>();
      let timer: Subscription | undefined;
      const flush = (): void => {
        timer?.unsubscribe();
        timer = undefined;
        if (batch.length === 0) return;
        const out = batch;
        batch = [];
        keys.clear();
        sub.next(out);
      };
      const inner = source.subscribe({
        next: (item) => {
          if (keyOf) {
            const k = keyOf(item);
            if (keys.has(k)) flush();
            keys.add(k);
          }
          batch.push(item);
          if (batch.length >= max) flush();
          else if (batch.length === 1) timer = clock.scheduler.schedule(flush, options.max_wait_ms);
        },
        error: (e: unknown) => sub.error(e),
        complete: () => {
          flush();
          sub.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        inner.unsubscribe();
      };
    });
}

/** Feature vectors of a batch packed row-major [batch × width] for the model (reuses `into` if big enough). */
export function packFeatures(steps: readonly FeatureStep[], width: number, into?: Float32Array): Float32Array {
  const out = into !== undefined && into.length >= steps.length * width ? into : new Float32Array(steps.length * width);
  for (let i = 0; i < steps.length; i++) out.set(steps[i].x, i * width);
  return out;
}
