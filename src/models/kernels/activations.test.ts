import { describe, expect, it } from 'vitest';
import { exp32, sigmoid32, tanh32 } from './activations.js';
import { instantiateKernels } from './wasm-module.js';
import { seededRandom } from './test-random.js';

// The TS activations must equal the WASM ones lane for lane, and both must be close to the exact
// functions (reference: Math.exp / Math.tanh in float64).

function inputs(): Float32Array {
  const rand = seededRandom(5);
  const xs = new Float32Array(1 << 15);
  const special = [0, -0, 1e-30, -1e-30, 1e-6, 0.5, -0.5, 7.9, 7.91, -7.91, 20, -20, 86.9, 87, 87.5, -87.5, 100, -100, 1e30, -1e30];
  xs.set(special);
  for (let i = special.length; i < xs.length; i++) xs[i] = (rand() * 2 - 1) * [0.01, 1, 10, 100][i & 3];
  return xs;
}

describe('float32 activations', () => {
  const inst = instantiateKernels(1 << 20);
  const xs = inputs();
  const f32 = new Float32Array(inst.buffer);
  const xAt = inst.heapBase,
    yAt = inst.heapBase + xs.length * 4;
  f32.set(xs, xAt >> 2);

  for (const [name, fn, exact] of [
    ['sigmoid', sigmoid32, (x: number) => 1 / (1 + Math.exp(-x))],
    ['tanh', tanh32, Math.tanh],
  ] as const) {
    it(`${name}: TS and WASM agree bit for bit`, () => {
      inst.exports[name === 'sigmoid' ? 'vsigmoid' : 'vtanh'](xAt, yAt, xs.length);
      for (let i = 0; i < xs.length; i++) {
        const w = f32[(yAt >> 2) + i];
        if (!Object.is(w, fn(xs[i]))) expect.fail(`${name}(${xs[i]}): wasm ${w}, ts ${fn(xs[i])}`);
      }
    });

    it(`${name}: absolute error below 1e-6, relative below 1e-6 where the value is not tiny`, () => {
      let maxAbs = 0,
        maxRel = 0;
      for (const x of xs) {
        const y = fn(x),
          e = exact(x);
        maxAbs = Math.max(maxAbs, Math.abs(y - e));
        if (Math.abs(e) > 1e-30 && Math.abs(x) < 80) maxRel = Math.max(maxRel, Math.abs(y - e) / Math.abs(e));
      }
      expect(maxAbs).toBeLessThan(1e-6);
      expect(maxRel).toBeLessThan(1e-6);
    });
  }

  it('exp32 is accurate on its range and monotone at the clamp', () => {
    for (const x of [-87, -10, -1, 0, 1, 10, 87]) expect(Math.abs(exp32(x) / Math.exp(x) - 1)).toBeLessThan(1e-6);
    expect(exp32(1000)).toBe(exp32(87));
  });
});
