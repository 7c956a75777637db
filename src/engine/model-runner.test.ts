import { describe, expect, it } from 'vitest';
import type { ModelSection } from '../config/sections.js';
import { BatchedStepper } from '../models/batched-stepper.js';
import { fastStepSpec } from '../models/fast-step-spec.js';
import { createPortableStepper } from '../models/kernels/step-portable.js';
import { nativeStep } from '../models/kernels/native-step.js';
import { StateArena } from '../models/state-arena.js';
import { firstBitDifference, randomFloats, seededRandom } from '../models/kernels/test-random.js';
import { ModelRunner } from './model-runner.js';

// The runner steps through the fused stepper (native when built): same bits as the portable fused
// stepper on the same weights, BatchedStepper's rejection of non-finite rows, chunking over maxBatch,
// and a rebuilt stepper after every weight change made through the runner.

const spec = (cell: ModelSection['cell']): ModelSection =>
  ({ cell, layers: 2, units: 12, horizon: 3, seed: 5, interval_z: 1.96 }) as ModelSection;

function randomiseHead(runner: ModelRunner, seed: number): void {
  const rand = seededRandom(seed);
  const k = runner.model.headKernel.data;
  for (let i = 0; i < k.length; i++) k[i] = (rand() * 2 - 1) * 0.5;
}

