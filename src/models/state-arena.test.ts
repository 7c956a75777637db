import { describe, expect, it } from 'vitest';
import { StateArena } from './state-arena.js';
import { TidecastError } from '../core/errors.js';

describe('StateArena', () => {
  it('gives each stream a slot, reuses released slots and grows on demand', () => {
    const arena = new StateArena(3, 2);
    const a = arena.slotOf('a'),
      b = arena.slotOf('b');
    expect([a, b]).toEqual([0, 1]);
    expect(arena.slotOf('a')).toBe(a);
    arena.data.set([1, 2, 3], b * 3);
    expect(arena.release('b')).toBe(true);
    expect(arena.release('b')).toBe(false);
    const c = arena.slotOf('c');
    expect(c).toBe(b); // reused...
    expect(Array.from(arena.data.subarray(c * 3, c * 3 + 3))).toEqual([0, 0, 0]); // ...from the initial state
    arena.data.set([7, 8, 9], a * 3);
    const d = arena.slotOf('d'); // capacity 2 → 4
    expect(arena.capacity).toBe(4);
    expect(d).toBe(2);
    expect(Array.from(arena.data.subarray(a * 3, a * 3 + 3))).toEqual([7, 8, 9]); // kept across growth
    expect(arena.size).toBe(3);
    expect([...arena.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(arena.keyOf(c)).toBe('c');
    expect(arena.peek('zzz')).toBe(-1);
  });

  it('starts streams from a given initial state and resets to it', () => {
    const arena = new StateArena(2, 1, Float32Array.of(0.5, -0.5));
    const s = arena.slotOf('x');
    arena.data[s * 2] = 9;
    arena.reset(s);
    expect(Array.from(arena.data.subarray(0, 2))).toEqual([0.5, -0.5]);
  });

  it('gathers and scatters rows of any slots', () => {
    const arena = new StateArena(2, 4);
    for (const k of ['a', 'b', 'c']) arena.slotOf(k);
    arena.data.set([1, 2, 3, 4, 5, 6]);
    const slots = Int32Array.of(2, 0);
    const rows = new Float32Array(4);
    arena.gather(slots, 2, rows);
    expect(Array.from(rows)).toEqual([5, 6, 1, 2]);
    arena.scatter(slots, 2, Float32Array.of(10, 20, 30, 40));
    expect(Array.from(arena.data.subarray(0, 6))).toEqual([30, 40, 3, 4, 10, 20]);
  });

  it('exports and imports one stream state as bytes, rejecting corrupt ones', () => {
    const arena = new StateArena(3);
    const s = arena.slotOf('k');
    arena.data.set([1.5, -2.25, 3], s * 3);
    const bytes = arena.exportState('k')!;
    expect(bytes.byteLength).toBe(12);
    expect(arena.exportState('nope')).toBeUndefined();
    const other = new StateArena(3);
    other.slotOf('first');
    const slot = other.importState('k', bytes);
    expect(Array.from(other.data.subarray(slot * 3, slot * 3 + 3))).toEqual([1.5, -2.25, 3]);
    expect(() => other.importState('k', bytes.subarray(0, 8))).toThrow(TidecastError);
    const bad = new Uint8Array(new Float32Array([1, NaN, 2]).buffer);
    expect(() => other.importState('j', bad)).toThrow(/non-finite/);
    expect(other.peek('j')).toBe(-1);
  });
});
