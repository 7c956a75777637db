import type { OperatorFunction } from 'rxjs';
import type { Tick } from '../core/types.js';
import type { OperatorContext } from './context.js';
import { ImputeStage } from './impute-stage.js';
import { keyedOperator } from './keyed-operator.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { resolveOptions } from './resolved-options.js';
import { StageHost } from './stage-host.js';

// Ticks of observed steps -> a gapless grid: missing steps filled and flagged in `imputed`, or the
// step after a gap longer than max_gap_steps marked `broken`. Counts imputed steps and broken gaps.

export function impute(options: PipelineDataOptions | PipelineDataOptionsInput, ctx: OperatorContext): OperatorFunction<Tick, Tick> {
  const o = resolveOptions(options);
  return keyedOperator<Tick, Tick>(ctx, null, () => {
    let out: (x: Tick) => void = () => {};
    const stage = new ImputeStage(o, (slot, t, v, m, broken) => {
      out({ key: host.keyOf(slot), t, values: v.slice(), imputed: m.slice(), broken });
    });
    const host = new StageHost([stage]);
    const report = (): void => {
      ctx.metrics.count('imputed_steps', stage.imputedSteps);
      ctx.metrics.count('broken_gaps', stage.brokenGaps);
      ctx.metrics.count('broken_gap_steps', stage.brokenSteps);
      stage.imputedSteps = stage.brokenGaps = stage.brokenSteps = 0;
    };
    return {
      next(tick, emit) {
        out = emit;
        stage.push(host.slotFor(tick.key), tick.t, tick.values);
        report();
      },
      complete() {},
    };
  });
}
