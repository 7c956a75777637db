import type { StepTap } from '../runtime/pipeline-engine.js';
import type { TickBuffer } from '../runtime/tick-buffer.js';
import type { Retrainer } from './retrainer.js';

// Feeds the engine's stepped rows to the retrainer: inputs, value, normaliser and the one-step
// forecast (output column 0: the normalised change expected at the next step).

export function engineTap(retrainer: Retrainer, inputSize: number): StepTap {
  return {
    step(key: string, ticks: TickBuffer, i: number, y: Float32Array, yOff: number): void {
      retrainer.observe(key, ticks.t[i], ticks.x, i * inputSize, ticks.value[i], ticks.mean[i], ticks.std[i], ticks.imputed[i] === 1, ticks.reset[i] === 1, y[yOff]);
    },
  };
}
