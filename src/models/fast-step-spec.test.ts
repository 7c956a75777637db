import { describe, expect, it } from 'vitest';
import { createFastStepper } from './kernels/step-wasm.js';
import { BatchedStepper } from './batched-stepper.js';
import { fastStepSpec } from './fast-step-spec.js';
import { StateArena } from './state-arena.js';
import { maxScaledDiff, randomArray, randomModel } from './testing/random-model.js';

// The fused stepper (kernels/) fed by fastStepSpec agrees with BatchedStepper on the same arena layout.

describe('fastStepSpec', () => {
  it.each([
    { kind: 'lstm' as const },
    { kind: 'gru' as const, resetAfter: true },
    { kind: 'gru' as const, resetAfter: false },
    { kind: 'rnn' as const },
    { kind: 'lstm-peephole' as const },
  ])('$kind (resetAfter $resetAfter): 30 steps of 5 streams agree within 1e-5', (variant) => {
    const model = randomModel({ ...variant, inputSize: 3, units: 6, layers: 2, horizon: 2, outputSize: 1, seed: 21 });
    const B = 5,
      T = 30;
    const arenaA = new StateArena(model.stateSize, 8);
    const arenaB = new StateArena(model.stateSize, 8);
    const slots = Int32Array.from(
      [4, 1, 3, 0, 2].map((i) => {
        arenaA.slotOf(`s${i}`);
        return arenaB.slotOf(`s${i}`);
      }),
    );
    const ours = new BatchedStepper(model, arenaA, B);
    const fused = createFastStepper(fastStepSpec(model), B);
    expect(fused.stateSize).toBe(model.stateSize);
    const outA = new Float32Array(B * model.outputWidth),
      outB = new Float32Array(B * model.outputWidth);
    const x = randomArray(T * B * 3, 4);
    let worst = 0;
    for (let t = 0; t < T; t++) {
      const xt = x.subarray(t * B * 3, (t + 1) * B * 3);
      ours.step(slots, B, xt, outA);
      fused.step(slots, B, xt, arenaB.data, outB);
      worst = Math.max(worst, maxScaledDiff(outB, outA));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(maxScaledDiff(arenaB.data, arenaA.data)).toBeLessThan(1e-5);
  });
});
