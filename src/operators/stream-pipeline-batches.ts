import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { Observation, RawRecord } from '../core/types.js';
import type { OperatorContext } from './context.js';
import { FeatureBatcher, type FeatureBatch } from './feature-batch.js';
import type { FeatureStep } from './feature-step.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { contextSink, RecordParser } from './parse.js';
import { resolveOptions } from './resolved-options.js';
import { StreamProcessor } from './stream-processor.js';

// streamPipeline fused with micro-batching: records in, packed batches for the model out, with no
// object per step. A batch leaves when it holds batching.max_batch steps, when a stream already in
// it has another step ready, batching.max_wait_ms (ctx.clock) after its first step, on the idle
// flush tick, or at completion.

export function streamPipelineBatches(
  options: PipelineDataOptions | PipelineDataOptionsInput,
  ctx: OperatorContext,
  processor?: StreamProcessor,
): OperatorFunction<RawRecord | Observation, FeatureBatch> {
  const o = processor?.options ?? resolveOptions(options);
  return (source) =>
    new Observable<FeatureBatch>((sub) => {
      const p = processor ?? new StreamProcessor(o, ctx);
      const { max_batch, max_wait_ms } = o.source.batching;
      const batcher = new FeatureBatcher(max_batch, p.schema.names.length, o.targets.length, o.fieldCount);
      const parser = new RecordParser(o.source);
      let wait: Subscription | undefined;
      const flush = (): void => {
        wait?.unsubscribe();
        wait = undefined;
        const b = batcher.take();
        if (b !== null) sub.next(b);
      };
      const emit = (s: FeatureStep): void => {
        if (batcher.has(s.key)) flush();
        batcher.add(s);
        if (batcher.size >= max_batch) flush();
        else if (batcher.size === 1) wait = ctx.clock.scheduler.schedule(flush, max_wait_ms);
      };
      const sink = contextSink(ctx, (obs) => p.push(obs, emit));
      const idle = o.source.ordering.idle_flush_ms;
      const ticker =
        idle === null
          ? undefined
          : ctx.clock.scheduler.schedule(function () {
              p.advanceWatermark(ctx.clock.now() - o.maxDelayMs, emit);
              p.reportMetrics();
              this.schedule(undefined, idle);
            }, idle);
      let seen = 0;
      const inner = source.subscribe({
        next: (item) => {
          if ('payload' in item) parser.parse(item, sink);
          else p.push(item, emit);
          if (++seen % 1024 === 0) p.reportMetrics();
        },
        error: (e: unknown) => sub.error(e),
        complete: () => {
          p.flush(emit);
          p.reportMetrics();
          flush();
          sub.complete();
        },
      });
      return () => {
        wait?.unsubscribe();
        ticker?.unsubscribe();
        inner.unsubscribe();
      };
    });
}
