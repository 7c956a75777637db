import { expect, it } from 'vitest';
import { StackedModel } from '../models/stacked-model.js';
import { cellWeights } from '../models/keras-weights.js';
import { initialiseWeights, orthogonal } from './init.js';
import { Prng } from './prng.js';

it('orthogonal gives orthonormal rows (wide) or columns (tall)', () => {
  for (const [rows, cols] of [
    [4, 16],
    [12, 3],
    [5, 5],
  ]) {
    const m = new Float32Array(rows * cols);
    orthogonal(new Prng(rows), m, rows, cols);
    const n = Math.min(rows, cols);
    const at = (i: number, j: number): number => (rows <= cols ? m[i * cols + j] : m[j * cols + i]);
    const len = Math.max(rows, cols);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let d = 0;
        for (let k = 0; k < len; k++) d += at(a, k) * at(b, k);
        expect(d).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    }
  }
});

it('initialises Keras-style and deterministically from the seed', () => {
  const make = (seed: number): StackedModel => {
    const m = new StackedModel({ kind: 'lstm', inputSize: 3, units: 4, layers: 2, horizon: 1, outputSize: 1, seed });
    initialiseWeights(m);
    return m;
  };
  const a = make(1),
    b = make(1),
    c = make(2);
  expect(a.params().map((p) => Array.from(p.data))).toEqual(b.params().map((p) => Array.from(p.data)));
  expect(Array.from(a.cells[0].kernel)).not.toEqual(Array.from(c.cells[0].kernel));
  const [kernel, , bias] = cellWeights(a.cells[0]);
  const limit = Math.sqrt(6 / (3 + 16));
  expect(Math.max(...kernel.data.map(Math.abs))).toBeLessThanOrEqual(limit);
  expect(Math.max(...kernel.data.map(Math.abs))).toBeGreaterThan(limit * 0.7);
  expect(Array.from(bias.data)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]); // unit forget bias
});
