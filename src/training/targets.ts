import type { SequenceBatch } from './tbptt.js';

// Turns per-stream series into training data for horizons 1..H: the input at step t is the row of
// features at t, the targets are the chosen features at t+1..t+H (NaN past the end of the data).

/** values: steps × batch × features, time-major. */
export function seriesToBatch(
  values: Float32Array,
  steps: number,
  batch: number,
  features: number,
  horizon: number,
  targetFeatures: readonly number[],
): SequenceBatch {
  if (values.length < steps * batch * features)
    throw new RangeError(`values hold ${values.length} floats, need ${steps * batch * features}`);
  for (const f of targetFeatures) if (!(f >= 0 && f < features)) throw new RangeError(`target feature ${f} is not in 0..${features - 1}`);
  const O = targetFeatures.length;
  const targets = new Float32Array(steps * batch * horizon * O);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < horizon; h++) {
        const src = t + 1 + h;
        for (let o = 0; o < O; o++) {
          targets[((t * batch + b) * horizon + h) * O + o] = src < steps ? values[(src * batch + b) * features + targetFeatures[o]] : NaN;
        }
      }
    }
  }
  return { steps, batch, inputs: values.slice(0, steps * batch * features), targets };
}
