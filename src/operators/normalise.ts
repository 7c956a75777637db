import type { OperatorFunction } from 'rxjs';
import type { StreamKey, Tick } from '../core/types.js';
import type { OperatorContext } from './context.js';
import { keyedOperator } from './keyed-operator.js';
import { NormaliseStage } from './normalise-stage.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { resolveOptions } from './resolved-options.js';
import { StageHost } from './stage-host.js';

/** A grid step after normalisation: z per field (0 where unknown), target per field (NaN unless observed). */
export interface NormalisedTick {
  readonly key: StreamKey;
  readonly t: number;
  readonly z: Float64Array;
  readonly target: Float64Array;
  readonly imputed: Uint8Array;
  readonly broken: boolean;
}

export function normalise(
  options: PipelineDataOptions | PipelineDataOptionsInput,
  ctx: OperatorContext,
): OperatorFunction<Tick, NormalisedTick> {
  const o = resolveOptions(options);
  return keyedOperator<Tick, NormalisedTick>(ctx, null, () => {
    const stage = new NormaliseStage(o);
    const host = new StageHost([stage]);
    return {
      next(tick, emit) {
        const z = new Float64Array(o.fieldCount);
        const target = new Float64Array(o.fieldCount);
        stage.apply(host.slotFor(tick.key), tick.values, tick.imputed, tick.broken, z, target);
        emit({ key: tick.key, t: tick.t, z, target, imputed: tick.imputed, broken: tick.broken });
      },
      complete() {},
    };
  });
}
