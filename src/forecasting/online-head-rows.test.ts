import { describe, expect, it } from 'vitest';
import { RowAssembler } from './online-head-rows.js';

function collect(columns: number, step = 10) {
  const rows: { t: number; v: number[]; imp: number[] }[] = [];
  const a = new RowAssembler(columns, step, (t, v, imp) => rows.push({ t, v: Array.from(v), imp: Array.from(imp) }));
  return { a, rows };
}

describe('RowAssembler', () => {
  it('closes a row once every stream gave its value, whatever the interleaving', () => {
    const { a, rows } = collect(2);
    a.push(0, 0, 1, false);
    a.push(0, 10, 2, false);
    expect(rows).toEqual([]);
    a.push(1, 0, 5, true);
    expect(rows).toEqual([{ t: 0, v: [1, 5], imp: [0, 1] }]);
    a.push(1, 10, 6, false);
    expect(rows.map((r) => r.t)).toEqual([0, 10]);
    expect(rows[1].v).toEqual([2, 6]);
  });

  it('closes a row with NaN for a stream that moved past it, and a grid time nobody gave as a NaN row', () => {
    const { a, rows } = collect(2);
    a.push(0, 0, 1, false);
    a.push(1, 0, 2, false);
    a.push(0, 10, 3, false);
    a.push(1, 20, 4, false); // stream 1 skipped t = 10
    expect(rows.map((r) => r.t)).toEqual([0, 10]);
    expect(rows[1].v).toEqual([3, NaN]);
    a.push(0, 40, 5, false); // t = 20 lacks stream 0, which moved past it; t = 30 waits for stream 1
    expect(rows.map((r) => r.t)).toEqual([0, 10, 20]);
    expect(rows[2].v).toEqual([NaN, 4]);
    a.push(1, 40, 6, false); // both skipped t = 30
    expect(rows.map((r) => r.t)).toEqual([0, 10, 20, 30, 40]);
    expect(rows[3].v).toEqual([NaN, NaN]);
    expect(rows[4].v).toEqual([5, 6]);
    a.push(0, 0, 9, false);
    expect(a.late).toBe(1);
    a.push(0, 50, 7, true);
    a.flush();
    expect(rows.at(-1)).toEqual({ t: 50, v: [7, NaN], imp: [1, 0] });
  });

  it('snapshot and restore continue identically mid-row', () => {
    const first = collect(3);
    const feed = (a: RowAssembler, from: number, to: number) => {
      for (let i = from; i < to; i++) a.push(i % 3, Math.floor(i / 3) * 10, i * 1.5, i % 7 === 0);
    };
    feed(first.a, 0, 31);
    const s = first.a.snapshot();
    feed(first.a, 31, 60);
    const second = collect(3);
    second.a.restore(s);
    feed(second.a, 31, 60);
    expect(second.rows).toEqual(first.rows.slice(first.rows.length - second.rows.length));
    expect(second.rows.length).toBe(10);
  });
});
