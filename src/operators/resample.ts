import type { OperatorFunction } from 'rxjs';
import type { Observation, Tick } from '../core/types.js';
import type { OperatorContext } from './context.js';
import { keyedOperator } from './keyed-operator.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { ResampleStage } from './resample-stage.js';
import { resolveOptions } from './resolved-options.js';
import { StageHost } from './stage-host.js';

// Ordered observations -> one tick per step that had records (aggregated per field; NaN for fields
// without a record; gaps are left to `impute`). A record whose step was already emitted is late.

export function resample(
  options: PipelineDataOptions | PipelineDataOptionsInput,
  ctx: OperatorContext,
): OperatorFunction<Observation, Tick> {
  const o = resolveOptions(options);
  return keyedOperator<Observation, Tick>(ctx, o.source.ordering.idle_flush_ms, () => {
    let out: (x: Tick) => void = () => {};
    const stage = new ResampleStage(o, (slot, t, v) => {
      out({ key: host.keyOf(slot), t, values: v.slice(), imputed: new Uint8Array(o.fieldCount), broken: false });
      ctx.metrics.sent(1);
    });
    const host = new StageHost([stage]);
    const vals = new Float64Array(o.fieldCount);
    return {
      next(obs, emit) {
        ctx.metrics.received(1);
        out = emit;
        o.fieldNames.forEach((n, i) => {
          vals[i] = obs.fields[n] ?? NaN;
        });
        if (!stage.add(host.slotFor(obs.key), obs.eventTime, vals, 0)) {
          ctx.metrics.error('late_record', 'resample', 1);
          ctx.deadLetter({
            record: obs,
            code: 'late_record',
            detail: `step ${stage.stepOf(obs.eventTime)} was already emitted`,
            origin: obs.origin,
          });
        }
      },
      tick(now, emit) {
        out = emit;
        for (const slot of host.allSlots()) stage.closeBefore(slot, now - o.maxDelayMs - o.allowedLatenessMs);
      },
      complete(emit) {
        out = emit;
        for (const slot of host.allSlots()) stage.closeBefore(slot, Infinity);
      },
    };
  });
}