describe('ModelRunner', () => {
  for (const cell of ['lstm', 'gru', 'rnn', 'lstm-peephole'] as const) {
    it(`${cell}: steps equal the portable fused stepper bit for bit, with streams added and released`, () => {
      const runner = new ModelRunner(spec(cell), 4, 16);
      randomiseHead(runner, 1);
      expect(runner.engine).toBe(nativeStep() ? 'native' : 'wasm');
      const ref = createPortableStepper(fastStepSpec(runner.model), 64);
      const refArena = new StateArena(runner.model.stateSize, 64);
      const rand = seededRandom(2);
      const keys = Array.from({ length: 40 }, (_, i) => `s${i}`);
      const out = new Float32Array(40 * runner.outputWidth),
        refOut = out.slice();
      for (let t = 0; t < 12; t++) {
        if (t === 6)
          for (const k of keys.slice(0, 10)) {
            runner.arena.release(k);
            refArena.release(k);
          }
        const live = t >= 6 ? keys.slice(10).concat(['late1', 'late2']) : keys;
        const slots = Int32Array.from(live.map((k) => runner.slotOf(k)));
        expect(Array.from(slots)).toEqual(live.map((k) => refArena.slotOf(k)));
        const x = randomFloats(rand, live.length * 4, 2);
        runner.step(slots, live.length, x, out);
        ref.step(slots, live.length, x, refArena.data, refOut);
        expect(firstBitDifference(out, refOut), `out, step ${t}`).toBe(-1);
        expect(firstBitDifference(runner.arena.data, refArena.data), `states, step ${t}`).toBe(-1);
      }
    });
  }

  it('rejects rows with a non-finite input as BatchedStepper does: state kept, output NaN', () => {
    const runner = new ModelRunner(spec('lstm'), 3, 8);
    randomiseHead(runner, 3);
    const other = new StateArena(runner.model.stateSize, 64);
    const batched = new BatchedStepper(runner.model, other, 8);
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const slots = Int32Array.from(
      keys.map((k) => {
        other.slotOf(k);
        return runner.slotOf(k);
      }),
    );
    const rand = seededRandom(4);
    const out = new Float32Array(20 * runner.outputWidth),
      outB = out.slice();
    for (let t = 0; t < 3; t++) {
      const x = randomFloats(rand, 20 * 3, 2);
      x[5 * 3 + 1] = NaN;
      x[17 * 3] = Infinity;
      const before = runner.arena.data.slice();
      runner.step(slots, 20, x, out);
      batched.step(slots, 20, x, outB);
      const S = runner.model.stateSize;
      for (const r of [5, 17]) {
        expect(Array.from(runner.arena.data.subarray(slots[r] * S, (slots[r] + 1) * S))).toEqual(
          Array.from(before.subarray(slots[r] * S, (slots[r] + 1) * S)),
        );
        expect(out.subarray(r * runner.outputWidth, (r + 1) * runner.outputWidth).every(Number.isNaN)).toBe(true);
      }
      for (let i = 0; i < out.length; i++) {
        if (Number.isNaN(outB[i])) expect(out[i]).toBeNaN();
        else expect(Math.abs(out[i] - outB[i])).toBeLessThan(1e-5);
      }
    }
  });

  it('gives the same bits for one call over maxBatch as for calls within it', () => {
    const a = new ModelRunner(spec('gru'), 2, 7),
      b = new ModelRunner(spec('gru'), 2, 64);
    randomiseHead(a, 6);
    randomiseHead(b, 6);
    const slotsA = Int32Array.from({ length: 30 }, (_, i) => a.slotOf(`x${i}`));
    const slotsB = Int32Array.from({ length: 30 }, (_, i) => b.slotOf(`x${i}`));
    const x = randomFloats(seededRandom(7), 60, 1);
    const outA = new Float32Array(30 * a.outputWidth),
      outB = outA.slice();
    for (let t = 0; t < 3; t++) {
      a.step(slotsA, 30, x, outA);
      b.step(slotsB, 30, x, outB);
    }
    expect(firstBitDifference(outA, outB)).toBe(-1);
    expect(firstBitDifference(a.arena.data, b.arena.data)).toBe(-1);
  });

  it('hands the fused stepper at most maxBatch rows per call (batching.max_batch), whatever the engine', () => {
    const runner = new ModelRunner(spec('lstm'), 2, 8);
    // biome-ignore lint/complexity/useLiteralKeys: the test reaches the runner's private stepper
    const fused = runner['fusedStepper']();
    if (fused === null) throw new Error('no fused stepper for an LSTM');
    const sizes: number[] = [];
    const step = fused.step.bind(fused);
    fused.step = (slots, count, x, state, out) => {
      sizes.push(count);
      step(slots, count, x, state, out);
    };
    const slots = Int32Array.from({ length: 20 }, (_, i) => runner.slotOf(`y${i}`));
    runner.step(slots, 20, randomFloats(seededRandom(9), 40, 1), new Float32Array(20 * runner.outputWidth));
    expect(sizes).toEqual([8, 8, 4]);
  });

  it('runs the new weights after swap, importWeights and a new version; states stay put', () => {
    const runner = new ModelRunner(spec('lstm'), 2, 8);
    const slots = Int32Array.of(runner.slotOf('a'), runner.slotOf('b'));
    const x = Float32Array.of(0.5, -1, 2, 0.25);
    const out = new Float32Array(2 * runner.outputWidth);
    runner.step(slots, 2, x, out);
    expect(out.every((v) => v === 0)).toBe(true); // the init head is zero: a persistence forecast
    const saved = runner.exportWeights();
    // Weights trained in place, then named (as offlineFit does).
    randomiseHead(runner, 8);
    runner.version = 'fit-1';
    const states = runner.arena.data.slice();
    runner.step(slots, 2, x, out);
    expect(out.some((v) => v !== 0)).toBe(true);
    expect(firstBitDifference(runner.arena.data, states)).not.toBe(-1);
    // Back to the zero head through a checkpoint.
    runner.importWeights(saved);
    runner.step(slots, 2, x, out);
    expect(out.every((v) => v === 0)).toBe(true);
    // A swapped model with a non-zero head, states kept.
    const next = runner.model.clone();
    next.headBias.data.fill(0.75);
    const kept = runner.arena.data.slice();
    runner.swap(next, 'v2');
    expect(firstBitDifference(runner.arena.data, kept)).toBe(-1);
    runner.step(slots, 2, x, out);
    expect(Array.from(out.subarray(0, 2))).toEqual([0.75, 0.75]);
  });
});
