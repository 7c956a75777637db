import { describe, expect, it } from 'vitest';
import { portableKernels } from './portable.js';
import { createWasmKernels } from './wasm-kernels.js';
import { firstBitDifference, randomFloats, seededRandom } from './test-random.js';

// The WASM GEMMs must equal the portable reference bit for bit (same per-element summation order).

const OPS = ['gemm', 'gemmTransA', 'gemmTransB'] as const;
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 7, 3],
  [3, 5, 0],
  [4, 8, 1],
  [5, 13, 7],
  [9, 16, 33],
  [17, 33, 9],
  [64, 256, 72],
  [33, 3, 130],
];

describe('wasm kernels', () => {
  const wasm = createWasmKernels({ heapBytes: 8 * 1024 * 1024 });

  for (const op of OPS) {
    it(`${op} equals the portable kernels bit for bit (foreign arrays, offsets, beta 0 and 1)`, () => {
      const rand = seededRandom(7);
      for (const [m, n, k] of SHAPES) {
        for (const beta of [0, 1] as const) {
          const a = randomFloats(rand, m * k + 3, 2);
          const b = randomFloats(rand, k * n + 5, 2);
          const c = randomFloats(rand, m * n + 2);
          const expected = c.slice();
          const actual = c.slice();
          portableKernels[op](m, n, k, a, 3, b, 5, expected, 2, beta);
          wasm[op](m, n, k, a, 3, b, 5, actual, 2, beta);
          expect(firstBitDifference(actual, expected), `${op} ${m}x${n}x${k} beta ${beta}`).toBe(-1);
          expect(actual[0]).toBe(c[0]); // untouched before cOff
        }
      }
    });
  }

  it('computes in place on arrays from alloc() and gives the same bits', () => {
    const rand = seededRandom(11);
    const [m, n, k] = [37, 24, 19];
    for (const op of OPS) {
      const a = wasm.alloc(m * k),
        b = wasm.alloc(k * n),
        c = wasm.alloc(m * n);
      a.set(randomFloats(rand, m * k));
      b.set(randomFloats(rand, k * n));
      c.set(randomFloats(rand, m * n));
      const expected = c.slice();
      portableKernels[op](m, n, k, a.slice(), 0, b.slice(), 0, expected, 0, 1);
      wasm[op](m, n, k, a, 0, b, 0, c, 0, 1);
      expect(firstBitDifference(c, expected), op).toBe(-1);
    }
  });

  it('alloc() returns zeroed views that survive later allocations, and refuses past the heap', () => {
    const small = createWasmKernels({ heapBytes: 64 * 1024 });
    const first = small.alloc(100);
    expect(Array.from(first.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    first[99] = 3;
    small.alloc(1000);
    expect(first[99]).toBe(3);
    expect(() => small.alloc(1 << 20)).toThrow(RangeError);
  });

  it('falls back to the portable path (same bits) when operands do not fit its scratch', () => {
    const tiny = createWasmKernels({ heapBytes: 1024 });
    const rand = seededRandom(3);
    const [m, n, k] = [40, 40, 40];
    const a = randomFloats(rand, m * k),
      b = randomFloats(rand, k * n);
    const expected = new Float32Array(m * n),
      actual = new Float32Array(m * n);
    portableKernels.gemmTransB(m, n, k, a, 0, b, 0, expected, 0, 0);
    tiny.gemmTransB(m, n, k, a, 0, b, 0, actual, 0, 0);
    expect(firstBitDifference(actual, expected)).toBe(-1);
  });
});
