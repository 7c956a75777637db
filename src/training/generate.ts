import { BatchedStepper } from '../models/batched-stepper.js';
import type { StackedModel } from '../models/stacked-model.js';
import { StateArena } from '../models/state-arena.js';

// Autoregressive generation: run the seed window through the model, then feed each step's
// forecast back as the next input.

export interface GenerateOptions {
  /**
   * Builds the next input from one output row (horizon × outputSize × [mean, log-variance]).
   * Default: the horizon-1 means, which needs outputSize === inputSize.
   */
  readonly nextInput?: (output: Float32Array, input: Float32Array) => void;
}

/** seed: seedSteps × inputSize. Returns steps × outputSize horizon-1 means, for the steps after the seed. */
export function generate(
  model: StackedModel,
  seed: Float32Array,
  seedSteps: number,
  steps: number,
  options: GenerateOptions = {},
): Float32Array {
  const inSize = model.config.inputSize;
  const outSize = model.config.outputSize;
  const nextInput = options.nextInput ?? defaultNextInput(inSize, outSize);
  const arena = new StateArena(model.stateSize, 1);
  const stepper = new BatchedStepper(model, arena, 1);
  const slots = Int32Array.of(arena.slotOf('generate'));
  const input = new Float32Array(inSize);
  const out = new Float32Array(model.outputWidth);
  for (let t = 0; t < seedSteps; t++) {
    input.set(seed.subarray(t * inSize, (t + 1) * inSize));
    stepper.step(slots, 1, input, out);
  }
  const result = new Float32Array(steps * outSize);
  for (let i = 0; i < steps; i++) {
    for (let o = 0; o < outSize; o++) result[i * outSize + o] = out[2 * o];
    if (i === steps - 1) break;
    nextInput(out, input);
    stepper.step(slots, 1, input, out);
  }
  return result;
}

function defaultNextInput(inSize: number, outSize: number): (output: Float32Array, input: Float32Array) => void {
  if (inSize !== outSize) {
    throw new RangeError(
      `generate feeds forecasts back as inputs: outputSize ${outSize} must equal inputSize ${inSize}, or pass nextInput`,
    );
  }
  return (output, input) => {
    for (let o = 0; o < outSize; o++) input[o] = output[2 * o];
  };
}
