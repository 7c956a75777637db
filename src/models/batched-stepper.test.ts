import { describe, expect, it } from 'vitest';
import { Prng } from '../training/prng.js';
import { BatchedStepper } from './batched-stepper.js';
import { StateArena } from './state-arena.js';
import { randomArray, randomModel } from './testing/random-model.js';

// Streams coming and going: random subsets stepped in one call must equal each stream stepped
// alone, in its own sequence, with slot reuse in between.

describe('BatchedStepper', () => {
  it.each(['lstm', 'gru', 'rnn', 'lstm-peephole'] as const)(
    '%s: a batched step on any subset equals per-stream sequential steps',
    (kind) => {
      const model = randomModel({ kind, inputSize: 2, units: 5, layers: 2, horizon: 2, outputSize: 1, seed: 12 });
      const w = model.outputWidth;
      const shared = new StateArena(model.stateSize, 2);
      const batched = new BatchedStepper(model, shared, 4);
      // Reference: one arena and stepper per stream, stepped one at a time.
      const solo = new Map<string, { arena: StateArena; stepper: BatchedStepper }>();
      const rng = new Prng(3);
      const live = new Set<string>();
      let next = 0;
      const slots = new Int32Array(16),
        inputs = new Float32Array(16 * 2),
        out = new Float32Array(16 * w),
        one = new Float32Array(w);
      for (let round = 0; round < 40; round++) {
        if (live.size < 10 && rng.next() < 0.5) live.add(`s${next++}`);
        if (live.size > 2 && rng.next() < 0.2) {
          const gone = [...live][rng.int(live.size)];
          live.delete(gone);
          shared.release(gone);
          solo.delete(gone);
        }
        const chosen = [...live].filter(() => rng.next() < 0.7);
        chosen.forEach((key, i) => {
          slots[i] = shared.slotOf(key);
          inputs[2 * i] = rng.uniform(-1, 1);
          inputs[2 * i + 1] = rng.uniform(-1, 1);
        });
        batched.step(slots, chosen.length, inputs, out);
        chosen.forEach((key, i) => {
          if (!solo.has(key)) {
            const arena = new StateArena(model.stateSize, 1);
            solo.set(key, { arena, stepper: new BatchedStepper(model, arena, 1) });
          }
          const s = solo.get(key)!;
          s.stepper.step(Int32Array.of(s.arena.slotOf(key)), 1, inputs.subarray(2 * i, 2 * i + 2), one);
          expect(Array.from(out.subarray(i * w, (i + 1) * w))).toEqual(Array.from(one));
        });
      }
      expect(next).toBeGreaterThan(8);
      expect(shared.capacity).toBeLessThanOrEqual(16); // released slots were reused
    },
  );

  it('rejects rows with non-finite inputs: their state stays, their output is NaN, the rest is unaffected', () => {
    const model = randomModel({ kind: 'lstm', inputSize: 2, units: 3, layers: 2, horizon: 1, outputSize: 1, seed: 2 });
    const w = model.outputWidth;
    const arena = new StateArena(model.stateSize);
    const stepper = new BatchedStepper(model, arena, 8);
    const slots = Int32Array.of(arena.slotOf('a'), arena.slotOf('b'), arena.slotOf('c'));
    const out = new Float32Array(3 * w);
    stepper.step(slots, 3, randomArray(6, 1), out);
    const before = arena.data.slice();
    const x = randomArray(6, 2);
    x[2] = NaN;
    x[5] = Infinity;
    expect(stepper.step(slots, 3, x, out)).toBe(2);
    const bRow = (d: Float32Array): number[] => Array.from(d.subarray(slots[1] * model.stateSize, (slots[1] + 1) * model.stateSize));
    const cRow = (d: Float32Array): number[] => Array.from(d.subarray(slots[2] * model.stateSize, (slots[2] + 1) * model.stateSize));
    expect(bRow(arena.data)).toEqual(bRow(before));
    expect(cRow(arena.data)).toEqual(cRow(before));
    expect(Number.isNaN(out[w])).toBe(true);
    // Row a advanced exactly as it would alone.
    const solo = new StateArena(model.stateSize);
    const soloStepper = new BatchedStepper(model, solo, 1);
    solo.slotOf('a');
    solo.data.set(before.subarray(slots[0] * model.stateSize, (slots[0] + 1) * model.stateSize), 0);
    const one = new Float32Array(w);
    expect(soloStepper.step(Int32Array.of(0), 1, x.subarray(0, 2), one)).toBe(0);
    expect(Array.from(out.subarray(0, w))).toEqual(Array.from(one));
  });

  it('rejects buffers that are too small instead of writing past them', () => {
    const model = randomModel({ kind: 'lstm', inputSize: 2, units: 3, layers: 1, horizon: 1, outputSize: 1, seed: 1 });
    const arena = new StateArena(model.stateSize);
    const stepper = new BatchedStepper(model, arena, 8);
    const slots = Int32Array.of(arena.slotOf('a'), arena.slotOf('b'));
    expect(() => stepper.step(slots, 2, randomArray(2, 1), new Float32Array(4))).toThrow(RangeError);
    expect(() => new BatchedStepper(model, new StateArena(model.stateSize + 1))).toThrow(RangeError);
  });
});
