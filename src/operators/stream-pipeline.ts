import type { OperatorFunction } from 'rxjs';
import type { Observation, RawRecord } from '../core/types.js';
import type { OperatorContext } from './context.js';
import { cloneStep, type FeatureStep } from './feature-step.js';
import { keyedOperator } from './keyed-operator.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { contextSink, RecordParser } from './parse.js';
import { resolveOptions } from './resolved-options.js';
import { StreamProcessor } from './stream-processor.js';

// The whole data pipeline as one operator: raw records or observations in, feature steps out, on
// the fused StreamProcessor (one arena, no per-stage objects). Pass your own processor to keep a
// handle for checkpoints (snapshot/restore) and for denormalising forecasts. With
// ordering.idle_flush_ms set, a timer on ctx.clock advances every stream's watermark to
// now - max_delay_ms, so steps of streams that went quiet still come out.

const REPORT_EVERY = 1024;

export function streamPipeline(
  options: PipelineDataOptions | PipelineDataOptionsInput,
  ctx: OperatorContext,
  processor?: StreamProcessor,
): OperatorFunction<RawRecord | Observation, FeatureStep> {
  const o = processor?.options ?? resolveOptions(options);
  return keyedOperator<RawRecord | Observation, FeatureStep>(ctx, o.source.ordering.idle_flush_ms, () => {
    const p = processor ?? new StreamProcessor(o, ctx);
    const parser = new RecordParser(o.source);
    let emitOut: (s: FeatureStep) => void = () => {};
    const emit = (s: FeatureStep): void => emitOut(cloneStep(s));
    const sink = contextSink(ctx, (obs) => p.push(obs, emit));
    let seen = 0;
    return {
      next(item, out) {
        emitOut = out;
        if ('payload' in item) parser.parse(item, sink);
        else p.push(item, emit);
        if (++seen % REPORT_EVERY === 0) p.reportMetrics();
      },
      tick(now, out) {
        emitOut = out;
        p.advanceWatermark(now - o.maxDelayMs, emit);
        p.reportMetrics();
      },
      complete(out) {
        emitOut = out;
        p.flush(emit);
        p.reportMetrics();
      },
    };
  });
}
