import { expect, it } from 'vitest';
import { seriesToBatch } from './targets.js';

it('targets are the chosen features 1..H steps ahead, NaN past the end', () => {
  // 3 steps, 2 streams, 2 features: value = 100·t + 10·stream + feature.
  const values = Float32Array.from({ length: 12 }, (_, i) => {
    const f = i % 2,
      b = Math.floor(i / 2) % 2,
      t = Math.floor(i / 4);
    return 100 * t + 10 * b + f;
  });
  const d = seriesToBatch(values, 3, 2, 2, 2, [1]);
  expect(Array.from(d.inputs)).toEqual(Array.from(values));
  // step 0: stream 0 → [101, 201], stream 1 → [111, 211]; step 1: [201, NaN], [211, NaN]; step 2: NaN.
  expect(Array.from(d.targets)).toEqual([101, 201, 111, 211, 201, NaN, 211, NaN, NaN, NaN, NaN, NaN]);
  expect(() => seriesToBatch(values, 3, 2, 2, 1, [2])).toThrow(RangeError);
});
