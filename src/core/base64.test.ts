import { describe, expect, it } from 'vitest';
import { bytesFromBase64, float64FromBase64, toBase64 } from './base64.js';

describe('base64 of typed arrays', () => {
  it('round-trips the exact bytes of a view, NaN and -0 included', () => {
    const backing = Float64Array.of(9, 1.5, NaN, -0, Number.MIN_VALUE, 9);
    const view = backing.subarray(1, 5);
    const back = float64FromBase64(toBase64(view));
    expect(Array.from(back)).toEqual([1.5, NaN, -0, Number.MIN_VALUE]);
    expect(Object.is(back[2], -0)).toBe(true);
    expect(Array.from(bytesFromBase64(toBase64(Uint8Array.of(0, 255, 7))))).toEqual([0, 255, 7]);
  });

  it('refuses bytes that are not whole float64s', () => {
    expect(() => float64FromBase64(toBase64(Uint8Array.of(1, 2, 3)))).toThrow(RangeError);
  });
});
