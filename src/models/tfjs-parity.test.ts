import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SequenceRunner } from '../training/sequence.js';
import { BatchedStepper } from './batched-stepper.js';
import type { ModelConfig } from './stacked-model.js';
import { StateArena } from './state-arena.js';
import { tfjsForward } from './testing/tfjs-mirror.js';
import { maxScaledDiff, randomArray, randomModel } from './testing/random-model.js';

// Reference values come from @tensorflow/tfjs layers (cpu backend) holding the same weights;
// the reset-after GRU from tfjs ops written after Keras's GRUCell (tfjs has no such layer).

const T = 100;
const B = 3;
// Absolute below magnitude 1, relative above (relu states grow past 1).
const TOL = 1e-5;

const cases: { name: string; config: Omit<ModelConfig, 'layers' | 'seed'> }[] = [
  { name: 'SimpleRNN tanh', config: { kind: 'rnn', inputSize: 3, units: 6, horizon: 2, outputSize: 1 } },
  { name: 'SimpleRNN relu', config: { kind: 'rnn', inputSize: 3, units: 5, horizon: 1, outputSize: 2, activation: 'relu' } },
  { name: 'LSTM', config: { kind: 'lstm', inputSize: 3, units: 6, horizon: 2, outputSize: 1 } },
  {
    name: 'LSTM hard_sigmoid',
    config: { kind: 'lstm', inputSize: 2, units: 4, horizon: 1, outputSize: 1, recurrentActivation: 'hard_sigmoid' },
  },
  { name: 'GRU reset_before', config: { kind: 'gru', inputSize: 3, units: 6, horizon: 2, outputSize: 1, resetAfter: false } },
  { name: 'GRU reset_after', config: { kind: 'gru', inputSize: 3, units: 6, horizon: 2, outputSize: 1, resetAfter: true } },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(cases)('$name matches tfjs', ({ config }) => {
  it.each([1, 2, 3])('with %i layer(s): sequence outputs, head and final states', (layers) => {
    const model = randomModel({ ...config, layers, seed: 7 * layers });
    const x = randomArray(T * B * config.inputSize, 11 * layers);
    const initial = randomArray(B * model.stateSize, 13 * layers, 0.5);
    const ref = tfjsForward(model, x, T, B, initial);

    const runner = new SequenceRunner(model, T, B);
    runner.setInitialState(initial, B);
    const out = runner.forward(T, B, x, 0, false);
    const finalState = new Float32Array(B * model.stateSize);
    runner.getState(T, finalState);
    expect(maxScaledDiff(out.subarray(0, T * B * model.outputWidth), ref.head)).toBeLessThan(TOL);
    expect(maxScaledDiff(finalState, ref.finalState)).toBeLessThan(TOL);
  });

  it('stateful: one step at a time through the arena equals the whole sequence', () => {
    const model = randomModel({ ...config, layers: 2, seed: 5 });
    const x = randomArray(T * B * config.inputSize, 17);
    const ref = tfjsForward(model, x, T, B, null);
    const arena = new StateArena(model.stateSize, 2);
    // Slots in a scrambled order, and an extra stream that is not stepped, to exercise gather/scatter.
    arena.slotOf('idle');
    const keys = ['c', 'a', 'b'];
    const slots = Int32Array.from(keys.map((k) => arena.slotOf(k)));
    const stepper = new BatchedStepper(model, arena, 2); // smaller than B: exercises chunking
    const out = new Float32Array(B * model.outputWidth);
    const w = model.outputWidth;
    let worst = 0;
    for (let t = 0; t < T; t++) {
      stepper.step(slots, B, x.subarray(t * B * config.inputSize, (t + 1) * B * config.inputSize), out);
      worst = Math.max(worst, maxScaledDiff(out, ref.head.subarray(t * B * w, (t + 1) * B * w)));
    }
    expect(worst).toBeLessThan(TOL);
    const rows = new Float32Array(B * model.stateSize);
    arena.gather(slots, B, rows);
    expect(maxScaledDiff(rows, ref.finalState)).toBeLessThan(TOL);
    expect(Array.from(arena.data.subarray(arena.peek('idle') * model.stateSize, (arena.peek('idle') + 1) * model.stateSize))).toEqual(
      new Array(model.stateSize).fill(0),
    );
  });

  it('state carried across calls (50 + 50 steps) equals one 100-step call', () => {
    const model = randomModel({ ...config, layers: 2, seed: 9 });
    const x = randomArray(T * B * config.inputSize, 19);
    const half = (T / 2) * B * config.inputSize;
    const first = tfjsForward(model, x.subarray(0, half), T / 2, B, null);
    const second = tfjsForward(model, x.subarray(half), T / 2, B, first.finalState);
    const whole = tfjsForward(model, x, T, B, null);
    expect(maxScaledDiff(second.finalState, whole.finalState)).toBeLessThan(TOL);
    const runner = new SequenceRunner(model, T / 2, B);
    runner.resetInitialState(B);
    runner.forward(T / 2, B, x, 0, false);
    const carried = new Float32Array(B * model.stateSize);
    runner.getState(T / 2, carried);
    runner.setInitialState(carried, B);
    const out = runner.forward(T / 2, B, x, half, false);
    expect(maxScaledDiff(out.subarray(0, (T / 2) * B * model.outputWidth), second.head)).toBeLessThan(TOL);
  });
});
