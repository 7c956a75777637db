import type { OperatorFunction } from 'rxjs';
import type { OperatorContext } from './context.js';
import { featureSchema } from './feature-schema.js';
import { FeatureStage } from './feature-stage.js';
import type { FeatureStep } from './feature-step.js';
import { keyedOperator } from './keyed-operator.js';
import type { NormalisedTick } from './normalise.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from './options.js';
import { resolveOptions } from './resolved-options.js';
import { StageHost } from './stage-host.js';

// Normalised grid steps -> feature vectors (FeatureSchema order).

export function engineerFeatures(
  options: PipelineDataOptions | PipelineDataOptionsInput,
  ctx: OperatorContext,
): OperatorFunction<NormalisedTick, FeatureStep> {
  const o = resolveOptions(options);
  const width = featureSchema(o).names.length;
  return keyedOperator<NormalisedTick, FeatureStep>(ctx, null, () => {
    const stage = new FeatureStage(o, width);
    const host = new StageHost([stage]);
    const x64 = new Float64Array(width);
    return {
      next(n, emit) {
        stage.step(host.slotFor(n.key), n.t, n.z, n.imputed, n.broken, x64);
        const target = Float64Array.from(o.targets, (i) => n.target[i]);
        emit({ key: n.key, t: n.t, x: Float32Array.from(x64), target, imputed: n.imputed, broken: n.broken });
        ctx.metrics.sent(1);
      },
      complete() {},
    };
  });
}
