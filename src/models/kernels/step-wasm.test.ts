import { describe, expect, it } from 'vitest';
import type { FastCellKind } from './step-layout.js';
import { createPortableStepper } from './step-portable.js';
import { nativeStep } from './native-step.js';
import { createWasmStepper } from './step-wasm.js';
import { firstBitDifference, randomFloats, seededRandom } from './test-random.js';
import { randomSpec } from './test-specs.js';

// The WASM fused step must equal the portable TS stepper bit for bit: outputs and every state float,
// with the arena inside WASM memory and with a plain Float32Array arena (gather/scatter path).

const CASES: Array<{ kind: FastCellKind; resetAfter: boolean; units: number[] }> = [
  { kind: 'rnn', resetAfter: true, units: [7, 12] },
  { kind: 'lstm', resetAfter: true, units: [16, 9] },
  { kind: 'lstm-peephole', resetAfter: true, units: [5, 8] },
  { kind: 'gru', resetAfter: true, units: [12, 6] },
  { kind: 'gru', resetAfter: false, units: [11, 8] },
];

describe('wasm fused stepper', () => {
  for (const { kind, resetAfter, units } of CASES) {
    it(`${kind}${kind === 'gru' ? ` reset_${resetAfter ? 'after' : 'before'}` : ''} equals the portable stepper bit for bit`, () => {
      const rand = seededRandom(units[0] * 31 + units[1]);
      const spec = randomSpec(rand, kind, 5, units, 3, resetAfter);
      const slotsInArena = 80,
        maxBatch = 45;
      const portable = createPortableStepper(spec, maxBatch);
      const wasm = createWasmStepper(spec, maxBatch, { arenaSlots: slotsInArena, chunkRows: 8 });
      const plainArena = randomFloats(rand, slotsInArena * portable.stateSize);
      const refArena = plainArena.slice();
      wasm.arena.set(plainArena);
      const outRef = new Float32Array(maxBatch * 3),
        outOwn = outRef.slice(),
        outPlain = outRef.slice();
      // Batches of varying size (chunk tails, row tails of the 4-row micro-kernel), distinct slots.
      for (const [t, count] of [1, 45, 13, 4, 30].entries()) {
        const slots = Int32Array.from({ length: count }, (_, i) => (i * 17 + t * 3) % slotsInArena);
        const x = randomFloats(rand, count * 5, 2);
        portable.step(slots, count, x, refArena, outRef);
        wasm.step(slots, count, x, wasm.arena, outOwn);
        wasm.step(slots, count, x, plainArena, outPlain);
        expect(firstBitDifference(outOwn, outRef), `own arena out, step ${t}`).toBe(-1);
        expect(firstBitDifference(outPlain, outRef), `plain arena out, step ${t}`).toBe(-1);
        expect(firstBitDifference(wasm.arena, refArena), `own arena state, step ${t}`).toBe(-1);
        expect(firstBitDifference(plainArena, refArena), `plain arena state, step ${t}`).toBe(-1);
      }
      expect(outRef.some((v) => v !== 0)).toBe(true);
    });
  }

  // The optional native addon runs the same C on the same memory: same bits as the WASM engine.
  it.skipIf(nativeStep() === null)('native engine (when built) equals the WASM engine bit for bit', () => {
    for (const { kind, resetAfter, units } of CASES) {
      const rand = seededRandom(units[0] + 5);
      const spec = randomSpec(rand, kind, 6, units, 2, resetAfter);
      const wasm = createWasmStepper(spec, 40, { arenaSlots: 50 });
      const native = createWasmStepper(spec, 40, { arenaSlots: 50, engine: 'native' });
      expect(native.engine).toBe('native');
      wasm.arena.set(randomFloats(rand, wasm.arena.length));
      native.arena.set(wasm.arena);
      const a = new Float32Array(80),
        b = new Float32Array(80);
      for (const count of [40, 7, 1]) {
        const slots = Int32Array.from({ length: count }, (_, i) => (i * 11 + count) % 50);
        const x = randomFloats(rand, count * 6, 2);
        wasm.step(slots, count, x, wasm.arena, a);
        native.step(slots, count, x, native.arena, b);
        expect(firstBitDifference(b, a), `${kind} out`).toBe(-1);
        expect(firstBitDifference(native.arena, wasm.arena), `${kind} state`).toBe(-1);
      }
    }
  });

  it('rejects bad calls with RangeError instead of touching memory out of bounds', () => {
    const spec = randomSpec(seededRandom(1), 'lstm', 3, [4], 1);
    const s = createWasmStepper(spec, 4, { arenaSlots: 10 });
    const x = new Float32Array(12),
      out = new Float32Array(4);
    expect(() => s.step(Int32Array.of(0, 10), 2, x, s.arena, out)).toThrow(RangeError);
    expect(() => s.step(Int32Array.of(0, -1), 2, x, s.arena, out)).toThrow(RangeError);
    expect(() => s.step(new Int32Array(5), 5, new Float32Array(15), s.arena, new Float32Array(5))).toThrow(RangeError);
    expect(() => s.step(Int32Array.of(0, 1), 2, new Float32Array(5), s.arena, out)).toThrow(RangeError);
    expect(() => createWasmStepper({ ...spec, inputSize: 4 }, 4)).toThrow(/kernel must be/);
  });

  it('leaves streams outside the batch untouched', () => {
    const spec = randomSpec(seededRandom(2), 'gru', 3, [8], 1);
    const s = createWasmStepper(spec, 4, { arenaSlots: 6 });
    s.arena.set(randomFloats(seededRandom(9), s.arena.length));
    const before = s.arena.slice();
    s.step(Int32Array.of(4, 1), 2, Float32Array.of(1, 2, 3, 4, 5, 6), s.arena, new Float32Array(2));
    for (const slot of [0, 2, 3, 5]) {
      expect(Array.from(s.arena.subarray(slot * 8, slot * 8 + 8))).toEqual(Array.from(before.subarray(slot * 8, slot * 8 + 8)));
    }
    expect(Array.from(s.arena.subarray(32, 40))).not.toEqual(Array.from(before.subarray(32, 40)));
  });
});
