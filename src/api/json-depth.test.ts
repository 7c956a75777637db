import { describe, expect, it } from 'vitest';
import { jsonTooDeep } from './json-depth.js';

describe('jsonTooDeep', () => {
  it('counts bracket nesting outside strings, escapes included', () => {
    expect(jsonTooDeep('[[1]]', 2)).toBe(false);
    expect(jsonTooDeep('[[[1]]]', 2)).toBe(true);
    expect(jsonTooDeep('[{"a":[1]}]', 2)).toBe(true);
    expect(jsonTooDeep('["[[[["]', 1)).toBe(false); // brackets in a string
    expect(jsonTooDeep('["\\"[[["]', 1)).toBe(false); // an escaped quote does not end the string
    expect(jsonTooDeep('["\\\\", [[1]]]', 2)).toBe(true); // an escaped backslash does
    expect(jsonTooDeep('"[[[', 1)).toBe(false); // unterminated string: left to JSON.parse
    expect(jsonTooDeep(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe(true);
  });

  it('agrees with the nesting JSON.parse sees, on random documents', () => {
    const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    let seed = 7;
    const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const gen = (d: number): unknown => {
      const r = rnd();
      if (d > 6 || r < 0.3) return rnd() < 0.5 ? 1.5 : ['"', '\\', '[', ']{', 'x'][Math.floor(rnd() * 5)].repeat(1 + Math.floor(rnd() * 3));
      return r < 0.65 ? [gen(d + 1), gen(d + 1)] : { [`k${'"['[Math.floor(rnd() * 2)]}`]: gen(d + 1) };
    };
    for (let i = 0; i < 500; i++) {
      const doc = gen(0);
      const text = JSON.stringify(doc);
      const d = depthOf(doc);
      expect(jsonTooDeep(text, d)).toBe(false);
      if (d > 0) expect(jsonTooDeep(text, d - 1)).toBe(true);
    }
  });
});
