import { describe, expect, it } from 'vitest';
import type { Kernels } from './kernels.js';
import { nativeKernels } from './native-kernels.js';
import { portableKernels as ref } from './portable.js';
import { createWasmKernels } from './wasm-kernels.js';
import { firstBitDifference, randomFloats, seededRandom } from './test-random.js';

// Every op of the native AVX-512 kernels and of the WASM kernels against the portable reference,
// bit for bit, over odd sizes (column tails, row remainders), offsets, beta 0 and 1, and every
// activation. WASM operands are placed in its memory so its in-place paths run. The native suite
// is skipped where the addon is not built (npm run build:native) or the CPU has no AVX-512.

interface Backend {
  readonly name: string;
  readonly k: Kernels | null;
  /** A copy of `a` that the backend computes on in place. */
  readonly place: (a: Float32Array) => Float32Array;
}

const wasm = createWasmKernels({ heapBytes: 48 << 20 });
const BACKENDS: Backend[] = [
  { name: 'native', k: nativeKernels(), place: (a) => a.slice() },
  {
    name: 'wasm',
    k: wasm,
    place: (a) => {
      const w = wasm.alloc(a.length);
      w.set(a);
      return w;
    },
  },
];

const GEMMS = ['gemm', 'gemmTransA', 'gemmTransB'] as const;
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 7, 3],
  [3, 5, 0],
  [4, 8, 1],
  [5, 13, 7],
  [9, 16, 33],
  [17, 33, 9],
  [6, 65, 5],
  [64, 256, 64],
  [33, 3, 130],
  [7, 129, 17],
  [2, 64, 2048],
];
const GATES = [3, 4]; // sigmoid, hard sigmoid
const ACTS = [0, 1, 2]; // tanh, relu, linear
const UNITS = [1, 5, 16, 17, 37, 64];

