import { map, Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { BatchOutputs } from '../core/ports.js';
import { pipelineBatch, type PipelineBatch } from './pipeline-batch.js';

// The engine's stages as operators over batches, each a loop over the batch inside one call of the
// engine's batch methods (ingest = intake + features + forecast, as `tidecast replay` runs it):
//   intake(engine)            the source's dead letters (bad lines, unparsable values) to the engine
//   features(engine)          order by event time -> resample -> impute -> normalise -> features, fused
//                             in one typed-array arena per stream (src/operators' StreamProcessor)
//   forecast(engine, outputs) batched model step -> denormalised forecasts -> alert rules (the alert
//                             engine scores each step as it is forecast); the batch takes its outputs
//   endOfData(engine, outputs) when the source completes: closes every stream's open step
// Alerting runs inside forecast(): a step's score and the rules' state are read as the step is made.

export function intake(engine: PipelineEngine): MonoTypeOperatorFunction<PipelineBatch> {
  return map((b) => {
    for (const d of b.input.deadLetters) engine.deadLetter(d);
    return b;
  });
}

export function features(engine: PipelineEngine): MonoTypeOperatorFunction<PipelineBatch> {
  return map((b) => {
    engine.shape(b.input.observations);
    return b;
  });
}

/** Where the engine's listener gathers outputs (an OutputBuffer, or the daemon's runtime). */
export interface PendingOutputs {
  take(): BatchOutputs;
}

export function forecast(engine: PipelineEngine, outputs: PendingOutputs): MonoTypeOperatorFunction<PipelineBatch> {
  return map((b) => {
    engine.step();
    b.outputs = outputs.take();
    return b;
  });
}

/**
 * When the source ends by itself, every stream's open step is closed and forecast (no later record
 * can complete it); its outputs leave as one more batch named `${source}:end`. Not on unsubscribe.
 */
export function endOfData(engine: PipelineEngine, outputs: PendingOutputs, name = 'end'): MonoTypeOperatorFunction<PipelineBatch> {
  return (source) =>
    new Observable<PipelineBatch>((sub) =>
      source.subscribe({
        next: (b) => sub.next(b),
        error: (e: unknown) => sub.error(e),
        complete: () => {
          engine.flush();
          const last = pipelineBatch(name, { observations: [], deadLetters: [] });
          last.outputs = outputs.take();
          sub.next(last);
          sub.complete();
        },
      }),
    );
}
