import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { Observation } from '../core/types.js';
import type { EmitFn, StreamProcessor } from './stream-processor.js';

// The fused stream pipeline (order -> resample -> impute -> normalise -> features) as an operator
// over batches: one loop over the batch's observations per call, the closed steps to `onStep` as the
// processor's reused view (copy with cloneStep to keep one), the batch passed on when done. The
// engine's features() operator is this over the engine's own processor.

export function shapeBatches<B extends { readonly observations: readonly Observation[] }>(
  processor: StreamProcessor,
  onStep: EmitFn,
): MonoTypeOperatorFunction<B> {
  return map((b) => {
    const obs = b.observations;
    for (let i = 0; i < obs.length; i++) processor.push(obs[i], onStep);
    processor.reportMetrics();
    return b;
  });
}
