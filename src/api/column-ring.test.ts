import { describe, expect, it } from 'vitest';
import { ColumnRing } from './column-ring.js';

describe('ColumnRing', () => {
  it('keeps the newest rows, oldest first, once it wraps', () => {
    const r = new ColumnRing(2, 3);
    for (let i = 1; i <= 5; i++) r.push(i, i * 10);
    expect(r.size).toBe(3);
    expect(r.column(0)).toEqual([3, 4, 5]);
    expect(r.column(1)).toEqual([30, 40, 50]);
    expect(r.column(1, 2)).toEqual([40, 50]);
    expect(r.last(0)).toBe(5);
  });

  it('returns partial fills and limits above the size', () => {
    const r = new ColumnRing(1, 4);
    r.push(7);
    r.push(8);
    expect(r.column(0, 10)).toEqual([7, 8]);
    expect(r.column(0, 0)).toEqual([]);
    r.setLast(0, 9);
    expect(r.column(0)).toEqual([7, 9]);
  });

  it('is empty before any push and after clear', () => {
    const r = new ColumnRing(1, 2);
    expect(Number.isNaN(r.last(0))).toBe(true);
    r.push(1);
    r.clear();
    expect(r.size).toBe(0);
    expect(r.column(0)).toEqual([]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new ColumnRing(1, 0)).toThrow(RangeError);
  });
});