/** Values that exercise every branch: wide enough to saturate the gates, plus exact edge cases. */
function preActivations(rand: () => number, n: number): Float32Array {
  const out = randomFloats(rand, n, 6);
  const edges = [0, -0, 1e-30, -1e-30, 90, -90, 1e6, -1e6, 2.5, -2.5, 7.9053, -7.9053, Infinity, -Infinity, NaN];
  for (let i = 0; i < n; i += 7) out[i] = edges[(i / 7) % edges.length];
  return out;
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.k === null)(`${backend.name} kernels`, () => {
    const k = backend.k as Kernels;
    const place = backend.place;

    /** Runs op through the reference and the backend on copies of `io`; every io array must agree after. */
    function same(
      what: string,
      io: Float32Array[],
      run: (kern: Kernels, io: Float32Array[], put: (a: Float32Array) => Float32Array) => void,
    ): void {
      const expected = io.map((a) => a.slice());
      const actual = io.map(place);
      run(ref, expected, (a) => a);
      run(k, actual, place);
      actual.forEach((a, i) => {
        expect(firstBitDifference(a, expected[i]), `${what}, array ${i}`).toBe(-1);
      });
    }

    for (const op of GEMMS) {
      it(`${op} equals the portable kernels bit for bit (offsets, beta 0 and 1)`, () => {
        const rand = seededRandom(7);
        for (const [m, n, kk] of SHAPES) {
          for (const beta of [0, 1] as const) {
            const a = randomFloats(rand, m * kk + 3, 2),
              b = randomFloats(rand, kk * n + 5, 2),
              c = randomFloats(rand, m * n + 4);
            same(`${op} ${m}x${n}x${kk} beta ${beta}`, [c], (kern, [cc], put) => kern[op](m, n, kk, put(a), 3, put(b), 5, cc, 2, beta));
          }
        }
      });
    }

    it('addColumnSums equals the reference', () => {
      const rand = seededRandom(9);
      for (const [rows, cols] of [
        [1, 1],
        [3, 17],
        [64, 256],
        [2048, 130],
        [5, 65],
      ]) {
        const m = randomFloats(rand, rows * cols + 2),
          out = randomFloats(rand, cols + 1);
        same(`columns ${rows}x${cols}`, [out], (kern, [o], put) => kern.addColumnSums(rows, cols, put(m), 2, o, 1));
      }
    });

    it('lstmForward and lstmBackward equal the reference for every activation, with and without peepholes', () => {
      const rand = seededRandom(13);
      for (const u of UNITS)
        for (const gate of GATES)
          for (const act of ACTS)
            for (const peephole of [false, true]) {
              const batch = 3;
              const bu = batch * u;
              const what = `lstm u=${u} gate=${gate} act=${act} peephole=${peephole}`;
              const pre = preActivations(rand, 4 * bu + 1),
                bias = randomFloats(rand, 4 * u);
              const peep = peephole ? randomFloats(rand, 3 * u) : null;
              const c = randomFloats(rand, 2 * bu + 2, 3);
              const h = new Float32Array(bu + 1),
                cache = new Float32Array(5 * bu + 2);
              same(`${what} forward`, [h, c, cache], (kern, [hh, cc, q], put) =>
                kern.lstmForward(batch, u, gate, act, put(pre), 1, put(bias), peep && put(peep), cc, 2, hh, 1, cc, 2 + bu, q, 2),
              );
              // Backward from the reference's forward outputs.
              const fc = c.slice(),
                fq = cache.slice();
              ref.lstmForward(batch, u, gate, act, pre, 1, bias, peep, fc, 2, h.slice(), 1, fc, 2 + bu, fq, 2);
              const dH = randomFloats(rand, bu + 3),
                dC = randomFloats(rand, bu),
                dA = new Float32Array(4 * bu + 1);
              const peepGrad = peephole ? randomFloats(rand, 3 * u) : null;
              same(`${what} backward`, [dC, dA, ...(peepGrad ? [peepGrad] : [])], (kern, [dc, da, pg], put) =>
                kern.lstmBackward(
                  batch,
                  u,
                  gate,
                  act,
                  put(fq),
                  2,
                  put(fc),
                  2,
                  2 + bu,
                  put(dH),
                  3,
                  dc,
                  da,
                  1,
                  peep && put(peep),
                  pg ?? null,
                ),
              );
            }
    });

    it('gruForward and gruBackward equal the reference for every activation', () => {
      const rand = seededRandom(17);
      for (const u of UNITS)
        for (const gate of GATES)
          for (const act of ACTS) {
            const batch = 2;
            const bu = batch * u;
            const what = `gru u=${u} gate=${gate} act=${act}`;
            const pre = preActivations(rand, 3 * bu + 2),
              rec = preActivations(rand, 3 * bu),
              bias = randomFloats(rand, 6 * u);
            const hPrev = randomFloats(rand, bu + 1),
              h = new Float32Array(bu),
              cache = new Float32Array(4 * bu + 1);
            same(`${what} forward`, [h, cache], (kern, [hh, q], put) =>
              kern.gruForward(batch, u, gate, act, put(pre), 2, put(rec), put(bias), put(hPrev), 1, hh, 0, q, 1),
            );
            const fq = cache.slice();
            ref.gruForward(batch, u, gate, act, pre, 2, rec, bias, hPrev, 1, h.slice(), 0, fq, 1);
            for (const withPrev of [false, true]) {
              const dH = randomFloats(rand, 2 * bu + 1),
                dA = new Float32Array(3 * bu + 2),
                dAr = new Float32Array(3 * bu + 2);
              same(`${what} backward prev=${withPrev}`, [dH, dA, dAr], (kern, [dh, da, dar], put) =>
                kern.gruBackward(batch, u, gate, act, put(fq), 1, put(hPrev), 1, dh, 1 + bu, withPrev ? 0 : -1, da, dar, 2),
              );
            }
          }
    });

    it('elmanForward and elmanBackward equal the reference for every activation', () => {
      const rand = seededRandom(19);
      for (const u of UNITS)
        for (const act of [...ACTS, ...GATES]) {
          const batch = 3;
          const bu = batch * u;
          const pre = preActivations(rand, bu + 1),
            bias = randomFloats(rand, u);
          const h = new Float32Array(bu + 2),
            cache = new Float32Array(bu);
          same(`elman u=${u} act=${act} forward`, [h, cache], (kern, [hh, q], put) =>
            kern.elmanForward(batch, u, act, put(pre), 1, put(bias), hh, 2, q, 0),
          );
          const dH = randomFloats(rand, bu + 1),
            y = preActivations(rand, bu);
          ref.elmanForward(batch, u, act, pre, 1, bias, new Float32Array(bu), 0, y, 0);
          const dA = new Float32Array(bu + 1);
          same(`elman u=${u} act=${act} backward`, [dA], (kern, [da], put) => kern.elmanBackward(bu, act, put(dH), 1, put(y), 0, da, 1));
        }
    });

    it('adam equals the reference over repeated steps', () => {
      const rand = seededRandom(23);
      for (const n of [1, 15, 16, 17, 1000, 33_024]) {
        const data = randomFloats(rand, n),
          m = new Float32Array(n),
          v = new Float32Array(n);
        same(`adam n=${n}`, [data, m, v], (kern, [d, mm, vv], put) => {
          const r = seededRandom(n);
          for (let t = 1; t <= 5; t++) {
            const grad = put(randomFloats(r, n, t === 3 ? 1e-4 : 1));
            const lrT = (0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
            kern.adam(n, d, grad, mm, vv, lrT, 0.9, 0.999, 1e-7);
          }
        });
      }
    });
  });
}

describe.skipIf(BACKENDS[0].k === null)('native kernels: argument checks', () => {
  const k = BACKENDS[0].k as Kernels;

  it('gemm leaves everything outside c[cOff, cOff + m·n) alone', () => {
    const rand = seededRandom(5);
    const [m, n, kk] = [5, 19, 4];
    const a = randomFloats(rand, m * kk),
      b = randomFloats(rand, kk * n),
      c = randomFloats(rand, m * n + 10);
    const before = c.slice();
    k.gemm(m, n, kk, a, 0, b, 0, c, 3, 0);
    expect(Array.from(c.subarray(0, 3))).toEqual(Array.from(before.subarray(0, 3)));
    expect(Array.from(c.subarray(3 + m * n))).toEqual(Array.from(before.subarray(3 + m * n)));
  });

  it('throws a RangeError instead of touching memory past an array', () => {
    const a = new Float32Array(12),
      b = new Float32Array(12),
      c = new Float32Array(8);
    expect(() => k.gemm(3, 3, 4, a, 0, b, 0, c, 0, 0)).toThrow(RangeError);
    expect(() => k.gemm(2, 3, 4, a, 5, b, 0, c, 0, 0)).toThrow(RangeError);
    expect(() => k.gemm(2, 3, 4, a, -1, b, 0, c, 0, 0)).toThrow(RangeError);
    expect(() => k.adam(13, a, b, a, b, 0.1, 0.9, 0.999, 1e-7)).toThrow(RangeError);
    expect(() => k.lstmForward(2, 3, 3, 0, a, 0, a, null, a, 0, a, 0, a, 0, c, 0)).toThrow(RangeError);
  });
});
