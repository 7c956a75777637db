import { describe, expect, it } from 'vitest';
import type { FastCellKind } from './step-layout.js';
import { createPortableStepper } from './step-portable.js';
import { nativeStep } from './native-step.js';
import { createFastStepper, createWasmStepper, type StepEngine } from './step-wasm.js';
import { firstBitDifference, randomFloats, seededRandom } from './test-random.js';
import { randomSpec } from './test-specs.js';

// The native addon (AVX-512 where the CPU has it, and its SSE4.1 fallback) must equal the portable
// TS stepper bit for bit: outputs and every state float, on a plain Float32Array arena stepped in
// place, with shuffled slots and states carried across calls. npm test builds the addon first
// (scripts/build-native.mjs), so these run wherever gcc and the Node headers exist.

const addon = nativeStep();

const CELLS: Array<{ kind: FastCellKind; resetAfter: boolean }> = [
  { kind: 'lstm', resetAfter: true },
  { kind: 'lstm-peephole', resetAfter: true },
  { kind: 'gru', resetAfter: true },
  { kind: 'gru', resetAfter: false },
  { kind: 'rnn', resetAfter: true },
];
// Widths off and on the 16-lane grid (masked tails, 64-column blocks, 1..3 vector remainders).
const UNITS = [[64], [17, 40], [9, 33, 16]];
const BATCHES = [1, 3, 17, 64, 1000];
const ENGINES: StepEngine[] = addon?.isa === 'avx512' ? ['native', 'native-sse'] : ['native'];

const label = (kind: FastCellKind, resetAfter: boolean): string => (kind === 'gru' ? `gru reset_${resetAfter ? 'after' : 'before'}` : kind);

/** Distinct slots of an arena with `slotsInArena` rows, in a shuffled order that changes per call. */
function shuffledSlots(rand: () => number, count: number, slotsInArena: number): Int32Array {
  const all = Int32Array.from({ length: slotsInArena }, (_, i) => i);
  for (let i = slotsInArena - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count);
}

describe.skipIf(addon === null)(`native fused stepper (${addon?.isa ?? 'not built'})`, () => {
  for (const { kind, resetAfter } of CELLS) {
    for (const units of UNITS) {
      it(`${label(kind, resetAfter)} ${units.join('×')} equals the portable stepper bit for bit for B in ${BATCHES.join(', ')}`, () => {
        const rand = seededRandom(units.length * 101 + units[0] * 7 + kind.length + (resetAfter ? 0 : 3));
        const inputSize = 5,
          outputs = [10, 1, 3][units.length - 1]; // head: per-row form above 8 outputs
        const spec = randomSpec(rand, kind, inputSize, units, outputs, resetAfter);
        const maxBatch = 1000,
          slotsInArena = 1200;
        const portable = createPortableStepper(spec, maxBatch);
        const engines = ENGINES.map((engine) => createWasmStepper(spec, maxBatch, { engine }));
        const refArena = randomFloats(rand, slotsInArena * portable.stateSize);
        const arenas = engines.map(() => refArena.slice());
        const outRef = new Float32Array(maxBatch * outputs);
        const outs = engines.map(() => new Float32Array(maxBatch * outputs));
        // Each batch size twice, so states written by one call feed the next.
        for (const [t, count] of [...BATCHES, ...BATCHES.slice().reverse()].entries()) {
          const slots = shuffledSlots(rand, count, slotsInArena);
          const x = randomFloats(rand, count * inputSize, 2);
          portable.step(slots, count, x, refArena, outRef);
          engines.forEach((s, e) => {
            s.step(slots, count, x, arenas[e], outs[e]);
            expect(firstBitDifference(outs[e], outRef), `${s.engine} out, call ${t} (B=${count})`).toBe(-1);
            expect(firstBitDifference(arenas[e], refArena), `${s.engine} state, call ${t} (B=${count})`).toBe(-1);
          });
        }
        expect(outRef.some((v) => v !== 0)).toBe(true);
      });
    }
  }

  it('uses AVX-512 where the CPU has it, and createFastStepper picks the native engine', () => {
    const spec = randomSpec(seededRandom(4), 'lstm', 3, [8], 1);
    const s = createWasmStepper(spec, 4, { engine: 'native' });
    expect(s.isa).toBe(addon?.isa);
    expect(createFastStepper(spec, 4).backend).toBe('native');
    expect(createWasmStepper(spec, 4).isa).toBe('wasm-simd128');
  });

  it('checks lengths and slots in the addon too (RangeError, nothing written)', () => {
    const spec = randomSpec(seededRandom(3), 'gru', 3, [8], 2);
    const s = createWasmStepper(spec, 4, { engine: 'native' });
    const arena = new Float32Array(5 * s.stateSize);
    const before = arena.slice();
    const x = new Float32Array(12),
      out = new Float32Array(8);
    expect(() => s.step(Int32Array.of(0, 5), 2, x, arena, out)).toThrow(RangeError);
    expect(() => s.step(Int32Array.of(0, 1), 2, x, arena, new Float32Array(3))).toThrow(RangeError);
    const raw = addon!.step;
    const mem = new ArrayBuffer(1 << 16);
    expect(() => raw(mem, 1 << 20, 1, Int32Array.of(0), x, arena, out)).toThrow(RangeError);
    expect(firstBitDifference(arena, before)).toBe(-1);
  });
});
