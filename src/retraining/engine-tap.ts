import type { StepTap } from '../engine/pipeline-engine.js';
import type { TickBuffer } from '../engine/tick-buffer.js';
import type { Retrainer } from './retrainer.js';

// Feeds the engine's stepped rows to the retrainer: inputs, value, normaliser and the one-step
// forecast (output column 0: the normalised change expected at the next step).

export function engineTap(retrainer: Retrainer, inputSize: number): StepTap {
  return {
    step(key: string, ticks: TickBuffer, i: number, y: Float32Array, yOff: number): void {
      // The engine's model forecasts changes of the field's level (value, or log under a transform)
      // in units of the normaliser's scale: the buffer gets that level and normaliser.
      retrainer.observe(
        key,
        ticks.t[i],
        ticks.x,
        i * inputSize,
        ticks.level[i],
        ticks.centre[i],
        ticks.scale[i],
        ticks.imputed[i] === 1,
        ticks.reset[i] === 1,
        y[yOff],
      );
    },
    stepsToEvent: () => retrainer.stepsToEvent(),
    afterSteps: () => retrainer.afterSteps(),
  };
}
