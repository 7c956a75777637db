import { describe, expect, it } from 'vitest';
import { SeenTimes } from './seen-times.js';

describe('SeenTimes', () => {
  it('accepts each (stream, time) once, in or out of order', () => {
    const s = new SeenTimes();
    expect([s.add('a', 10), s.add('a', 20), s.add('a', 20), s.add('a', 15), s.add('a', 15), s.add('b', 20)]).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
    ]);
    expect(s.watermark).toBe(20);
    expect(s.lastOf('a')).toBe(20);
  });

  it('forgets times before the window but keeps each stream newest', () => {
    const s = new SeenTimes();
    for (const t of [1, 2, 3, 10, 11]) s.add('a', t);
    s.add('b', 2);
    s.forgetBefore(10);
    expect(s.size).toBe(3); // a: 10, 11; b: 2
    expect(s.add('a', 11)).toBe(false);
    expect(s.lastOf('b')).toBe(2);
  });
});
