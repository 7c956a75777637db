import { describe, expect, it } from 'vitest';
import { TidecastError } from '../core/errors.js';
import { KeySlots } from './key-slots.js';
import { SlotArena } from './slot-arena.js';
import { layoutHashOf, restoreSlot, snapshotSlot } from './slot-snapshot.js';

describe('SlotArena, KeySlots and slot snapshots', () => {
  it('grows without losing slots and reports its bytes per slot', () => {
    const a = new SlotArena(3, 2, 1);
    a.f64[2] = 7;
    a.u16[1] = 9;
    a.ensure(40);
    expect(a.capacity).toBeGreaterThan(40);
    expect([a.f64[2], a.u16[1]]).toEqual([7, 9]);
    expect(a.bytesPerSlot).toBe(3 * 8 + 2 * 2);
  });

  it('hands out new slots encoded as -slot-1 and reuses released ones', () => {
    const k = new KeySlots();
    expect(k.acquire('a')).toBe(-1);
    expect(k.acquire('b')).toBe(-2);
    expect(k.acquire('a')).toBe(0);
    expect(k.release('a')).toBe(0);
    expect(k.find('a')).toBe(-1);
    expect(k.acquire('c')).toBe(-1);
    expect([...k.keys()]).toEqual(['b', 'c']);
  });

  it('round-trips one slot exactly, and checks magic, size and layout', () => {
    const a = new SlotArena(4, 3, 4);
    a.f64.set([1.5, -0, Number.NaN, 1e300], 4);
    a.u16.set([65535, 0, 7], 3);
    const h = layoutHashOf('layout-1');
    const bytes = snapshotSlot(a, 1, h);
    const b = new SlotArena(4, 3, 1);
    restoreSlot(b, 9, h, bytes);
    expect(Array.from(b.f64.subarray(36, 40))).toEqual([1.5, -0, Number.NaN, 1e300]);
    expect(Array.from(b.u16.subarray(27, 30))).toEqual([65535, 0, 7]);
    expect(() => restoreSlot(b, 0, layoutHashOf('layout-2'), bytes)).toThrow(TidecastError);
    expect(() => restoreSlot(new SlotArena(5, 3), 0, h, bytes)).toThrow(/expected/);
    // A copy at an odd offset (e.g. inside a larger checkpoint buffer) restores too.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    restoreSlot(b, 2, h, shifted.subarray(1));
    expect(b.f64[8]).toBe(1.5);
  });
});
