import { map, Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { PipelineEngine } from '../engine/pipeline-engine.js';
import type { BatchOutputs } from '../core/ports.js';
import { pipelineBatch, type PipelineBatch } from './pipeline-batch.js';

// The engine's stages as operators over batches, each a loop over the batch inside one call of the
// engine's batch methods (engine.ingest = intake + features + forecast + alertOn):
//   intake(engine)            the source's dead letters (bad lines, unparsable values) to the engine
//   features(engine)          order by event time -> resample -> impute -> normalise -> features, fused
//                             in one typed-array arena per stream (src/operators' StreamProcessor)
//   forecast(engine, outputs) batched model step -> denormalised forecasts; each step recorded for
//                             alertOn (alert-on.ts, right after); the batch takes its outputs
//   endOfData(engine, outputs) when the source completes: closes every stream's open step (one more
//                             batch, before alertOn)
//   closeSteps(engine, outputs) the same for a batch in hand (the daemon, once every source ended)
//   idleFlush(engine, outputs, watermark) live: closes the steps the wall-clock watermark has passed

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
    engine.forecastSteps();
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
          sub.next(closed(engine, outputs, pipelineBatch(name, { observations: [], deadLetters: [] })));
          sub.complete();
        },
      }),
    );
}

/** Closes and forecasts every stream's open step for the batch (no later record can complete them). */
export function closeSteps(engine: PipelineEngine, outputs: PendingOutputs): MonoTypeOperatorFunction<PipelineBatch> {
  return map((b) => closed(engine, outputs, b));
}

function closed(engine: PipelineEngine, outputs: PendingOutputs, b: PipelineBatch): PipelineBatch {
  engine.closeSteps();
  b.outputs = outputs.take();
  b.endOfData = true;
  return b;
}

/**
 * Live idle flush (ordering.idle_flush_ms): releases held records and closes the steps the
 * watermark (read per batch, e.g. now - max_delay_ms) has passed, so a stream that went quiet
 * still gets its last steps; the batch takes their outputs.
 */
export function idleFlush(
  engine: PipelineEngine,
  outputs: PendingOutputs,
  watermark: () => number,
): MonoTypeOperatorFunction<PipelineBatch> {
  return map((b) => {
    engine.releaseSteps(watermark());
    b.outputs = outputs.take();
    return b;
  });
}
