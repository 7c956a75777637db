import type { OperatorFunction } from 'rxjs';
import type { Observation } from '../core/types.js';
import type { OperatorContext } from './context.js';
import { keyedOperator } from './keyed-operator.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { ORDER_DUPLICATE_DROPPED, ORDER_DUPLICATE_RELEASED, ORDER_DUPLICATE_REPLACED, ORDER_LATE, OrderStage } from './order-stage.js';
import { resolveOptions } from './resolved-options.js';
import { StageHost } from './stage-host.js';

// Observations out in event-time order per stream, once the stream's watermark (newest event time
// minus max_delay_ms) passes them. Late records within allowed_lateness_ms pass on (the resampler
// decides whether their step is still open); later ones and duplicates are dead-lettered.

export function orderByEventTime(
  options: PipelineDataOptions | PipelineDataOptionsInput,
  ctx: OperatorContext,
): OperatorFunction<Observation, Observation> {
  const o = resolveOptions(options);
  return keyedOperator<Observation, Observation>(ctx, o.source.ordering.idle_flush_ms, () => {
    // The stage keeps times and values; the original objects (with their origin) wait here.
    const held = new Map<string, Observation>();
    const id = (key: string, t: number): string => `${key}\u0000${t}`;
    let out: (x: Observation) => void = () => {};
    const stage = new OrderStage(o, (slot, t) => {
      const k = id(host.keyOf(slot), t);
      const obs = held.get(k) as Observation;
      held.delete(k);
      out(obs);
    });
    const host = new StageHost([stage]);
    const vals = new Float64Array(o.fieldCount);
    const reject = (obs: Observation, code: 'duplicate' | 'late_record', detail: string): void => {
      ctx.metrics.error(code, 'order', 1);
      ctx.deadLetter({ record: obs, code, detail, origin: obs.origin });
    };
    return {
      next(obs, emit) {
        ctx.metrics.received(1);
        out = emit;
        const slot = host.slotFor(obs.key);
        const k = id(obs.key, obs.eventTime);
        const before = held.get(k);
        held.set(k, obs);
        const r = stage.push(slot, obs.eventTime, vals);
        if (r === ORDER_DUPLICATE_REPLACED) ctx.metrics.count('duplicates_replaced', 1);
        if (r === ORDER_DUPLICATE_DROPPED) {
          held.set(k, before as Observation);
          reject(obs, 'duplicate', `duplicate of a held record at ${obs.eventTime}`);
        } else if (r === ORDER_DUPLICATE_RELEASED || r === ORDER_LATE) {
          held.delete(k);
          const wm = stage.watermark(slot);
          if (r === ORDER_LATE && obs.eventTime >= wm - o.allowedLatenessMs) emit(obs);
          else reject(obs, r === ORDER_LATE ? 'late_record' : 'duplicate', `event time ${obs.eventTime}, watermark ${wm}`);
        }
      },
      tick(now, emit) {
        out = emit;
        for (const slot of host.allSlots()) stage.drain(slot, now - o.maxDelayMs);
      },
      complete(emit) {
        out = emit;
        for (const slot of host.allSlots()) stage.drain(slot, Infinity);
      },
    };
  });
}
