import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { toAsyncGroups } from './async-groups.js';

describe('toAsyncGroups', () => {
  it('hands what queued while the consumer was busy over together, up to the weight limit, in order', async () => {
    const s = new Subject<number[]>();
    const abort = new AbortController();
    const it = toAsyncGroups(s, abort.signal, (b) => b.length, 5)[Symbol.asyncIterator]();
    const first = it.next(); // subscribes
    s.next([1, 2]);
    expect((await first).value).toEqual([[1, 2]]);
    // Busy: four batches queue meanwhile; the first three (weight 5) come together, the heavy one alone.
    s.next([3, 4]);
    s.next([5]);
    s.next([6, 7]);
    s.next([8, 9, 10, 11, 12, 13]); // heavier than the limit: alone
    expect((await it.next()).value).toEqual([[3, 4], [5], [6, 7]]);
    expect((await it.next()).value).toEqual([[8, 9, 10, 11, 12, 13]]);
    s.complete();
    expect((await it.next()).done).toBe(true);
  });
});
