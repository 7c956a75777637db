import type { SequenceBatch } from './tbptt.js';
import { Prng } from './prng.js';

// Synthetic tasks for the learning tests, time-major (steps × batch × features).

/**
 * Windows of sin(x0 + t·dx) at random phases; the target is the next clean sample. NaN targets
 * before `burnIn`. Optional input noise teaches the model to pull back towards the orbit, which
 * keeps autoregressive generation stable.
 */
export function sineWindows(seed: number, batch: number, steps: number, dx: number, burnIn: number, noise = 0): SequenceBatch {
  const rng = new Prng(seed);
  const inputs = new Float32Array(steps * batch);
  const targets = new Float32Array(steps * batch);
  for (let b = 0; b < batch; b++) {
    const x0 = rng.uniform(0, 100);
    for (let t = 0; t < steps; t++) {
      inputs[t * batch + b] = Math.sin(x0 + t * dx) + (noise > 0 ? noise * rng.normal() : 0);
      targets[t * batch + b] = t < burnIn ? NaN : Math.sin(x0 + (t + 1) * dx);
    }
  }
  return { steps, batch, inputs, targets };
}

/**
 * Remember the first value: input [value, marker]; at t = 0 the value v ~ U(-1, 1) with marker 1,
 * afterwards distractor noise U(-1, 1) with marker 0. The target at every step (or only the last,
 * with lastOnly) is v.
 */
export function rememberFirst(seed: number, batch: number, steps: number, lastOnly: boolean): SequenceBatch {
  const rng = new Prng(seed);
  const inputs = new Float32Array(steps * batch * 2);
  const targets = new Float32Array(steps * batch).fill(NaN);
  for (let b = 0; b < batch; b++) {
    const v = rng.uniform(-1, 1);
    inputs[2 * b] = v;
    inputs[2 * b + 1] = 1;
    for (let t = 1; t < steps; t++) inputs[(t * batch + b) * 2] = rng.uniform(-1, 1);
    for (let t = lastOnly ? steps - 1 : 0; t < steps; t++) targets[t * batch + b] = v;
  }
  return { steps, batch, inputs, targets };
}
